// Functions' log() lines in the server log (src/txn/function-log.ts): once per call that was answered.
// Before, each execution wrote them as it ran: a transaction Aria re-executed after a conflict wrote its
// lines twice, and a recovery replaying the log after a crash wrote every replayed call's lines again.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { open, type ServerLogEvent } from '../../src/index.js'
import { FunctionLog } from '../../src/txn/function-log.js'
import type { TxnInput, TxnOutcome } from '../../src/txn/types.js'
import { tempDir } from '../support/tmp.js'

const LOGS = readFileSync(fileURLToPath(new URL('../../guest/logs.wasm', import.meta.url)))
const TABLE = 'CREATE TABLE t (id TEXT PRIMARY KEY, v INTEGER NOT NULL DEFAULT 0)'

test('conflicting calls on one key, re-executed by Aria: each call\'s line is in the server log once', async () => {
  const { dir, cleanup } = tempDir()
  const lines: string[] = []
  const events: ServerLogEvent[] = []
  const db = await open({ dir, workers: 2, protocol: 'aria', log: (l, e) => { lines.push(l); events.push(e) } })
  try {
    await db.sql(TABLE)
    await db.createFunction('t.bump', LOGS, { export: 'bump' })
    const n = 200
    const values = (await Promise.all(Array.from({ length: n }, () => db.call('t.bump', 'hot')))).map((r) => Number(r.value))
    assert.equal([...values].sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i + 1))
    const stats = (await db.query('SHOW STATS')).rows as unknown[][]
    const fallback = Number(stats.find((r) => r[0] === 'fallback_txns_total')?.[1] ?? 0)
    assert.ok(fallback > 0, `the calls conflicted and some ran again (fallback_txns_total ${fallback})`)
    const logged = lines.filter((l) => l.startsWith('[t.bump] v=')).map((l) => Number(l.slice('[t.bump] v='.length)))
    assert.equal(logged.sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i + 1))
    // Each says it is a function's line, and whose: the server logs it with the name in a field of its own.
    const said = events.filter((_, i) => (lines[i] as string).startsWith('[t.bump] '))
    assert.is(said.length, n)
    assert.ok(said.every((e) => e.function && e.source === 't.bump' && e.level === 'info'), JSON.stringify(said[0]))
  } finally {
    await db.close()
    cleanup()
  }
})

test('recovery replays the log after a crash without writing the replayed calls\' lines again; nested lines carry the CALL\'s name', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const first: string[] = []
    // checkpointAtClose false, and no checkpoint meanwhile: close leaves what a crash after the last reply leaves.
    const db = await open({ dir, workers: 1, checkpointAtClose: false, checkpointIntervalMs: 3_600_000, log: (l) => first.push(l) })
    await db.sql(TABLE)
    await db.createFunction('t.say', LOGS, { export: 'say' })
    await db.createFunction('t.relay', LOGS, { export: 'relay' })
    for (let i = 0; i < 10; i++) await db.call('t.say', `k${i}`, 2)
    await db.call('t.relay', 'a', 'b', 1)
    await db.close()
    assert.is(first.filter((l) => l.startsWith('[t.say] line ')).length, 20)
    assert.equal(first.filter((l) => l.startsWith('[t.relay] ')), ['[t.relay] relay', '[t.relay] line 0'])

    const again: string[] = []
    const reopened = await open({ dir, workers: 1, log: (l) => again.push(l) })
    try {
      const stats = (await reopened.query('SHOW STATS')).rows as unknown[][]
      const replayed = Number(stats.find((r) => r[0] === 'replayed_batches')?.[1] ?? 0)
      assert.ok(replayed >= 11, `the calls were replayed (replayed_batches ${replayed})`)
      assert.equal(again.filter((l) => l.startsWith('[t.')), [], 'no function line was written again')
      await reopened.call('t.say', 'k0', 1)
      assert.equal(again.filter((l) => l.startsWith('[t.')), ['[t.say] line 0'], 'a new call still writes its line')
    } finally {
      await reopened.close()
    }
  } finally {
    cleanup()
  }
})

test('the server log takes a bounded rate of function lines; what it left out is said in one line', () => {
  const written: string[] = []
  let t = 0
  const kinds: (string | undefined)[] = []
  const fl = new FunctionLog((fn, m, kind) => { written.push(`[${fn}] ${m}`); kinds.push(kind) }, 3, 100, () => t)
  const call: TxnInput = { kind: 'call', fn: 't.say', key: 'k', args: [] }
  const said = (...logs: string[]): TxnOutcome => ({ ok: true, result: { rowsAffected: 0, logs }, commit: { batch: 1, seq: 0 } })
  fl.write(call, said('a', 'b', 'c', 'd', 'e'))
  t = 500
  fl.write(call, said('f'))
  assert.equal(written, ['[t.say] a', '[t.say] b', '[t.say] c'])
  t = 1_000
  fl.write(call, said('g', 'x'.repeat(100), 'h'))
  assert.is(written.length, 6)
  assert.equal(kinds.slice(0, 4), ['function', 'function', 'function', 'warn'], 'the lines are functions\', what was left out a warning')
  assert.match(written[3] as string, /^\[log\] 3 function log lines \(3 bytes\) left out of the server log in the last 1\.0 s: it takes at most 3 lines and 100 bytes of them a second/)
  // 'x' × 100 would pass 100 bytes in this second: left out; 'h' fits.
  assert.equal(written.slice(4), ['[t.say] g', '[t.say] h'])
  fl.write(call, said('i', 'j'))
  assert.equal(written.slice(6), ['[t.say] i'], 'three lines a second')
  // A multi's steps are labelled by their own calls; a failure by the step that failed.
  t = 5_000
  const multi: TxnInput = { kind: 'multi', steps: [{ kind: 'get', table: 't', key: 'k' }, { kind: 'call', fn: 't.relay', key: 'k', args: [] }] }
  fl.write(multi, { ok: true, result: { rowsAffected: 0, steps: [{ rowsAffected: 0 }, { rowsAffected: 0, logs: ['r'] }] }, commit: { batch: 2, seq: 0 } })
  fl.write(multi, { ok: false, failure: { code: 'TXN_ABORTED', message: 'no', step: 1, logs: ['s'] } })
  assert.equal(written.slice(-2), ['[t.relay] r', '[t.relay] s'])
})

test.run()
