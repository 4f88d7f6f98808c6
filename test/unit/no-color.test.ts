// The NO_COLOR convention (no-color.org) as the server's log lines and the console read it.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { noColor } from '../../src/no-color.js'

test('NO_COLOR turns colour off when set to a non-empty value only', () => {
  assert.is(noColor({}), false)
  assert.is(noColor({ NO_COLOR: '' }), false)
  assert.is(noColor({ NO_COLOR: '1' }), true)
  assert.is(noColor({ NO_COLOR: 'false' }), true, 'any non-empty value, whatever it says')
})

test.run()
