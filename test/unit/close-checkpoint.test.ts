// A clean stop ends with a checkpoint (docs/operations.md, "Shutdown"). When that checkpoint cannot be
// written (a full disk; here the checkpoint file's cap), nothing is lost, but the stop must say so: the
// next start replays batches a clean stop promised it would not, and the operator should know why.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { open } from '../../src/index.js'
import { tempDir } from '../support/tmp.js'

test('a checkpoint at close that fails is logged at warn with the batches the next start replays; the next start has every row', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const lines: { level: string; line: string }[] = []
    // 64 KiB of checkpoint file: the table's creation fits, the rows below do not.
    const db = await open({ dir, workers: 0, checkpointIntervalMs: 3_600_000, checkpointBytesMax: 64 * 1024, log: (line, e) => lines.push({ level: e.level, line }) })
    await db.sql('CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT NOT NULL) PARTITIONS 2')
    await db.checkpoint()
    for (let i = 0; i < 20; i++) await db.insert('kv', [[i, 'x'.repeat(10_000)]])
    await db.close()
    const warned = lines.filter((l) => l.level === 'warn' && /the checkpoint at close failed \(.*\): nothing is lost.*the next start replays batches 2 to 21/.test(l.line))
    // Before: nothing at all was said; the stop looked clean.
    assert.is(warned.length, 1, JSON.stringify(lines))
    const replays: string[] = []
    const again = await open({ dir, workers: 0, log: (line) => replays.push(line) })
    try {
      assert.ok(replays.some((l) => /recovering: replaying batches 2 to 21/.test(l)), JSON.stringify(replays))
      const rows = await again.sql('SELECT COUNT(*) FROM kv')
      assert.equal(rows[0]?.rows, [[20]])
    } finally {
      await again.close()
    }
  } finally {
    cleanup()
  }
})

test.run()
