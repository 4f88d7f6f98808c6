// EXPLAIN COMMIT on a node whose batch log is a NATS JetStream stream: the thread re-running a position
// reads the stream itself (on a connection of its own) after the node's checkpoint, or from its first
// batch, and the trace ends with what the transaction's reply said.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { open } from '../../src/index.js'
import { bank, explainCommit, said, transfers, verdict } from '../support/commit-trace.js'
import { natsTest, withNats } from '../support/nats.js'
import { tempDir } from '../support/tmp.js'

natsTest('EXPLAIN COMMIT with the log on JetStream: positions re-run from the stream to what their replies said', async () => {
  await withNats(1, async (nats) => {
    const { dir, cleanup } = tempDir()
    // A checkpoint every 200 ms: some positions are rebuilt from the checkpoint, others from before it.
    const db = await open({ dir, workers: 0, checkpointIntervalMs: 200, natsLog: { servers: nats.urls, stream: 'EXPLAIN' } })
    try {
      await bank(db)
      const early = await transfers(db, 8, 1, 4, 'a0')
      await new Promise((resolve) => setTimeout(resolve, 500))
      const late = await transfers(db, 9, 1, 4, 'a1')
      const picked = [early, late].map((replies) => replies.find((r) => r.commit.seq > 0))
      const from: string[] = []
      for (const r of picked) {
        assert.ok(r !== undefined, 'a batch of several transfers')
        const rows = await explainCommit(db, r.commit)
        assert.equal(verdict(rows, r.commit), said(r), `(${r.commit.batch}, ${r.commit.seq})`)
        from.push(String(rows[0]?.detail))
      }
      // From the stream's start, or from the copy of the checkpoint kept for EXPLAIN COMMIT when that copy
      // was taken before the early batch (trace-bases.ts): either way, older than the checkpoint.
      assert.match(from[0] ?? '', /: (an empty state \+ batches 1 to \d+|a copy of the checkpoint \(batches up to \d+\)( \+ batch(es \d+ to)? \d+)?) \+ seq 0 to/)
      assert.ok(db.stats.checkpointBatch >= (picked[0]?.commit.batch ?? Infinity), `checkpoint at ${db.stats.checkpointBatch}`)
    } finally {
      await db.close()
      cleanup()
    }
  })
})

test.run()
