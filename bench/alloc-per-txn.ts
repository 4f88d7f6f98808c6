// Bytes the coordinator's thread allocates per embedded WebAssembly transfer (workers: 0, the default on
// two cores), by V8's sampling heap profiler with the objects the young and old collections freed counted
// too: what drives the scavenges that were a sixth of that thread's time. Unlike throughput, the count
// barely moves with the machine's load, so a change to the hot path can be judged on a busy machine. The
// top allocating functions follow (inlined functions count in their caller's line).
//
//   node --max-semi-space-size=64 dist/bench/alloc-per-txn.js [--txns N] [--top N]
import { Session } from 'node:inspector/promises'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { open } from '../src/index.js'
import { mulberry32 } from './support/rng.js'

const { values: args } = parseArgs({
  options: {
    txns: { type: 'string', default: '100000' },
    top: { type: 'string', default: '12' },
  },
})
const KEYS = 100_000
const IN_FLIGHT = 2000
const TXNS = Number(args.txns)
/** Bytes between two samples: small enough for a stable total over 100,000 transfers. */
const SAMPLING_INTERVAL = 1024

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number }
  selfSize: number
  children: ProfileNode[]
}

const dir = mkdtempSync(join(tmpdir(), 'acheron-bench-alloc-'))
const db = await open({ dir, workers: 0, sync: 'full' })
await db.createTable({ name: 'account', columns: [{ name: 'id', type: 'INTEGER', primaryKey: true }, { name: 'balance', type: 'INTEGER', notNull: true, default: 0 }] })
const wasm = new Uint8Array(readFileSync(new URL('../guest/bank.wasm', import.meta.url)))
for (const f of ['deposit', 'transfer']) await db.createFunction(`account.${f}`, wasm)
for (let i = 0; i < KEYS; i += 20_000) await db.insert('account', Array.from({ length: 20_000 }, (_, j) => [i + j, 1_000_000]))

const rand = mulberry32(7)
const key = (): number => Math.floor(rand() * KEYS)
async function transfers(n: number): Promise<void> {
  let started = 0
  const client = async (): Promise<void> => {
    while (started < n) {
      started++
      const a = key()
      let b = key()
      if (b === a) b = (a + 1) % KEYS
      await db.call('account.transfer', a, b, 1)
    }
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, client))
}

await transfers(TXNS / 2) // warm-up: optimised code, pooled instances
const session = new Session()
session.connect()
await session.post('HeapProfiler.enable')
await session.post('HeapProfiler.startSampling', { samplingInterval: SAMPLING_INTERVAL, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true })
const cpu0 = process.cpuUsage()
const t0 = performance.now()
await transfers(TXNS)
const ms = performance.now() - t0
const cpu = process.cpuUsage(cpu0)
const { profile } = await session.post('HeapProfiler.stopSampling') as { profile: { head: ProfileNode } }
session.disconnect()
await db.close()
rmSync(dir, { recursive: true, force: true })

const bySite = new Map<string, number>()
let total = 0
const visit = (n: ProfileNode): void => {
  total += n.selfSize
  const f = n.callFrame
  const site = `${f.functionName || '(anonymous)'} ${f.url === '' ? '(native)' : `${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`}`
  bySite.set(site, (bySite.get(site) ?? 0) + n.selfSize)
  n.children.forEach(visit)
}
visit(profile.head)
console.log(`Embedded WebAssembly transfers, workers 0, ${IN_FLIGHT} in flight, ${TXNS} measured after ${TXNS / 2} to warm up`)
console.log(`| bytes allocated per transfer (main thread) | txn/s while sampled | process CPU µs/txn |`)
console.log(`|---|---|---|`)
console.log(`| ${Math.round(total / TXNS)} | ${Math.round(TXNS / ms * 1000)} | ${((cpu.user + cpu.system) / TXNS).toFixed(1)} |`)
console.log('')
console.log('| bytes per transfer | allocated in (compiled file:line) |')
console.log('|---|---|')
for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, Number(args.top))) console.log(`| ${Math.round(bytes / TXNS)} | ${site} |`)
