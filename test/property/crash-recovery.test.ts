// Crash recovery (CONTRACT.md §5, durability): a child process streams two-key, cross-partition
// transactions at an embedded engine with `sync: 'full'` and is killed with SIGKILL at a seeded point
// measured in its own events (right after spawn, during setup, after the K-th durable batch, after the
// K-th acknowledgement), or kills itself inside the K-th onBatch (durable, replies not yet released),
// or at the K-th instant the engine names: in the middle of a log write (a torn entry), inside a
// checkpoint's SQLite transaction, between the deletions of two log segments;
// the directory is then reopened here and checked: every acknowledged transaction is there exactly
// once, no transaction or batch is there in part, `v` counts the log, and the recovered engine commits
// further batches and reopens to the same digest.
//
// Replay: every assertion names the base seed (ACHERON_CRASH_SEED, to vary runs), the scenario seed and
// the kill point; the scenario seed alone fixes the child's keys and the kill point of each kind.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { open, type EmbeddedDatabase } from '../../src/index.js'
import { FN, KEYS, TABLE, keysOf, programOf, setUp, tagOf } from '../support/crash-child.js'
import { uint32Random } from '../support/rng.js'
import { JS_RUNTIME } from '../support/js-runtime.js'
import { tempDir } from '../support/tmp.js'
import type { CrashEvent } from '../../src/crash-points.js'

const CHILD = fileURLToPath(new URL('../support/crash-child.js', import.meta.url))
const BASE_SEED = Number(process.env.ACHERON_CRASH_SEED ?? 0x5eed_c4a5)
/** Transactions per child; kill points stay well below it so the child is still writing when killed. */
const CHILD_TXNS = 6000
/** Tag ranges: child generation g uses [g*GEN+1, g*GEN+CHILD_TXNS], the parent's own after it. */
const GEN = 100_000
const CHILD_TIMEOUT_MS = 30_000

type Kill =
  | { on: 'spawn' }
  | { on: 'phase'; name: 'start' | 'opened' | 'ready' }
  /**
   * After the K-th event, plus a seeded delay of delayMs (0: at once). The kill lands about a pipe hop
   * after the event, which keeps hitting the same phase of the child's batch cycle (just after replies,
   * never mid-commit); the delay spreads kills over the cycle.
   */
  | { on: 'batch'; k: number; delayMs: number }
  | { on: 'ack'; k: number; delayMs: number }
  /** The child SIGKILLs itself inside its K-th onBatch. */
  | { on: 'die'; k: number }
  /** The engine SIGKILLs the child at the K-th instant of this kind. */
  | { on: 'event'; event: CrashEvent; k: number }

function describeKill(k: Kill): string {
  switch (k.on) {
    case 'spawn': return 'right after spawn'
    case 'phase': return `at phase ${k.name}`
    case 'batch': return `after durable batch line #${k.k}${k.delayMs > 0 ? ` +${k.delayMs}ms` : ''}`
    case 'ack': return `after ack #${k.k}${k.delayMs > 0 ? ` +${k.delayMs}ms` : ''}`
    case 'die': return `self-kill inside onBatch #${k.k}`
    case 'event': return `self-kill at ${k.event} #${k.k}`
  }
}

interface Ack { tag: string; n: number; batch: number; seq: number; keyA: number; keyB: number }

interface ChildRun {
  acks: Ack[]
  fails: string[]
  /** Batches the child reported durable, with their transactions' tags. */
  batches: { batch: number; tags: string[] }[]
  phases: string[]
  signal: NodeJS.Signals | null
  code: number | null
  stderr: string
}

