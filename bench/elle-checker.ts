/**
 * Elle-style checker throughput: time to check valid random serial list-append histories of 10^2 … 10^5
 * transactions (~4 ops per transaction, 256 keys in play at a time, each retired after 32 appends,
 * 16 clients, real-time edges on), and histories checked per second at 200 transactions each.
 * Generation is not timed. Run: node dist/bench/elle-checker.js
 */
import { checkListAppend, generateSerialHistory, type HistoryTxn } from '../src/testing/elle/index.js'

const SIZES = [100, 1_000, 10_000, 100_000]
/** Per size, repeat until this much checking time has passed (at least 3 runs), and report the median. */
const TIME_PER_SIZE_MS = 2000
const SMALL_TXNS = 200
const SMALL_DURATION_MS = 3000

const historyOf = (txns: number, seed: number): HistoryTxn[] =>
  generateSerialHistory({ seed, txns, processes: 16, keysActive: 256, appendsPerKeyMax: 32, opsPerTxnMax: 7 }).history

function timeCheck(history: readonly HistoryTxn[]): { ms: number; edges: number } {
  const started = performance.now()
  const res = checkListAppend(history)
  const ms = performance.now() - started
  if (!res.valid) throw new Error(`a serial history was reported invalid: ${res.anomalies[0]?.explanation}`)
  return { ms, edges: res.stats.edges }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })

checkListAppend(historyOf(2000, 99)) // warm-up
console.log(`${'txns'.padStart(8)} ${'ops'.padStart(9)} ${'edges'.padStart(10)} ${'runs'.padStart(5)} ${'median ms'.padStart(10)} ${'µs/txn'.padStart(8)}`)
for (const n of SIZES) {
  const history = historyOf(n, n)
  const ops = history.reduce((s, t) => s + t.ops.length, 0)
  const times: number[] = []
  let edges = 0
  let spent = 0
  while (times.length < 3 || spent < TIME_PER_SIZE_MS) {
    const { ms, edges: e } = timeCheck(history)
    times.push(ms)
    edges = e
    spent += ms
  }
  const ms = median(times)
  console.log(`${fmt(n).padStart(8)} ${fmt(ops).padStart(9)} ${fmt(edges).padStart(10)} ${String(times.length).padStart(5)} ${fmt(ms, 1).padStart(10)} ${fmt((ms * 1000) / n, 2).padStart(8)}`)
}

const small = Array.from({ length: 64 }, (_, i) => historyOf(SMALL_TXNS, 1000 + i))
let checked = 0
let spent = 0
while (spent < SMALL_DURATION_MS) spent += timeCheck(small[checked++ % small.length]!).ms
console.log(`\n${SMALL_TXNS}-transaction histories: ${fmt((checked / spent) * 1000)} checked/s (${checked} in ${fmt(spent)} ms of checking)`)
