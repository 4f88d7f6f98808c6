// The victim of the crash-recovery test (test/property/crash-recovery.test.ts): a process that opens an
// embedded Acheron with `sync: 'full'` and streams two-key transactions at it until it is killed.
//
//   node dist/test/support/crash-child.js <dir> <seed> [first=1] [count=5000] [concurrency=50] [dieAtBatch=0] [crashAt]
//
// Transaction n (first <= n < first+count) has the tag `t<n>`; it appends the tag to the `log` of two
// different keys and increments `v` on both: the first key by its own program, the second by a nested
// `call` to kv.run (normally on another partition). Which keys is a pure function of (seed, n)
// (`keysOf`), so the parent can tell where every tag it finds must be. Events go to stdout, one line
// each, written synchronously (a line printed is a line the parent gets, even on SIGKILL right after):
//   phase <name>                       progress of the setup ('start', 'opened', 'ready'), and 'done'
//   batch <n> <tags>                   batch n is durable (onBatch), its replies not yet released; tags
//                                      are its transactions' tags, comma-separated ('-' when none)
//   ack <tag> <batch> <seq> <kA> <kB>  the transaction's acknowledgement reached this client
//   fail <tag> <code> <message>        the transaction was acknowledged as failed (never expected)
// With dieAtBatch = K > 0 the child SIGKILLs itself inside onBatch of the K-th batch it sees, right after
// printing its line: the exact instant between a batch's durability and its replies. With crashAt
// (EVENT:N, src/crash-points.ts) the engine SIGKILLs the process at the N-th instant of that kind: in the
// middle of a log write, inside a checkpoint, between two segment deletions; checkpoints are then taken
// every few milliseconds and log segments are small, so every kind comes up.
import { uint32Random } from './rng.js'
import { writeSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseCrashAt } from '../../src/crash-points.js'
import { open, type EmbeddedDatabase } from '../../src/index.js'
import { partitionOf } from '../../src/schema/keys.js'
import type { TableDef } from '../../src/schema/catalog.js'
import { JS_RUNTIME, type Step } from './js-runtime.js'

export const TABLE = 'kv'
export const FN = 'kv.run'
export const PARTITIONS = 4
/** Keys 0..KEYS-1. */
export const KEYS = 40


const PARTITION_TABLE = { partitions: PARTITIONS } as TableDef
export function partitionOfKey(k: number): number {
  return partitionOf(PARTITION_TABLE, BigInt(k))
}

/** The two keys of transaction n: different keys, on different partitions except one time in eight. */
export function keysOf(seed: number, n: number): [number, number] {
  const rnd = uint32Random((Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(n, 0x85ebca6b)) >>> 0)
  const a = rnd() % KEYS
  const samePartition = rnd() % 8 === 0
  for (;;) {
    const b = rnd() % KEYS
    if (b !== a && (partitionOfKey(a) === partitionOfKey(b)) === samePartition) return [a, b]
  }
}

export function tagOf(n: number): string {
  return `t${n}`
}

/** The `kv.run` arguments of transaction n: [key, program JSON]. */
export function programOf(seed: number, n: number): { keyA: number; keyB: number; program: string } {
  const [keyA, keyB] = keysOf(seed, n)
  const tag = tagOf(n)
  const inner: Step[] = [{ op: 'append', item: tag }, { op: 'incr', by: 1 }]
  const steps: Step[] = [{ op: 'append', item: tag }, { op: 'incr', by: 1 }, { op: 'call', fn: FN, key: keyB, steps: inner }]
  return { keyA, keyB, program: JSON.stringify(steps) }
}

/** The tag a program appends (what programOf built). */
export function tagOfProgram(program: unknown): string {
  const steps = JSON.parse(String(program)) as Step[]
  const first = steps[0]
  return first?.op === 'append' ? first.item : '?'
}

/** Creates (if missing) the table and the function the transactions use. */
export async function setUp(db: EmbeddedDatabase): Promise<void> {
  await db.createTable({
    name: TABLE,
    ifNotExists: true,
    partitions: PARTITIONS,
    columns: [
      { name: 'k', type: 'INTEGER', primaryKey: true },
      { name: 'v', type: 'INTEGER', notNull: true, default: 0 },
      { name: 'log', type: 'TEXT', notNull: true, default: '' },
    ],
  })
  await db.createFunction(FN, new Uint8Array(0), { runtime: 'js', export: 'run', orReplace: true })
}

function emit(line: string): void {
  const buf = Buffer.from(line + '\n')
  let off = 0
  while (off < buf.length) {
    try {
      off += writeSync(1, buf, off, buf.length - off)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e
    }
  }
}

async function main(argv: string[]): Promise<void> {
  const [dir, seedText, firstText = '1', countText = '5000', concurrencyText = '50', dieText = '0', crashText = ''] = argv
  if (dir === undefined || seedText === undefined) throw new Error('usage: crash-child <dir> <seed> [first] [count] [concurrency] [dieAtBatch]')
  const seed = Number(seedText)
  const first = Number(firstText)
  const end = first + Number(countText)
  const concurrency = Number(concurrencyText)
  const dieAtBatch = Number(dieText)
  emit('phase start')
  // Copies of the checkpoint for EXPLAIN COMMIT every 1 KiB of log: segments go behind them as the run goes.
  const crash = crashText === '' ? {} : { crashAt: parseCrashAt(crashText), checkpointIntervalMs: 3, logSegmentBytesMax: 1024, logSegmentsKept: 0, traceBaseLogBytes: 1024 }
  const db = await open({ dir, sync: 'full', workers: 2, runtimes: { js: JS_RUNTIME }, log: (l) => process.stderr.write(l + '\n'), ...crash })
  emit('phase opened')
  await setUp(db)
  let batches = 0
  db.onBatch((r) => {
    const tags = r.txns.map((t) => (t.input.kind === 'call' ? tagOfProgram(t.input.args[0]) : '?'))
    emit(`batch ${r.batch} ${tags.length === 0 ? '-' : tags.join(',')}`)
    if (++batches === dieAtBatch) process.kill(process.pid, 'SIGKILL')
  })
  emit('phase ready')
  let next = first
  const submitter = async (): Promise<void> => {
    while (next < end) {
      const n = next++
      const { keyA, keyB, program } = programOf(seed, n)
      const o = await db.submit({ kind: 'call', fn: FN, key: BigInt(keyA), args: [program] })
      if (o.ok) emit(`ack ${tagOf(n)} ${o.commit.batch} ${o.commit.seq} ${keyA} ${keyB}`)
      else emit(`fail ${tagOf(n)} ${o.failure.code} ${o.failure.message.replace(/\s+/g, ' ')}`)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, submitter))
  await db.close()
  emit('phase done')
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`crash-child: ${err instanceof Error ? err.stack : String(err)}\n`)
    process.exit(1)
  })
}