/** Runs one child on dir and SIGKILLs it at the kill point; resolves once its pipes are drained. */
function runChild(dir: string, seed: number, first: number, concurrency: number, kill: Kill): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, String(seed), String(first), String(CHILD_TXNS), String(concurrency),
      String(kill.on === 'die' ? kill.k : 0), kill.on === 'event' ? `${kill.event}:${kill.k}` : ''], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const run: ChildRun = { acks: [], fails: [], batches: [], phases: [], signal: null, code: null, stderr: '' }
    let killed = false
    const doKill = (): void => {
      if (!killed) {
        killed = true
        child.kill('SIGKILL')
      }
    }
    let armed = false
    const killSoon = (delayMs: number): void => {
      if (armed) return
      armed = true
      if (delayMs === 0) doKill()
      else setTimeout(doKill, delayMs)
    }
    if (kill.on === 'spawn') doKill()
    const timer = setTimeout(() => {
      doKill()
      reject(new Error(`child did not reach the kill point within ${CHILD_TIMEOUT_MS} ms`))
    }, CHILD_TIMEOUT_MS)
    let buffered = ''
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk
      const lines = buffered.split('\n')
      buffered = lines.pop() ?? ''
      for (const line of lines) {
        const f = line.split(' ')
        if (f[0] === 'ack') {
          run.acks.push({ tag: f[1] as string, n: Number((f[1] as string).slice(1)), batch: Number(f[2]), seq: Number(f[3]), keyA: Number(f[4]), keyB: Number(f[5]) })
          if (kill.on === 'ack' && run.acks.length >= kill.k) killSoon(kill.delayMs)
        } else if (f[0] === 'batch') {
          run.batches.push({ batch: Number(f[1]), tags: f[2] === '-' ? [] : (f[2] ?? '').split(',') })
          if (kill.on === 'batch' && run.batches.length >= kill.k) killSoon(kill.delayMs)
        } else if (f[0] === 'phase') {
          run.phases.push(f[1] as string)
          if (kill.on === 'phase' && f[1] === kill.name) doKill()
        } else if (f[0] === 'fail') run.fails.push(line)
      }
    })
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (chunk: string) => { run.stderr += chunk })
    child.on('error', (err) => { clearTimeout(timer); reject(err) })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      if (buffered !== '') run.stderr += `\n(unterminated stdout line: ${buffered})`
      run.code = code
      run.signal = signal
      resolve(run)
    })
  })
}

/** What the directory must hold: the acknowledged transactions, and the seed mapping tags to keys. */
interface Expect {
  seed: number
  acks: Map<string, Ack>
  /** Tags of batches the child reported durable (acknowledged or not): they must all be there. */
  durable: Set<string>
  /** Highest batch known durable: acknowledged, reported by onBatch, or committed by the parent. */
  maxBatch: number
  /** Tag number ranges a tag found in the data may come from (submitted by someone). */
  ranges: [number, number][]
}

interface Row { v: number; log: string[] }

async function readAll(db: EmbeddedDatabase): Promise<Map<number, Row> | null> {
  if (!db.engine.currentCatalog.data.tables.some((t) => t.name.toLowerCase() === TABLE)) return null
  const rows = new Map<number, Row>()
  const reads = Array.from({ length: KEYS }, (_, k) => db.get(TABLE, k))
  db.flush()
  const got = await Promise.all(reads)
  got.forEach((g, k) => {
    if (g.row === null) return
    const log = String(g.row.log)
    rows.set(k, { v: Number(g.row.v), log: log === '' ? [] : log.split(',') })
  })
  return rows
}

