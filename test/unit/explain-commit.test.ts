import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { open, type OpenOptions } from '../../src/index.js'
import type { AcheronError, CommitPosition } from '../../src/errors.js'
import { COMMIT_TRACES_IN_FLIGHT_MAX } from '../../src/inspect/commit-trace.js'
import { traceAt } from '../../src/inspect/commit-trace-thread.js'
import { checkpointBatch, DATABASE_FILE } from '../../src/storage/state-file.js'
import { bank, explainCommit, said, transfers, verdict, type Reply, type TraceRow } from '../support/commit-trace.js'
import { tempDir } from '../support/tmp.js'
import { abiModule } from '../wasm-exec/wat.js'

/** Positions to trace: every one with seq > 0 (it committed after others of its batch), up to `n`, spread over the run. */
function sample(replies: readonly Reply[], n: number): Reply[] {
  const later = replies.filter((r) => r.commit.seq > 0)
  const step = Math.max(1, Math.floor(later.length / n))
  return later.filter((_, i) => i % step === 0).slice(0, n)
}

async function inPairs<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = []
  for (let i = 0; i < items.length; i += COMMIT_TRACES_IN_FLIGHT_MAX) out.push(...await Promise.all(items.slice(i, i + COMMIT_TRACES_IN_FLIGHT_MAX).map(fn)))
  return out
}

test('a committed or rolled-back transaction re-runs to what its reply said, from the log alone and from the checkpoint', async () => {
  const { dir, cleanup } = tempDir()
  try {
    // First run: a checkpoint after every batch, so its positions lie before the checkpoint and are
    // rebuilt from an empty state and the whole log (no copy of the checkpoint kept: trace-bases.test.ts).
    let db = await open({ dir, checkpointIntervalMs: 0, traceBasesKept: 0 })
    await bank(db)
    const before = await transfers(db, 1, 3, 8)
    await db.close()
    const checkpointed = checkpointBatch(join(dir, DATABASE_FILE))
    // Second run: no checkpoint comes, so its positions are rebuilt from the first run's checkpoint.
    db = await open({ dir, checkpointIntervalMs: 60_000, traceBasesKept: 0 })
    try {
      const after = await transfers(db, 2, 3, 8)
      assert.ok(before.some((r) => r.code === 'TXN_ABORTED') && after.some((r) => r.code === null), 'both verdicts occur')
      const bases = new Set<string>()
      for (const replies of [before, after]) {
        const picked = sample(replies, 4)
        assert.ok(picked.length >= 3, `${picked.length} positions with seq > 0`)
        const traces = await inPairs(picked, (r) => explainCommit(db, r.commit))
        picked.forEach((r, i) => {
          const rows = traces[i] as TraceRow[]
          assert.equal(verdict(rows, r.commit), said(r), `(${r.commit.batch}, ${r.commit.seq})`)
          assert.equal(rows[0]?.event, 'rebuilt')
          const from = r.commit.batch <= checkpointed ? 'an empty state' : `the checkpoint (batches up to ${checkpointed})`
          bases.add(from)
          assert.ok(String(rows[0]?.detail).startsWith(`the state before (${r.commit.batch}, ${r.commit.seq}): ${from}`), String(rows[0]?.detail))
          assert.ok(String(rows[0]?.detail).includes(`seq 0 to ${r.commit.seq - 1} of batch ${r.commit.batch}`), String(rows[0]?.detail))
          assert.equal(rows.map((row) => Number(row.step)), rows.map((_, n) => n + 1))
          assert.equal(rows[1]?.event, 'call')
        })
      }
      assert.equal(bases.size, 2, `rebuilt from ${[...bases].join(' and ')} only`)
    } finally {
      await db.close()
    }
  } finally {
    cleanup()
  }
})

