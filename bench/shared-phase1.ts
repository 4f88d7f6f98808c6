// Phase 1 shared with the followers (src/txn/shared-phase1.ts), measured: a writer and two followers
// (`acheron serve --log-nats`, one NATS server), closed-loop WebAssembly transfers on the writer, and
// the CPU each process spent per transaction, for
//   - serial: what a stream's nodes ran before (no phase 1, nothing to share),
//   - aria, --share-phase1 off: phase 1, all of it on the writer,
//   - aria, --share-phase1 on: the followers run their partitions' share of it.
// Every process shares this machine's cores, so throughput here says little about a cluster of machines;
// the writer's CPU per transaction is what bounds one (docs/scale-out.md).
import { processCpuSeconds } from '../src/bench/process-cpu.js'
import { connect, type RemoteDatabase } from '../src/index.js'
import { percentile, timedTransfer, unitRandomKeys } from './support/ws-support.js'
import { startBankStream } from './support/bank-stream.js'

const KEYS = 100_000
const DURATION_MS = Number(process.env.BENCH_SECONDS ?? 6) * 1000
const ROWS = (process.env.BENCH_ROWS ?? '32x1,64x4').split(',').map((r) => r.split('x').map(Number) as [number, number])
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1)
/** Transactions a second offered in all (0: as fast as the closed loop goes). */
const RATE = Number(process.env.BENCH_RATE ?? 0)

interface Arm { name: string; args: string[] }
const ALL_ARMS: Arm[] = [
  { name: 'serial', args: ['--protocol', 'serial', '--share-phase1', 'off'] },
  { name: 'aria, sharing off', args: ['--protocol', 'aria', '--share-phase1', 'off'] },
  { name: 'aria, sharing on', args: ['--protocol', 'aria', '--share-phase1', 'on'] },
]
/** BENCH_ARMS=2 (or 0,2): only those arms, by index. */
const ARMS = process.env.BENCH_ARMS === undefined ? ALL_ARMS : process.env.BENCH_ARMS.split(',').map((i) => ALL_ARMS[Number(i)] as Arm)

async function measure(arm: Arm, clients: number, inflight: number): Promise<string> {
  const stream = await startBankStream(arm.args, KEYS)
  const nodes = stream.nodes
  try {
    const dbs: RemoteDatabase[] = await Promise.all(Array.from({ length: clients }, () => connect(nodes[0]?.url as string)))
    const next = unitRandomKeys(KEYS, clients * 7 + inflight)
    const latencies: number[] = []
    const pids = stream.pids
    const cpu0 = pids.map((p) => processCpuSeconds(p))
    const started = performance.now()
    const lanes = clients * inflight
    await Promise.all(dbs.flatMap((db, c) => Array.from({ length: inflight }, async (_, l) => {
      for (let k = 0; performance.now() - started < DURATION_MS; k++) {
        // BENCH_RATE: each lane waits for its turn, so that the writer gets RATE transactions a second.
        if (RATE > 0) {
          const due = started + ((k * lanes + c * inflight + l) / RATE) * 1000
          const wait = due - performance.now()
          if (wait > 0) await new Promise((r) => setTimeout(r, wait))
          if (performance.now() - started >= DURATION_MS) break
        }
        await timedTransfer(db, next, KEYS, latencies)
      }
    })))
    const secs = (performance.now() - started) / 1000
    const cpu = pids.map((p, i) => processCpuSeconds(p) - (cpu0[i] as number))
    for (const db of dbs) await db.close()
    const n = latencies.length
    const perTxn = (s: number): string => ((s / n) * 1e6).toFixed(1)
    const sorted = Float64Array.from(latencies).sort()
    const followersCpu = (cpu[1] ?? 0) + (cpu[2] ?? 0)
    const natsCpu = cpu.slice(3).reduce((a, b) => a + b, 0)
    return `| ${arm.name} | ${clients} × ${inflight} | ${Math.round(n / secs).toLocaleString('en-US')} | ${percentile(sorted, 0.5).toFixed(2)} | ${percentile(sorted, 0.99).toFixed(2)} | ${perTxn(cpu[0] ?? 0)} | ${perTxn(followersCpu / 2)} | ${perTxn(natsCpu)} |`
  } finally {
    await stream.stop()
  }
}

console.log(`a writer and two followers on one NATS server: wasm transfers over ${KEYS.toLocaleString('en-US')} keys on the writer, ${DURATION_MS / 1000} s per row${RATE > 0 ? `, ${RATE.toLocaleString('en-US')} offered a second` : ''}`)
console.log('| writer and followers | clients × in flight | txn/s | p50 ms | p99 ms | writer CPU µs/txn | each follower CPU µs/txn | NATS CPU µs/txn |')
console.log('|---|---|---|---|---|---|---|---|')
for (let round = 0; round < ROUNDS; round++) {
  for (const [clients, inflight] of ROWS) {
    for (const arm of ARMS) console.log(await measure(arm, clients, inflight))
  }
}
