// More replicas than the NATS cluster has servers: refused at once, saying how many servers there are
// and the way out. JetStream answers such a create with "no suitable peers for placement", which the open
// retried for LOG_OPEN_TIMEOUT_MS (90 s) and then said "did not answer … is a majority of the NATS cluster
// up?": it had answered, and waiting never helps. With no more replicas than servers the open goes on.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as assert from 'uvu/assert'
import { test } from 'uvu'
import { WriterLease } from '../../src/cluster/writer-lease.js'
import { JetStreamBatchLog } from '../../src/log/jetstream-log.js'
import { natsTest, withNats } from '../support/nats.js'
import { tempDir } from '../support/tmp.js'

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))

/** The refusal, for `what` (the stream R5, the lease's bucket) on a cluster of three servers. */
const refusal = (what: string): RegExp => new RegExp(`^cannot create ${what} with 5 replicas: the NATS cluster has only 3 servers, and JetStream keeps at most one replica on each \\(no suitable peers for placement\\)\\. Give --log-replicas 3 or fewer`)

natsTest('a stream or lease bucket of 5 replicas on a NATS cluster of 3 servers is refused at once, naming the servers there are; R3 opens', async () => {
  await withNats(3, async (nats) => {
    // As many replicas as servers: opened, once the new cluster has elected its JetStream leader (what
    // it says meanwhile, a "no suitable peers" while its servers join among them, is waited out).
    const r3 = await JetStreamBatchLog.open({ servers: nats.urls, stream: 'R3', replicas: 3 })
    await r3.close()
    // A short open timeout: before, the open waited it out and said "did not answer within 5 s".
    const log = await JetStreamBatchLog.open({ servers: nats.urls, stream: 'R5', replicas: 5, openTimeoutMs: 5000 }).then(() => null, (e: Error) => e)
    assert.match(log?.message ?? '', refusal('the stream R5'), log?.message)
    const lease = await WriterLease.open(nats.urls, 'R5', 'node', 5).then(() => null, (e: Error) => e)
    assert.match(lease?.message ?? '', refusal('the bucket acheron-R5 of the writer lease'), lease?.message)
  })
})

natsTest('acheron serve --log-nats <3 servers> --log-replicas 5 exits 1 saying so (it waited 90 s, then asked whether a majority was up)', async () => {
  await withNats(3, async (nats) => {
    const { dir, cleanup } = tempDir()
    try {
      const r = spawnSync(process.execPath, [CLI, 'serve', '--data', join(dir, 'node'), '--port', '0', '--log-nats', nats.urls.join(','), '--log-replicas', '5', '--log-stream', 'R5'], { encoding: 'utf8', timeout: 60_000 })
      assert.is(r.status, 1, `${r.signal ?? ''} ${r.stderr}`)
      assert.match(r.stderr, 'cannot create the stream R5 with 5 replicas: the NATS cluster has only 3 servers')
      assert.not.match(r.stderr, /did not answer within/)
    } finally {
      cleanup()
    }
  })
})

test.run()
