// The batch log's durable append, one at a time (the latency a small batch waits for before its replies):
// FileBatchLog with sync 'full' (O_DSYNC), each append awaited before the next, with its entries written
// over preallocated zeros (the default) and, alternated in the same run, without (each write grows the
// file, as the log did before preallocation). Then what the same append costs while both cores are busy
// (two spinning processes: as under a benchmark whose clients share the machine), and what two O_DSYNC
// writes in flight at once give over one (the design question of overlapping the log's writes).
// `npm run bench` runs it.
import { spawn, type ChildProcess } from 'node:child_process'
import { constants as fsConstants, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { open as openFile } from 'node:fs/promises'
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

/** Two processes spinning on the two cores, until stopped. */
function busyCores(): ChildProcess[] {
  return [0, 1].map(() => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }))
}

console.log('')
console.log(`The same appends (preallocated), ${APPENDS} per run, with the cores idle and with both cores busy (two spinning processes), alternated`)
console.log('| cores | mean µs | p50 µs | p99 µs |')
console.log('|---|---|---|---|')
for (let round = 0; round < 2; round++) {
  console.log(row('idle', ...Object.values(await batchLog(LOG_PREALLOCATE_BYTES)) as [number[], number]))
  const spinners = busyCores()
  await new Promise((r) => setTimeout(r, 200))
  try {
    console.log(row('both busy', ...Object.values(await batchLog(LOG_PREALLOCATE_BYTES)) as [number[], number]))
  } finally {
    for (const c of spinners) c.kill('SIGKILL')
  }
}

/** `lanes` O_DSYNC writes in flight at once, each at the next offset of a zero-filled file, for `writes` writes in all. */
async function lanes(lanes: number, writes: number): Promise<{ latencies: number[]; total: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'acheron-bench-lanes-'))
  const file = join(dir, 'lanes')
  try {
    writeFileSync(file, new Uint8Array((writes + 1) * BODY_BYTES))
    const h = await openFile(file, fsConstants.O_RDWR | fsConstants.O_DSYNC)
    const body = new Uint8Array(BODY_BYTES).fill(7)
    const latencies: number[] = []
    let next = 0
    const start = performance.now()
    const lane = async (): Promise<void> => {
      for (let i = next++; i < writes; i = next++) {
        const t = performance.now()
        await h.write(body, 0, BODY_BYTES, i * BODY_BYTES)
        latencies.push(performance.now() - t)
      }
    }
    await Promise.all(Array.from({ length: lanes }, lane))
    const total = performance.now() - start
    await h.close()
    return { latencies, total }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

console.log('')
console.log(`O_DSYNC writes of ${BODY_BYTES} bytes at consecutive offsets, one or two in flight at once, ${APPENDS} per run, alternated ("mean µs" is the time per write: the inverse of the rate)`)
console.log('| in flight | mean µs | p50 µs | p99 µs |')
console.log('|---|---|---|---|')
for (let round = 0; round < 2; round++) {
  for (const n of [1, 2]) {
    const r = await lanes(n, APPENDS)
    console.log(row(String(n), r.latencies, r.total))
  }
}