test('a trace reads the state its transaction committed on: its reads and the rows it wrote, before and after', async () => {
  const { dir, cleanup } = tempDir()
  const db = await open({ dir })
  try {
    await bank(db)
    // All from a0: each one after the first of a batch sees the balance the ones before it left.
    const replies = await transfers(db, 3, 1, 4, 'a0')
    const second = replies.find((r) => r.commit.seq === 1 && r.code === null)
    assert.ok(second !== undefined, JSON.stringify(replies))
    const first = replies.find((r) => r.commit.batch === second.commit.batch && r.commit.seq === 0) as Reply
    const rows = await explainCommit(db, second.commit)
    const balance = BigInt(String(first.value))
    assert.equal(rows.find((r) => r.event === 'get' && r.key === 'a0')?.detail, `balance = ${balance}`)
    const updated = rows.find((r) => r.event === 'updated' && r.key === 'a0')
    assert.equal(updated?.detail, `(id = 'a0', balance = ${balance}) → (id = 'a0', balance = ${String(second.value)})`)
    assert.equal(rows[rows.length - 1]?.detail, `result ${String(second.value)} at (${second.commit.batch}, 1)`)
    // The position as parameters, as a client holding a reply's commit would pass it.
    const [again] = await db.sql('EXPLAIN COMMIT (?, ?)', [second.commit.batch, second.commit.seq])
    assert.equal(again?.rows.slice(1), (await db.sql(`EXPLAIN COMMIT (${second.commit.batch}, 1)`))[0]?.rows.slice(1))
  } finally {
    await db.close()
    cleanup()
  }
})

test('a whole REAL argument, value and row image read 1.0 (realText), as in EXPLAIN CALL and the consoles', async () => {
  const { dir, cleanup } = tempDir()
  const db = await open({ dir })
  try {
    const keep = abiModule(`
      (func (export "keep")
        (call $set_real (i32.const 1) (call $arg_real (i32.const 0)))
        (call $ret_real (call $arg_real (i32.const 0))))`)
    await db.sql('CREATE TABLE m (id INTEGER PRIMARY KEY, r REAL)')
    await db.createFunction('m.keep', keep)
    const first = (await db.sql('CALL m.keep(1, 1.0)'))[0]?.commit as CommitPosition
    const second = (await db.sql('CALL m.keep(1, 1e20)'))[0]?.commit as CommitPosition
    const brief = (rows: TraceRow[]) => rows.filter((r) => r.event !== 'rebuilt').map((r) => `${String(r.event)} ${String(r.detail)}`)
    assert.equal(brief(await explainCommit(db, first)), [
      'call (1, 1.0)', 'set r: NULL → 1.0', 'return 1.0', 'inserted (no row) → (id = 1, r = 1.0)',
      `committed result 1.0 at (${first.batch}, ${first.seq})`,
    ])
    assert.equal(brief(await explainCommit(db, second)).slice(0, 4), [
      'call (1, 1.0e+20)', 'set r: 1.0 → 1.0e+20', 'return 1.0e+20', 'updated (id = 1, r = 1.0) → (id = 1, r = 1.0e+20)',
    ])
  } finally {
    await db.close()
    cleanup()
  }
})

