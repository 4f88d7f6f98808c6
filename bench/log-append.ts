// The batch log's durable append, one at a time (the latency a small batch waits for before its replies):
// FileBatchLog with sync 'full' (O_DSYNC), each append awaited before the next, with its entries written
// over preallocated zeros (the default) and, alternated in the same run, without (each write grows the
// file, as the log did before preallocation). `npm run bench` runs it.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FileBatchLog, LOG_PREALLOCATE_BYTES } from '../src/log/file-log.js'
import { percentile } from './support/rng.js'

const APPENDS = Number(process.env.BENCH_APPENDS ?? 3000)
const BODY_BYTES = 1200 // a batch of ~15 small calls

function row(label: string, latenciesMs: number[], totalMs: number): string {
  const sorted = [...latenciesMs].sort((a, b) => a - b)
  const us = (ms: number): string => (ms * 1000).toFixed(0)
  return `| ${label} | ${us(totalMs / latenciesMs.length)} | ${us(percentile(sorted, 0.5))} | ${us(percentile(sorted, 0.99))} |`
}

async function batchLog(preallocateBytes: number): Promise<{ latencies: number[]; total: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'acheron-bench-log-'))
  try {
    const log = await FileBatchLog.open({ dir, sync: 'full', preallocateBytes })
    const body = new Uint8Array(BODY_BYTES).fill(7)
    const latencies: number[] = []
    const start = performance.now()
    for (let i = 1; i <= APPENDS; i++) {
      const t = performance.now()
      await log.append({ kind: 'batch', batch: i, body })
      latencies.push(performance.now() - t)
    }
    const total = performance.now() - start
    await log.close()
    return { latencies, total }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

console.log(`FileBatchLog durable appends (sync full) of ${BODY_BYTES}-byte entries, one at a time, ${APPENDS} per run, alternated`)
console.log('| segment | mean µs | p50 µs | p99 µs |')
console.log('|---|---|---|---|')
for (let round = 0; round < 2; round++) {
  for (const [label, bytes] of [['preallocated (default)', LOG_PREALLOCATE_BYTES], ['growing with each write', 0]] as const) {
    const r = await batchLog(bytes)
    console.log(row(label, r.latencies, r.total))
  }
}
