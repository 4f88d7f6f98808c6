// The batch log's frame (src/log/frame.ts): batches count from 1, and a void of batch 0 is the takeover
// fence of a replicated log (TAKEOVER_FENCE), which reads back as itself; a batch 0 is refused.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { TAKEOVER_FENCE } from '../../src/log/batch-log.js'
import { encodeFrame, readFrame } from '../../src/log/frame.js'

test('the takeover fence (a void of batch 0) reads back; a batch numbered 0 or a negative void does not', () => {
  const fence = readFrame(encodeFrame(TAKEOVER_FENCE), 0)
  assert.equal(fence.ok ? fence.entry : fence, { kind: 'void', batch: 0 })
  const zero = readFrame(encodeFrame({ kind: 'batch', batch: 0, body: new Uint8Array(3) }), 0)
  assert.equal(zero.ok ? 'read' : zero.reason, 'invalid batch number 0')
  const negative = readFrame(encodeFrame({ kind: 'void', batch: -1 }), 0)
  assert.equal(negative.ok ? 'read' : negative.reason, 'invalid batch number -1')
  const one = readFrame(encodeFrame({ kind: 'batch', batch: 1, body: new Uint8Array([7]) }), 0)
  assert.ok(one.ok && one.entry.kind === 'batch' && one.entry.batch === 1)
})

test.run()
