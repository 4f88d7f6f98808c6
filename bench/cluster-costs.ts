// The per-node costs that partitioned execution on a cluster would pay (docs/scale-out.md, "A model of
// scale-out"), each measured alone on this machine, in CPU time (all threads of this process, plus the
// NATS server's where it takes part), so that the model does not depend on how two shared cores were
// divided:
//   exec    executing one WebAssembly transfer and making it durable (embedded, file log, sync full)
//   remote  one remote read: a NATS request and its reply carrying a row (requester, responder, server),
//           alone and 100 to a request (an owner's reads of one batch fetched at once)
//   publish one batch entry published to the stream and acknowledged (the sequencer's side)
//   stream  one node consuming one batch entry of the stream it does not execute (fetch and decode)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect as natsConnect } from 'nats'
import { startLocalNats } from '../src/cluster/local-nats.js'
import { processCpuSeconds } from '../src/bench/process-cpu.js'
import { open } from '../src/index.js'
import { encodeBatch, decodeBatch } from '../src/txn/batch-codec.js'
import type { TxnInput } from '../src/txn/types.js'
import { keyChooser, mulberry32, percentile } from './support/rng.js'

const TRANSFERS = Number(process.env.BENCH_TRANSFERS ?? 100_000)
const KEYS = 100_000
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 20_000)
const IN_FLIGHT = 64
const BATCHES = Number(process.env.BENCH_BATCHES ?? 5_000)
const BATCH_TXNS = 100

const cpuNow = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6 }
const wasm = new Uint8Array(readFileSync(new URL('../guest/bank.wasm', import.meta.url)))

async function execCost(): Promise<{ cpuUs: number; perS: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'acheron-bench-costs-'))
  try {
    const db = await open({ dir, workers: 0, sync: 'full' })
    await db.sql('CREATE TABLE account (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0) PARTITIONS 8;')
    for (const f of ['deposit', 'transfer']) await db.createFunction(`account.${f}`, wasm, { export: f })
    for (let i = 0; i < KEYS; i += 20_000) await db.insert('account', Array.from({ length: 20_000 }, (_, j) => [i + j, 1_000_000]))
    const choose = keyChooser(KEYS, 0, mulberry32(3))
    const wave = async (n: number) => {
      await Promise.all(Array.from({ length: n }, () => { const a = choose(); return db.call('account.transfer', a, (a + 1 + (choose() % (KEYS - 1))) % KEYS, 1) }))
    }
    await wave(20_000) // warm-up
    const [c0, t0] = [cpuNow(), performance.now()]
    for (let done = 0; done < TRANSFERS; done += 4000) await wave(4000)
    const [cpu, secs] = [cpuNow() - c0, (performance.now() - t0) / 1000]
    await db.close()
    return { cpuUs: (cpu / TRANSFERS) * 1e6, perS: TRANSFERS / secs }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** `perRequest` reads in each request (Calvin fetches a batch's remote reads from an owner at once). */
async function remoteReadCost(url: string, natsPid: number, perRequest: number): Promise<{ cpuUs: number; natsUs: number; p50Ms: number; perS: number }> {
  const owner = await natsConnect({ servers: url })
  const reader = await natsConnect({ servers: url })
  const row = new Uint8Array(64 * perRequest).fill(7)
  owner.subscribe('acheron.bench.read', { callback: (_e, m) => m.respond(row) })
  await owner.flush()
  const latencies: number[] = []
  let sent = 0
  const lane = async () => {
    while (sent < REQUESTS) {
      sent++
      const t = performance.now()
      await reader.request('acheron.bench.read', new Uint8Array(16 * perRequest), { timeout: 5000 })
      latencies.push(performance.now() - t)
    }
  }
  const [c0, n0, t0] = [cpuNow(), processCpuSeconds(natsPid), performance.now()]
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane))
  const [cpu, nats, secs] = [cpuNow() - c0, processCpuSeconds(natsPid) - n0, (performance.now() - t0) / 1000]
  await reader.close()
  await owner.close()
  const reads = REQUESTS * perRequest
  return { cpuUs: (cpu / reads) * 1e6, natsUs: (nats / reads) * 1e6, p50Ms: percentile(latencies.sort((a, b) => a - b), 0.5), perS: reads / secs }
}