test('positions that cannot be re-run say why, with a stable code', async () => {
  const { dir, cleanup } = tempDir()
  const db = await open({ dir })
  try {
    await bank(db)
    const [reply] = await transfers(db, 4, 1, 1)
    const at = (reply as Reply).commit
    const refused = async (sql: string): Promise<AcheronError> => {
      const err = await db.sql(sql).then(() => null, (e: AcheronError) => e)
      assert.ok(err !== null, `${sql} was answered`)
      return err
    }
    let err = await refused(`EXPLAIN COMMIT (${at.batch + 5}, 0)`)
    assert.is(err.code, 'POSITION_UNAVAILABLE')
    assert.match(err.message, `batch ${at.batch + 5} has not committed: the last batch released is ${at.batch}`)
    err = await refused('EXPLAIN COMMIT (1, 0)')
    assert.is(err.code, 'POSITION_UNAVAILABLE')
    assert.match(err.message, '(1, 0) is CREATE TABLE account, which ran alone')
    const read = (await db.sql('SELECT COUNT(*) FROM account'))[0]?.commit as CommitPosition
    err = await refused(`EXPLAIN COMMIT (${read.batch}, ${read.seq})`)
    assert.is(err.code, 'POSITION_UNAVAILABLE')
    assert.match(err.message, "is past them: a query's position (queries are not logged")
    // Batch 0 is a position (a query's before the first batch) where nothing committed; -1 is none. The
    // two said "a whole number, at least 0, not -1" and "there is no batch 0: batches are numbered from 1".
    err = await refused('EXPLAIN COMMIT (-1, 0)')
    assert.is(err.code, 'TYPE_MISMATCH')
    assert.is(err.message, 'the batch of a commit position is a whole number, at least 0 (batch 0 is before the first batch, where a query on a new database is placed) and at most 9007199254740991 (2^53 - 1, the most a reply\'s number carries exactly), not -1')
    // Out of range, not "not a whole number": it said "a whole number, at least 0, not 9007199254740992".
    err = await refused('EXPLAIN COMMIT (1, 9007199254740992)')
    assert.is(err.code, 'TYPE_MISMATCH')
    assert.is(err.message, 'the seq of a commit position is a whole number, at least 0 and at most 9007199254740991 (2^53 - 1, the most a reply\'s number carries exactly), not 9007199254740992')
    err = await refused('EXPLAIN COMMIT (0, 0)')
    assert.is(err.code, 'POSITION_UNAVAILABLE')
    assert.is(err.message, `(0, 0) is before the first batch, batch 1: no transaction committed there; it is the position of a query that ran before any batch (queries are not logged), or no position at all (the last batch released is ${read.batch})`)
    err = await refused("EXPLAIN COMMIT ('one', 0)")
    assert.is(err.code, 'TYPE_MISMATCH')
    assert.is(err.column, 17)
    err = await refused('EXPLAIN COMMIT (1)')
    assert.is(err.code, 'SYNTAX_ERROR')
    err = await refused('EXPLAIN SELECT 1')
    assert.is(err.code, 'SYNTAX_ERROR')
    assert.match(err.message, /EXPLAIN SELECT is not supported: EXPLAIN CALL .* and EXPLAIN COMMIT/)
  } finally {
    await db.close()
    cleanup()
  }
  const memory = await open({ memory: true })
  try {
    await bank(memory)
    const err = await memory.sql('EXPLAIN COMMIT (2, 0)').then(() => null, (e: AcheronError) => e)
    assert.is(err?.code, 'POSITION_UNAVAILABLE')
    assert.match(err?.message ?? '', 'keeps no batch log')
  } finally {
    await memory.close()
  }
})

test('a failure says when EXPLAIN COMMIT cannot re-run its position (explainable: false), and it cannot; otherwise it can', async () => {
  const { dir, cleanup } = tempDir()
  const db = await open({ dir })
  try {
    await bank(db)
    const failed = async (sql: string): Promise<AcheronError> => {
      const err = await db.sql(sql).then(() => null, (e: AcheronError) => e)
      assert.ok(err !== null && err.commit !== undefined, `${sql}: ${String(err)}`)
      return err
    }
    const explain = (at: CommitPosition): Promise<AcheronError | null> => db.sql(`EXPLAIN COMMIT (${at.batch}, ${at.seq})`).then(() => null, (e: AcheronError) => e)
    // At a key: a data batch's transaction, which EXPLAIN COMMIT re-runs.
    const keyed = await failed("UPDATE account SET balance = NULL WHERE id = 'a0'")
    assert.is(keyed.explainable, undefined)
    assert.is(await explain(keyed.commit as CommitPosition), null)
    // Over the whole table, and a refused DDL: each ran alone, and EXPLAIN COMMIT refuses the position.
    for (const sql of ["UPDATE account SET balance = NULL", 'CREATE TABLE account (k INTEGER PRIMARY KEY)']) {
      const alone = await failed(sql)
      assert.is(alone.explainable, false, sql)
      assert.is((await explain(alone.commit as CommitPosition))?.code, 'POSITION_UNAVAILABLE', sql)
    }
  } finally {
    await db.close()
    cleanup()
  }
})

