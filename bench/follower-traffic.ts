// Clients connected to followers, measured: a writer and two followers (`acheron serve --log-nats`, one
// NATS server), with the clients spread over the two followers, for
//   - transfers: WebAssembly transfers, which the followers forward to the writer
//     (src/cluster/forwarding.ts: the requests of one turn share a NATS message each way);
//   - reads: range sums over 100 rows (`SELECT SUM(balance) … BETWEEN`), which a follower answers itself
//     at a read position from the writer with --follower-reads on, and forwards with it off;
//   - mixed: transfers by clients of the writer, reads by clients of the followers.
// CPU time per process per operation shows what each side pays. Every process shares this machine's two
// cores with the clients: what matters is the writer's CPU per operation (it bounds a cluster).
import { processCpuSeconds } from '../src/bench/process-cpu.js'
import { connect, type RemoteDatabase } from '../src/index.js'
import { percentile, unitRandomKeys } from './support/ws-support.js'
import { startBankStream } from './support/bank-stream.js'

const KEYS = 100_000
const RANGE = 100
const DURATION_MS = Number(process.env.BENCH_SECONDS ?? 6) * 1000
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 32)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1)

type Workload = 'transfers' | 'reads' | 'mixed'
const WORKLOADS = (process.env.BENCH_WORKLOADS ?? 'transfers,reads,mixed').split(',') as Workload[]
const READS = (process.env.BENCH_FOLLOWER_READS ?? 'on,off').split(',')

interface Counted { ops: number; latencies: number[] }

async function measure(workload: Workload, followerReads: string): Promise<string> {
  // BENCH_FOLLOWER_READS=default passes no flag (the server's default; also what an older build takes).
  const stream = await startBankStream(followerReads === 'default' ? [] : ['--follower-reads', followerReads], KEYS)
  const nodes = stream.nodes
  try {
    // Transfers: clients on the followers (or, mixed, on the writer); reads: clients on the followers.
    const on = (i: number, writer: boolean): string => nodes[writer ? 0 : 1 + (i % 2)]?.url as string
    const transferClients = workload === 'transfers' ? CLIENTS : workload === 'mixed' ? CLIENTS / 2 : 0
    const readClients = CLIENTS - transferClients
    const transferDbs: RemoteDatabase[] = await Promise.all(Array.from({ length: transferClients }, (_, i) => connect(on(i, workload === 'mixed'))))
    const readDbs: RemoteDatabase[] = await Promise.all(Array.from({ length: readClients }, (_, i) => connect(on(i, false))))
    const next = unitRandomKeys(KEYS, CLIENTS * 11)
    const transfers: Counted = { ops: 0, latencies: [] }
    const reads: Counted = { ops: 0, latencies: [] }
    const pids = stream.pids
    const cpu0 = pids.map((p) => processCpuSeconds(p))
    const started = performance.now()
    const timed = async (c: Counted, op: () => Promise<unknown>): Promise<void> => {
      const t0 = performance.now()
      await op()
      c.latencies.push(performance.now() - t0)
      c.ops++
    }
    await Promise.all([
      ...transferDbs.map(async (db) => {
        while (performance.now() - started < DURATION_MS) {
          const a = next()
          const b = (a + 1 + (next() % (KEYS - 1))) % KEYS
          await timed(transfers, () => db.call('account.transfer', a, b, 1))
        }
      }),
      ...readDbs.map(async (db) => {
        while (performance.now() - started < DURATION_MS) {
          const lo = next() % (KEYS - RANGE)
          await timed(reads, () => db.sql('SELECT SUM(balance) FROM account WHERE id BETWEEN ? AND ?', [lo, lo + RANGE - 1]))
        }
      }),
    ])
    const secs = (performance.now() - started) / 1000
    const cpu = pids.map((p, i) => processCpuSeconds(p) - (cpu0[i] as number))
    for (const db of [...transferDbs, ...readDbs]) await db.close()
    const ops = transfers.ops + reads.ops
    const perOp = (s: number): string => ((s / ops) * 1e6).toFixed(1)
    const row = (c: Counted): string => {
      if (c.ops === 0) return '– | – | –'
      const sorted = Float64Array.from(c.latencies).sort()
      return `${Math.round(c.ops / secs).toLocaleString('en-US')} | ${percentile(sorted, 0.5).toFixed(2)} | ${percentile(sorted, 0.99).toFixed(2)}`
    }
    return `| ${workload} | ${followerReads} | ${row(transfers)} | ${row(reads)} | ${perOp(cpu[0] ?? 0)} | ${perOp(((cpu[1] ?? 0) + (cpu[2] ?? 0)) / 2)} | ${perOp(cpu.slice(3).reduce((a, b) => a + b, 0))} |`
  } finally {
    await stream.stop()
  }
}

console.log(`a writer and two followers on one NATS server, ${CLIENTS} clients × 1 in flight (mixed: half on the writer), ${KEYS.toLocaleString('en-US')} accounts, ${DURATION_MS / 1000} s per row`)
console.log('| workload | follower reads | transfers/s | p50 ms | p99 ms | reads/s | p50 ms | p99 ms | writer CPU µs/op | each follower CPU µs/op | NATS CPU µs/op |')
console.log('|---|---|---|---|---|---|---|---|---|---|---|')
for (let round = 0; round < ROUNDS; round++) {
  for (const workload of WORKLOADS) {
    for (const reads of workload === 'transfers' ? [READS[0] as string] : READS) console.log(await measure(workload, reads))
  }
}