async function streamCost(url: string, natsPid: number): Promise<{ batchBytes: number; cpuUs: number; natsUs: number; publishUs: number; publishNatsUs: number }> {
  const nc = await natsConnect({ servers: url })
  const jsm = await nc.jetstreamManager()
  await jsm.streams.add({ name: 'BENCH_COSTS', subjects: ['bench.costs'] })
  const js = nc.jetstream()
  const choose = keyChooser(KEYS, 0, mulberry32(9))
  const inputs: TxnInput[] = Array.from({ length: BATCH_TXNS }, () => ({ kind: 'call', fn: 'account.transfer', key: BigInt(choose()), args: [BigInt(choose()), 1n] }))
  const body = encodeBatch(1, Date.UTC(2026, 0, 1), inputs).body
  // The writer's side: each batch entry published and acknowledged (one NATS server: no replication).
  const [p0, pn0] = [cpuNow(), processCpuSeconds(natsPid)]
  for (let i = 0; i < BATCHES; i += 500) await Promise.all(Array.from({ length: Math.min(500, BATCHES - i) }, () => js.publish('bench.costs', body)))
  const [publishCpu, publishNats] = [cpuNow() - p0, processCpuSeconds(natsPid) - pn0]
  // A node that does not execute a batch still reads it and decodes it to find its own transactions.
  const [c0, n0] = [cpuNow(), processCpuSeconds(natsPid)]
  const consumer = await js.consumers.get('BENCH_COSTS') // ordered: pushed in order, no acks
  const messages = await consumer.consume()
  let seen = 0
  let txns = 0
  for await (const m of messages) {
    txns += decodeBatch(m.data).inputs.length
    if (++seen === BATCHES) break
  }
  const [cpu, nats] = [cpuNow() - c0, processCpuSeconds(natsPid) - n0]
  if (txns !== BATCHES * BATCH_TXNS) throw new Error(`decoded ${txns} transactions, expected ${BATCHES * BATCH_TXNS}`)
  await nc.close()
  return { batchBytes: body.length, cpuUs: (cpu / BATCHES) * 1e6, natsUs: (nats / BATCHES) * 1e6, publishUs: (publishCpu / BATCHES) * 1e6, publishNatsUs: (publishNats / BATCHES) * 1e6 }
}

const natsDir = mkdtempSync(join(tmpdir(), 'acheron-bench-costs-nats-'))
const nats = await startLocalNats(natsDir, 1)
try {
  const node = nats.nodes[0]
  if (node === undefined || node.process.pid === undefined) throw new Error('no NATS server')
  const exec = await execCost()
  const remote = await remoteReadCost(node.url, node.process.pid, 1)
  const batched = await remoteReadCost(node.url, node.process.pid, BATCH_TXNS)
  const stream = await streamCost(node.url, node.process.pid)
  process.stdout.write(`exec:   ${exec.cpuUs.toFixed(1)} CPU-us per transfer (embedded, 1 execution thread, file log, sync full; ${exec.perS.toFixed(0)}/s)\n`)
  process.stdout.write(`remote: ${remote.cpuUs.toFixed(1)} CPU-us per remote read in the two nodes + ${remote.natsUs.toFixed(1)} in the NATS server (${IN_FLIGHT} in flight: p50 ${remote.p50Ms.toFixed(2)} ms, ${remote.perS.toFixed(0)}/s)\n`)
  process.stdout.write(`remote, ${BATCH_TXNS} per request: ${batched.cpuUs.toFixed(2)} CPU-us per read in the two nodes + ${batched.natsUs.toFixed(2)} in the NATS server (${batched.perS.toFixed(0)} reads/s)\n`)
  process.stdout.write(`publish: ${stream.publishUs.toFixed(1)} CPU-us per batch entry published and acknowledged + ${stream.publishNatsUs.toFixed(1)} in the NATS server\n`)
  process.stdout.write(`stream: ${stream.cpuUs.toFixed(1)} CPU-us per ${BATCH_TXNS}-transfer batch entry (${stream.batchBytes} bytes) consumed and decoded + ${stream.natsUs.toFixed(1)} in the NATS server\n`)
} finally {
  await nats.stop()
  rmSync(natsDir, { recursive: true, force: true })
}