test('a checkpoint over COMMIT_TRACE_IMAGE_BYTES_MAX is not copied into memory: the position is refused, saying so', async () => {
  const { dir, cleanup } = tempDir()
  try {
    // The transfer stays in the log only: the close takes no checkpoint of it.
    const db = await open({ dir, checkpointAtClose: false })
    await bank(db)
    const [reply] = await transfers(db, 10, 1, 1)
    await db.close()
    const source = { log: { dir: join(dir, 'log') }, checkpointFile: join(dir, DATABASE_FILE), partitions: 8, runtimes: {} }
    const at = (reply as Reply).commit
    // The same trace works under the real bound, and is refused under one smaller than this checkpoint.
    assert.equal((await traceAt(source, at)).rows?.at(-1)?.[2], 'committed')
    const err = await traceAt({ ...source, imageBytesMax: 4096 }, at).then(() => null, (e: AcheronError) => e)
    assert.is(err?.code, 'POSITION_UNAVAILABLE')
    assert.match(err?.message ?? '', /^the checkpoint is \d+ bytes, over COMMIT_TRACE_IMAGE_BYTES_MAX \(4096\)/)
  } finally {
    cleanup()
  }
})

test('a position older than both the checkpoint and the start of the kept log cannot be rebuilt', async () => {
  const { dir, cleanup } = tempDir()
  // Tiny segments, none kept past the checkpoint, a checkpoint after every batch, no copy of it kept: the
  // log's first segments are deleted, so early positions are in neither the checkpoint's past nor the log.
  const options: OpenOptions = { dir, checkpointIntervalMs: 0, logSegmentBytesMax: 256, logSegmentsKept: 0, traceBasesKept: 0 }
  const db = await open(options)
  try {
    await bank(db)
    const replies = await transfers(db, 5, 4, 4)
    const early = replies[0] as Reply
    const err = await db.sql(`EXPLAIN COMMIT (${early.commit.batch}, ${early.commit.seq})`).then(() => null, (e: AcheronError) => e)
    assert.is(err?.code, 'POSITION_UNAVAILABLE')
    assert.match(err?.message ?? '', /no state from before it is kept \(the checkpoint holds batches up to \d+\), and the batch log starts at batch \d+, where an empty state would need it from batch 1/)
  } finally {
    await db.close()
    cleanup()
  }
})

test(`EXPLAIN COMMITs run beside the traffic, at most ${COMMIT_TRACES_IN_FLIGHT_MAX} at once; more are refused, retryably`, async () => {
  const { dir, cleanup } = tempDir()
  const db = await open({ dir })
  try {
    await bank(db)
    const replies = await transfers(db, 6, 1, 4)
    const at = (replies[replies.length - 1] as Reply).commit
    const traces = Array.from({ length: COMMIT_TRACES_IN_FLIGHT_MAX + 1 }, () => explainCommit(db, at).then(() => null, (e: AcheronError) => e))
    // Transfers go on committing while the traces rebuild state on their threads.
    const meanwhile = await transfers(db, 7, 3, 4)
    assert.ok(meanwhile.every((r) => r.commit.batch > at.batch))
    const outcomes = await Promise.all(traces)
    assert.equal(outcomes.filter((e) => e === null).length, COMMIT_TRACES_IN_FLIGHT_MAX)
    const refused = outcomes.find((e) => e !== null)
    assert.is(refused?.code, 'OVERLOADED')
    assert.is(refused?.retryable, true)
    assert.is(refused?.commit, undefined)
  } finally {
    await db.close()
    cleanup()
  }
})

test('mutant commitTraceSkipsBatchPrefix (the transactions before the position in its batch left out) is caught', async () => {
  const { dir, cleanup } = tempDir()
  const db = await open({ dir, faults: { commitTraceSkipsBatchPrefix: true } })
  try {
    await bank(db)
    const replies = await transfers(db, 3, 1, 4, 'a0')
    const later = replies.filter((r) => r.commit.seq > 0)
    assert.ok(later.length > 0, JSON.stringify(replies))
    const traces = await inPairs(later, (r) => explainCommit(db, r.commit))
    const wrong = later.filter((r, i) => verdict(traces[i] as TraceRow[], r.commit) !== said(r))
    assert.ok(wrong.length > 0, 'every trace agreed with its reply: the mutant was not caught')
  } finally {
    await db.close()
    cleanup()
  }
})

test.run()
