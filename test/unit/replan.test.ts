// Statements are planned when they arrive, against the catalog of that moment. When a DDL sequenced
// before a statement changes the catalog first, the engine plans the statement again at its position,
// so it means what a serial execution in (batch, seq) order means — and replay (which reads the plan
// from the log) agrees.
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AcheronError, open, type EmbeddedDatabase } from '../../src/index.js'
import { tempDir } from '../support/tmp.js'

async function scenario(db: EmbeddedDatabase): Promise<{ inserted: unknown; updated: unknown; failed: unknown }> {
  await db.sql('CREATE TABLE t (id INTEGER PRIMARY KEY, x INTEGER NOT NULL DEFAULT 0) PARTITIONS 3;')
  await db.sql('INSERT INTO t VALUES (5, 50), (6, 60);')
  // All submitted before any runs, each planned against the old t, where `id` is the key.
  const drop = db.sql('DROP TABLE t;')
  const create = db.sql('CREATE TABLE t (k INTEGER PRIMARY KEY, id INTEGER) PARTITIONS 2;')
  const insert = db.sql('INSERT INTO t VALUES (1, 5), (2, 7);')
  const update = db.sql('UPDATE t SET id = id + 100 WHERE id = 5;')
  const stale = db.sql('UPDATE t SET x = 1 WHERE id = 7;').then(() => null, (e: unknown) => e)
  await Promise.all([drop, create])
  return { inserted: (await insert)[0], updated: (await update)[0], failed: await stale }
}

for (const mode of ['memory', 'data directory'] as const) {
  test(`${mode}: a statement planned before a DDL sequenced ahead of it is planned again at its position`, async () => {
    const tmp = mode === 'memory' ? null : tempDir()
    const db = await open(tmp === null ? { memory: true } : { dir: tmp.dir, workers: 2 })
    try {
      const { inserted, updated, failed } = await scenario(db)
      assert.is((inserted as { rowsAffected: number }).rowsAffected, 2, 'the INSERT fills the new columns (k, id)')
      // On the new t, `id` is not the key: the UPDATE scans, and changes the one row whose id is 5.
      assert.is((updated as { rowsAffected: number }).rowsAffected, 1)
      assert.equal((await db.query('SELECT k, id FROM t ORDER BY k')).rows, [[1, 105], [2, 7]])
      // Planned again, it no longer makes sense: it fails there, with the position it took.
      assert.instance(failed, AcheronError)
      const e = failed as AcheronError
      assert.is(e.code, 'UNKNOWN_COLUMN')
      assert.ok(e.commit !== undefined, 'it was sequenced: the failure has its position')
      if (tmp !== null) {
        const digest = await db.digest()
        await db.close()
        // From an empty checkpoint: the whole log replays, re-planned statements as logged.
        for (const f of ['acheron.db', 'acheron.db-wal', 'acheron.db-shm']) rmSync(join(tmp.dir, f), { force: true })
        const again = await open({ dir: tmp.dir, workers: 1, checkpointIntervalMs: 0 })
        try {
          assert.is(await again.digest(), digest, 'the replanned inputs are what the log holds')
        } finally {
          await again.close()
        }
      }
    } finally {
      if (tmp === null) await db.close()
      tmp?.cleanup()
    }
  })
}

test.run()