/** Checks 1-3 on the recovered state. */
function checkState(ctx: string, rows: Map<number, Row> | null, ex: Expect): void {
  if (rows === null) {
    assert.is(ex.acks.size, 0, `${ctx}: table ${TABLE} is gone but ${ex.acks.size} transactions were acknowledged`)
    return
  }
  // Where each tag occurs, and how often per key.
  const seen = new Map<string, Map<number, number>>()
  for (const [k, row] of rows) {
    // 3. v counts the tags of the log.
    assert.is(row.v, row.log.length, `${ctx}: key ${k} has v=${row.v} but ${row.log.length} tags in its log`)
    for (const tag of row.log) {
      let at = seen.get(tag)
      if (at === undefined) seen.set(tag, (at = new Map()))
      at.set(k, (at.get(k) ?? 0) + 1)
    }
  }
  // 2. Atomicity: a tag anywhere is exactly once at each of its two keys, and nowhere else.
  for (const [tag, at] of seen) {
    const n = Number(tag.slice(1))
    assert.ok(/^t\d+$/.test(tag) && ex.ranges.some(([lo, hi]) => n >= lo && n <= hi), `${ctx}: unexpected item '${tag}' in a log`)
    const [a, b] = keysOf(ex.seed, n)
    const where = [...at].map(([k, c]) => `${k}x${c}`).join(' ')
    assert.ok(at.size === 2 && at.get(a) === 1 && at.get(b) === 1,
      `${ctx}: ${tag} (keys ${a},${b}) is partial or duplicated: found at ${where}`)
  }
  // No partial batch: the sequencer gives ids in arrival order and cuts batches as contiguous runs of
  // them (src/txn/sequencer.ts), and a child submits t<first>, t<first+1>, ... in that order, so the
  // tags of a child found after a crash are exactly a prefix of its range. A batch committed in part
  // leaves a gap even when each of its transactions is whole.
  for (const [lo, hi] of ex.ranges) {
    if (lo === hi) continue
    const present = [...seen.keys()].map((t) => Number(t.slice(1))).filter((n) => n >= lo && n <= hi).sort((x, y) => x - y)
    const gap = present.findIndex((n, i) => n !== lo + i)
    assert.ok(gap < 0, `${ctx}: tags of t${lo}..t${hi} are not a prefix: t${lo + gap} is missing but t${present[gap]} is there (a partial batch)`)
  }
  // 1. Every acknowledged tag is there (then exactly once at both keys, by 2).
  for (const [tag, ack] of ex.acks) {
    const [a, b] = keysOf(ex.seed, ack.n)
    assert.ok(ack.keyA === a && ack.keyB === b, `${ctx}: ack of ${tag} names keys ${ack.keyA},${ack.keyB}, expected ${a},${b}`)
    assert.ok(seen.has(tag), `${ctx}: acknowledged ${tag} (batch ${ack.batch} seq ${ack.seq}, keys ${a},${b}) was lost`)
  }
  for (const tag of ex.durable) {
    assert.ok(seen.has(tag), `${ctx}: ${tag} was in a batch reported durable (onBatch) but was lost`)
  }
  // Order: at each key, the acknowledged tags appear in their commit order.
  for (const [k, row] of rows) {
    let prev: Ack | null = null
    for (const tag of row.log) {
      const ack = ex.acks.get(tag)
      if (ack === undefined) continue
      if (prev !== null) {
        assert.ok(prev.batch < ack.batch || (prev.batch === ack.batch && prev.seq < ack.seq),
          `${ctx}: key ${k} has ${prev.tag} (${prev.batch}.${prev.seq}) before ${tag} (${ack.batch}.${ack.seq})`)
      }
      prev = ack
    }
  }
}

const RECOVER = { workers: 1, runtimes: { js: JS_RUNTIME } }

/**
 * Reopens dir after a crash, checks it, then checks the engine keeps working: one more transaction
 * (tag n) commits after every durable batch, and a second reopen gives the same digest.
 */
