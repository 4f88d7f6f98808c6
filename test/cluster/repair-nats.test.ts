// acheron verify --repair on the directory of a node whose batch log is a NATS JetStream stream: that
// directory holds the checkpoint only, and a log/ in it (a start without --log-nats makes one) is not
// the node's log. The repair refuses, naming why and what to do instead; doing that gets the rows back.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { open, type AcheronError, type OpenOptions } from '../../src/index.js'
import { NATS_LOG_FILE } from '../../src/storage/nats-log-mark.js'
import { damageLeafPage } from '../support/damaged-page.js'
import { natsTest, withNats } from '../support/nats.js'
import { tempDir } from '../support/tmp.js'

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))

function repair(dir: string): { code: number; out: string } {
  const r = spawnSync(process.execPath, [CLI, 'verify', '--data', dir, '--repair'], { encoding: 'utf8', timeout: 60_000 })
  return { code: r.status ?? -1, out: r.stdout + r.stderr }
}

async function rows(options: OpenOptions): Promise<unknown> {
  const db = await open({ workers: 0, log: () => {}, ...options })
  try {
    return (await db.sql('SELECT COUNT(*), SUM(v) FROM kv'))[0]?.rows
  } finally {
    await db.close()
  }
}

const aside = (dir: string): string[] => readdirSync(dir).filter((n) => n.startsWith('damaged-'))

natsTest('verify --repair refuses a NATS node\'s directory, its stray log/ too, and says what to do; doing it gets the rows back', async () => {
  await withNats(1, async (nats) => {
    const { dir, cleanup } = tempDir()
    try {
      const natsLog = { servers: nats.urls, stream: 'REPAIR' }
      const db = await open({ dir, workers: 0, natsLog, log: () => {} })
      await db.sql('CREATE TABLE kv (k INTEGER PRIMARY KEY, v INTEGER NOT NULL, s TEXT) PARTITIONS 2')
      for (let j = 0; j < 4; j++) await db.insert('kv', Array.from({ length: 5000 }, (_, i) => [j * 5000 + i, j * 5000 + i, 'x'.repeat(40)]))
      await db.close()
      assert.equal(JSON.parse(readFileSync(join(dir, NATS_LOG_FILE), 'utf8')), { batchLog: 'nats', stream: 'REPAIR' })
      const before = await rows({ dir, natsLog })
      // A start without --log-nats is refused now, marked or not (test/unit/nats-node-dir.test.ts); one by
      // an acheron from before that made log/ (and trace-bases/) of its own, as an open does once log/ is there.
      assert.is(await rows({ dir }).then(() => null, (e: AcheronError) => e.code), 'DATA_DIR_UNUSABLE')
      const mark = readFileSync(join(dir, NATS_LOG_FILE))
      rmSync(join(dir, NATS_LOG_FILE))
      assert.is(await rows({ dir }).then(() => null, (e: AcheronError) => e.code), 'DATA_DIR_UNUSABLE')
      mkdirSync(join(dir, 'log'))
      await rows({ dir })
      writeFileSync(join(dir, NATS_LOG_FILE), mark)
      assert.ok(existsSync(join(dir, 'log')))
      damageLeafPage(dir)

      const r = repair(dir)
      // Before: it rebuilt acheron.db from that log/ (no batch in it: an empty state) and found it sound, exit 0.
      assert.is(r.code, 1, r.out)
      assert.ok(r.out.includes(`--repair: ${dir} is a node whose batch log is the NATS JetStream stream REPAIR (${NATS_LOG_FILE}); its log/ is not that log (a start without --log-nats made it): --repair rebuilds a checkpoint only from the directory's own log. Instead, move acheron.db* and log/ aside and start the node with its --log-nats`), r.out)
      assert.match(r.out, /; nothing was changed$/m)
      assert.equal(aside(dir), [])

      // A node's directory from before the mark, with that log/: refused too, as the log ends before the
      // batches the damaged checkpoint holds.
      rmSync(join(dir, NATS_LOG_FILE))
      const unmarked = repair(dir)
      assert.is(unmarked.code, 1, unmarked.out)
      assert.match(unmarked.out, /--repair: the damaged acheron\.db says it holds batches up to \d+, and the log ends with no batch/)
      assert.equal(aside(dir), [])

      // What the message says to do: the node replays the stream into a new checkpoint.
      for (const f of ['acheron.db', 'acheron.db-wal', 'acheron.db-shm', 'log']) {
        if (existsSync(join(dir, f))) renameSync(join(dir, f), join(dir, `${f}.damaged`))
      }
      assert.equal(await rows({ dir, natsLog }), before)
    } finally {
      cleanup()
    }
  })
})

test.run()
