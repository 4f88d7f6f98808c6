// What a writer knows of forwarded requests (src/cluster/forwarded-ledger.ts): running until it ends, then
// its reply is kept for a resend, per follower inbox; replies beyond the byte bound push the oldest
// generation out, so memory stays bounded and an old reply becomes unknown; the timer drops them too.
import * as assert from 'uvu/assert'
import { test } from 'uvu'
import { ForwardedLedger } from '../../src/cluster/forwarded-ledger.js'

test('a request is running, then answered with its reply; other inboxes and ids are unknown', () => {
  const ledger = new ForwardedLedger()
  try {
    ledger.started('inbox.a', 1)
    assert.equal(ledger.state('inbox.a', 1), { state: 'running' })
    assert.equal(ledger.state('inbox.b', 1), { state: 'unknown' })
    ledger.ended('inbox.a', 1, '{"id":1,"ok":true}')
    assert.equal(ledger.state('inbox.a', 1), { state: 'answered', text: '{"id":1,"ok":true}' })
    assert.equal(ledger.state('inbox.a', 2), { state: 'unknown' })
    // A request whose handling failed has no reply to send again: unknown once it ends.
    ledger.started('inbox.a', 3)
    ledger.ended('inbox.a', 3, null)
    assert.equal(ledger.state('inbox.a', 3), { state: 'unknown' })
  } finally {
    ledger.close()
  }
})

test('kept replies are bounded: past the bytes, the oldest generation goes; a running request stays known', () => {
  const ledger = new ForwardedLedger(1000)
  try {
    ledger.started('i', 999)
    for (let id = 1; id <= 30; id++) {
      ledger.started('i', id)
      ledger.ended('i', id, 'x'.repeat(100))
    }
    // 100 bytes each, a generation holds at most 500: the last 5 to 10 replies are kept, none before.
    const kept = Array.from({ length: 30 }, (_, i) => i + 1).filter((id) => ledger.state('i', id).state === 'answered')
    assert.ok(kept.length >= 5 && kept.length <= 10, `${kept.length} kept`)
    assert.equal(kept, Array.from({ length: kept.length }, (_, i) => 31 - kept.length + i), 'the newest')
    assert.equal(ledger.state('i', 999), { state: 'running' })
  } finally {
    ledger.close()
  }
})

test('kept replies go after two periods of the timer', async () => {
  const ledger = new ForwardedLedger(1 << 20, 30)
  try {
    ledger.started('i', 1)
    ledger.ended('i', 1, 'reply')
    assert.is(ledger.state('i', 1).state, 'answered')
    await new Promise((r) => setTimeout(r, 100))
    assert.is(ledger.state('i', 1).state, 'unknown')
  } finally {
    ledger.close()
  }
})

test.run()
