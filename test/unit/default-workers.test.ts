// How many execution workers open() starts when none are asked for: none on two cores or fewer (the
// measured faster choice there, docs/benchmarks.md), two with more cores.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { defaultWorkers } from '../../src/embedded.js'

test('no workers on one or two cores; two with more', () => {
  assert.is(defaultWorkers(1), 0)
  assert.is(defaultWorkers(2), 0)
  assert.is(defaultWorkers(3), 2)
  assert.is(defaultWorkers(64), 2)
})

test.run()