async function recoverAndCheck(ctx: string, dir: string, ex: Expect, n: number): Promise<void> {
  let db = await open({ dir, ...RECOVER })
  try {
    assert.ok(db.engine.lastCommittedBatch >= ex.maxBatch,
      `${ctx}: recovered at batch ${db.engine.lastCommittedBatch}, but batch ${ex.maxBatch} was durable`)
    checkState(ctx, await readAll(db), ex)
    // 4. The recovered engine keeps working.
    await setUp(db)
    const { keyA, keyB, program } = programOf(ex.seed, n)
    const o = await db.submit({ kind: 'call', fn: FN, key: BigInt(keyA), args: [program] })
    assert.ok(o.ok, `${ctx}: the transaction after recovery failed: ${o.ok ? '' : `${o.failure.code} ${o.failure.message}`}`)
    if (!o.ok) return
    assert.ok(o.commit.batch > ex.maxBatch, `${ctx}: the transaction after recovery committed in batch ${o.commit.batch}, not after ${ex.maxBatch}`)
    const tag = tagOf(n)
    ex.acks.set(tag, { tag, n, batch: o.commit.batch, seq: o.commit.seq, keyA, keyB })
    ex.ranges.push([n, n])
    checkState(`${ctx} (after one more transaction)`, await readAll(db), ex)
    const digest = await db.digest()
    // Reads are transactions too: they take batch numbers.
    ex.maxBatch = db.engine.lastCommittedBatch
    await db.close()
    db = await open({ dir, ...RECOVER })
    assert.is(db.engine.lastCommittedBatch, ex.maxBatch, `${ctx}: reopened at another batch`)
    assert.is(await db.digest(), digest, `${ctx}: reopening changed the digest`)
  } finally {
    await db.close()
  }
}

/** Adds a killed child's acknowledgements to what must survive, after checking the child itself. */
function absorb(ctx: string, run: ChildRun, ex: Expect, first: number, kill: Kill): void {
  assert.is(run.fails.length, 0, `${ctx}: the child saw failed transactions:\n${run.fails.slice(0, 5).join('\n')}`)
  assert.ok(run.signal === 'SIGKILL', `${ctx}: the child ended by ${run.signal ?? `exit ${run.code}`}, not the kill:\n${run.stderr}`)
  if (kill.on === 'ack') assert.ok(run.acks.length >= kill.k, `${ctx}: killed with ${run.acks.length} acks`)
  if (kill.on === 'batch') assert.ok(run.batches.length >= kill.k, `${ctx}: killed with ${run.batches.length} batch lines`)
  if (kill.on === 'die') {
    assert.is(run.batches.length, kill.k, `${ctx}: died after ${run.batches.length} batch lines`)
    const last = (run.batches[kill.k - 1] as { batch: number }).batch
    const early = run.acks.find((a) => a.batch >= last)
    assert.ok(early === undefined, `${ctx}: ${early?.tag} of batch ${early?.batch} was acknowledged before its batch's onBatch returned`)
  }
  for (const a of run.acks) {
    assert.not.ok(ex.acks.has(a.tag), `${ctx}: ${a.tag} acknowledged twice`)
    ex.acks.set(a.tag, a)
    ex.maxBatch = Math.max(ex.maxBatch, a.batch)
  }
  for (const b of run.batches) {
    ex.maxBatch = Math.max(ex.maxBatch, b.batch)
    for (const t of b.tags) ex.durable.add(t)
  }
  ex.ranges.push([first, first + CHILD_TXNS - 1])
}

/** Seeds of the scenarios, drawn from the base seed. */
const seeds = uint32Random(BASE_SEED)
const CONCURRENCY = [1, 4, 16, 50, 80]

type KillKind = Exclude<Kill['on'], 'event'> | 'phase-start' | 'phase-opened' | 'phase-ready' | CrashEvent

