// Transfers against `acheron cluster --nodes N` (N = 1, 2, 3): N NATS servers and N nodes on one stream
// (R3 from three), every node executing every batch, followers forwarding their clients' requests to the
// writer. C clients (closed loop, 1 in flight each) either all on the writer, or spread over the nodes.
// On one machine the nodes and NATS servers share its cores with the clients: this measures what
// followers and forwarding cost, not how a cluster of machines scales (docs/scale-out.md).
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { connect, type RemoteDatabase } from '../src/index.js'
import { percentile, timedTransfer, unitRandomKeys } from './support/ws-support.js'
import { SERVER_NODE_FLAGS } from '../src/cli/node-flags.js'

const KEYS = 10_000
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 32)
const DURATION_MS = Number(process.env.BENCH_SECONDS ?? 6) * 1000
const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url))
const wasm = readFileSync(new URL('../guest/bank.wasm', import.meta.url)).toString('hex')

async function startCluster(nodes: number, dir: string): Promise<{ urls: string[]; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, cli, 'cluster', '--nodes', String(nodes), '--data', dir], { stdio: ['ignore', 'pipe', 'ignore'] })
  const urls = await new Promise<string[]>((resolve, reject) => {
    const got: string[] = []
    child.once('exit', (code) => reject(new Error(`acheron cluster exited ${code}`)))
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /listening on (ws:\/\/\S+)$/.exec(line)
      if (m !== null && got.push(m[1] as string) === nodes) resolve(got)
    })
  })
  child.removeAllListeners('exit')
  return { urls, stop: () => new Promise((resolve) => { child.once('exit', () => resolve()); child.kill('SIGTERM') }) }
}

async function run(nodes: number, spread: boolean): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'acheron-bench-cluster-'))
  const cluster = await startCluster(nodes, dir)
  try {
    const admin = await connect(cluster.urls[0] as string)
    await admin.sql(`CREATE TABLE account (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0) PARTITIONS 8;
      CREATE FUNCTION account.transfer FROM WASM X'${wasm}'; CREATE FUNCTION account.deposit FROM WASM X'${wasm}';`)
    for (let i = 0; i < KEYS; i += 5000) {
      await admin.sql(`INSERT INTO account VALUES ${Array.from({ length: 5000 }, (_, j) => `(${i + j}, 1000000000)`).join(', ')}`)
    }
    await admin.close()
    const clients: RemoteDatabase[] = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => connect(cluster.urls[spread ? i % nodes : 0] as string)))
    const next = unitRandomKeys(KEYS, nodes * 31 + (spread ? 1 : 0))
    const latencies: number[] = []
    const started = performance.now()
    await Promise.all(clients.map(async (db) => {
      while (performance.now() - started < DURATION_MS) {
        await timedTransfer(db, next, KEYS, latencies)
      }
    }))
    const secs = (performance.now() - started) / 1000
    for (const db of clients) await db.close()
    const sorted = Float64Array.from(latencies).sort()
    return `| ${nodes} | ${spread ? 'spread over the nodes' : 'all on the writer'} | ${Math.round(latencies.length / secs).toLocaleString('en-US')} | ${percentile(sorted, 0.5).toFixed(2)} | ${percentile(sorted, 0.99).toFixed(2)} |`
  } finally {
    await cluster.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

console.log(`acheron cluster: ${CLIENTS} clients × 1 in flight, wasm transfers over ${KEYS} keys, ${DURATION_MS / 1000}s per row`)
console.log('| nodes | clients | txn/s | p50 ms | p99 ms |')
console.log('|---|---|---|---|---|')
for (const nodes of [1, 2, 3]) {
  console.log(await run(nodes, false))
  if (nodes > 1) console.log(await run(nodes, true))
}