/** A kill point of the kind; event counts stay low at low concurrency (one fsync per transaction). */
function pick(rnd: () => number, kind: KillKind, concurrency: number): Kill {
  const early = rnd() % 3 === 0
  switch (kind) {
    case 'spawn': return { on: 'spawn' }
    case 'phase-start': return { on: 'phase', name: 'start' }
    case 'phase-opened': return { on: 'phase', name: 'opened' }
    case 'phase':
    case 'phase-ready': return { on: 'phase', name: 'ready' }
    // Early and late: a third of the kills within the first few events.
    case 'batch': return { on: 'batch', k: 1 + (early ? rnd() % 5 : rnd() % 60), delayMs: rnd() % 3 === 0 ? 0 : 1 + (rnd() % 20) }
    case 'die': return { on: 'die', k: 1 + (early ? rnd() % 5 : rnd() % 60) }
    case 'ack': {
      const k = 1 + (early ? rnd() % 20 : rnd() % Math.min(3000, 100 * concurrency))
      return { on: 'ack', k, delayMs: rnd() % 3 === 0 ? 0 : 1 + (rnd() % 20) }
    }
    case 'log-write': case 'checkpoint': case 'segment-delete':
      return { on: 'event', event: kind, k: 1 + (early ? rnd() % 5 : rnd() % 30) }
  }
}

const SINGLE: KillKind[] = [
  'spawn', 'phase-start', 'phase-opened', 'phase-ready', 'die', 'die', 'batch', 'batch', 'ack', 'ack', 'ack', 'ack', 'ack', 'ack',
  'log-write', 'log-write', 'checkpoint', 'checkpoint', 'segment-delete', 'segment-delete',
]

const stats: string[] = []

for (const [i, kind] of SINGLE.entries()) {
  const seed = seeds()
  const rnd = uint32Random(seed)
  const concurrency = CONCURRENCY[rnd() % CONCURRENCY.length] as number
  const kill = pick(rnd, kind, concurrency)
  const name = `crash ${i}: base ${BASE_SEED} seed ${seed} concurrency ${concurrency} kill ${describeKill(kill)}`
  test(name, async () => {
    const { dir, cleanup } = tempDir('acheron-crash-')
    try {
      const ex: Expect = { seed, acks: new Map(), maxBatch: 0, ranges: [], durable: new Set() }
      const run = await runChild(dir, seed, 1, concurrency, kill)
      absorb(name, run, ex, 1, kill)
      stats.push(`${name}: ${run.acks.length} acks, ${run.batches.length} batches, phases ${run.phases.join('/')}`)
      await recoverAndCheck(name, dir, ex, GEN - 1)
    } finally {
      cleanup()
    }
  })
}

// Repeated crashes on one directory: kill, recover (and commit one more), a new child continues, kill...
const REPEATED: KillKind[][] = [
  ['ack', 'die', 'ack', 'phase-opened', 'batch'],
  ['phase-start', 'ack', 'spawn', 'die', 'ack'],
  ['log-write', 'checkpoint', 'segment-delete', 'log-write', 'ack'],
]

for (const [i, kinds] of REPEATED.entries()) {
  const seed = seeds()
  test(`repeated crashes ${i}: base ${BASE_SEED} seed ${seed}`, async () => {
    const { dir, cleanup } = tempDir('acheron-crash-')
    try {
      const rnd = uint32Random(seed)
      const ex: Expect = { seed, acks: new Map(), maxBatch: 0, ranges: [], durable: new Set() }
      for (const [g, kind] of kinds.entries()) {
        const concurrency = CONCURRENCY[rnd() % CONCURRENCY.length] as number
        const kill = pick(rnd, kind, concurrency)
        const name = `repeated crashes ${i}: base ${BASE_SEED} seed ${seed} generation ${g} concurrency ${concurrency} kill ${describeKill(kill)}`
        const first = g * GEN + 1
        const run = await runChild(dir, seed, first, concurrency, kill)
        absorb(name, run, ex, first, kill)
        stats.push(`${name}: ${run.acks.length} acks, ${run.batches.length} batches, phases ${run.phases.join('/')}`)
        await recoverAndCheck(name, dir, ex, (g + 1) * GEN - 1)
      }
    } finally {
      cleanup()
    }
  })
}

test.after(() => {
  if (process.env.ACHERON_CRASH_VERBOSE) for (const s of stats) process.stdout.write(s + '\n')
})

test.run()
