// Oracle 2, black-box: list-append transactions sent by concurrent clients through the real WebSocket
// API, observed only through their replies and real time, and checked by the Elle-style anomaly
// checker (src/testing/elle). Nothing here reads the engine's declared order.
import fc from 'fast-check'
import { performance } from 'node:perf_hooks'
import { connect, type RemoteDatabase } from '../client/remote.js'
import { DEFAULT_BATCH_INTERVAL_MS, open, type EmbeddedDatabase } from '../embedded.js'
import { AcheronError } from '../errors.js'
import { AcheronServer, DEFAULT_SERVER_LIMITS } from '../server/server.js'
import { checkListAppend, type HistoryTxn, type ListAppendOp } from './elle/index.js'
import { harnessWallClockMs, scratchDir, stepsModule, tableDdl, WASM_STEPS_FUEL, type EngineCache } from './engine-run.js'
import { expect } from './failure.js'
import { withMutant } from './mutants.js'
import type { CheckConfig, Property } from './properties.js'
import { encodeSteps, type Step } from './steps.js'
import { engineUnderTestArgs, startHarnessCluster, type HarnessCluster } from './harness-serve.js'

/** One micro-operation of a list-append transaction, at a key of table `kv`. */
export type MicroOp = { readonly f: 'r' | 'a'; readonly key: number }

export interface ListAppendTxn {
  readonly ops: readonly MicroOp[]
  /** Ends with an abort (always taken), so none of its appends may ever be seen. */
  readonly abort: boolean
  /**
   * Milliseconds the client thinks before sending it (0: at once). Think times break the lockstep in
   * which every client waits for the same batch, so batches overlap (pipelining) as they do in real use.
   */
  readonly thinkMs: number
  /**
   * A read-only `SELECT` of the whole table instead of a call: it reads every key. It takes the position
   * after the last release, and on a cluster's follower it is answered there (src/cluster/follower-reads.ts).
   */
  readonly scan?: true
}

export interface ListAppendWorkload {
  readonly partitions: number
  /** Per client: its transactions, issued one at a time. */
  readonly clients: readonly (readonly ListAppendTxn[])[]
}

export const LIST_APPEND_KEYS = 6
export const CLIENTS_MAX = 8

const opArb: fc.Arbitrary<MicroOp> = fc.record({ f: fc.constantFrom<'r' | 'a'>('r', 'a'), key: fc.integer({ min: 0, max: LIST_APPEND_KEYS - 1 }) })
const thinkMsArb = fc.oneof({ weight: 2, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }) })
const callTxnArb: fc.Arbitrary<ListAppendTxn> = fc.record({
  ops: fc.array(opArb, { minLength: 1, maxLength: 6 }),
  abort: fc.oneof({ weight: 9, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  thinkMs: thinkMsArb,
})
const SCAN_OPS: readonly MicroOp[] = Array.from({ length: LIST_APPEND_KEYS }, (_, key) => ({ f: 'r', key }))
const scanTxnArb: fc.Arbitrary<ListAppendTxn> = thinkMsArb.map((thinkMs) => ({ ops: SCAN_OPS, abort: false, thinkMs, scan: true }))
const txnArb: fc.Arbitrary<ListAppendTxn> = fc.oneof({ weight: 9, arbitrary: callTxnArb }, { weight: 1, arbitrary: scanTxnArb })

export function listAppendArb(config: { txns: number; partitions?: number }): fc.Arbitrary<ListAppendWorkload> {
  const partitions = config.partitions !== undefined ? fc.constant(config.partitions) : fc.integer({ min: 1, max: 8 })
  // 1–8 clients sharing at most `txns` transactions (size 'max': lengths spread over the whole range).
  const clients = fc.integer({ min: 1, max: CLIENTS_MAX }).chain((n) => {
    const perClient = Math.max(1, Math.floor(config.txns / n))
    return fc.array(fc.array(txnArb, { minLength: 1, maxLength: perClient, size: 'max' }), { minLength: n, maxLength: n })
  })
  return fc.record({ partitions, clients })
}

/**
 * The step program of a transaction: the first op's key is where it is called; every op at another key
 * is a call to `kv.run` there. Appends get the values given, in op order.
 */
export function programOf(t: ListAppendTxn, values: readonly number[]): { key: number; steps: Step[] } {
  const root = (t.ops[0] as MicroOp).key
  let v = 0
  const steps: Step[] = t.ops.map((op): Step => {
    const step: Step = op.f === 'r' ? { op: 'read' } : { op: 'append', item: String(values[v++]) }
    return op.key === root ? step : { op: 'call', fn: 'kv.run', key: op.key, steps: [step] }
  })
  if (t.abort) steps.push({ op: 'abortIf', gt: -1 })
  return { key: root, steps }
}

function listOf(read: unknown): number[] {
  if (read === null) return []
  const log = (read as [string, string])[1]
  return log === '' ? [] : log.split(',').map(Number)
}

/** Maps a committed reply (JSON text of reads and call results) back onto the ops, in program order. */
export function opsFromReply(t: ListAppendTxn, values: readonly number[], reply: string | null): ListAppendOp[] {
  const out = reply === null ? null : (JSON.parse(reply) as unknown[])
  const root = (t.ops[0] as MicroOp).key
  let v = 0
  // A read at the root pushes its row; a call pushes the callee's reply; an append at the root pushes nothing.
  let cursor = 0
  return t.ops.map((op): ListAppendOp => {
    const item = op.key === root && op.f === 'a' ? undefined : out?.[cursor++]
    if (op.f === 'a') return { f: 'append', key: String(op.key), value: values[v++] as number }
    if (out === null) return { f: 'read', key: String(op.key), value: null }
    const read = op.key === root ? item : (JSON.parse(String(item)) as unknown[])[0]
    return { f: 'read', key: String(op.key), value: listOf(read ?? null) }
  })
}

async function runClient(db: RemoteDatabase, process: number, txns: readonly ListAppendTxn[], nextValue: () => number, nextId: () => number, history: HistoryTxn[]): Promise<void> {
  for (const t of txns) {
    if (t.thinkMs > 0) await new Promise((resolve) => setTimeout(resolve, t.thinkMs))
    const values = t.ops.filter((o) => o.f === 'a').map(() => nextValue())
    const { key, steps } = programOf(t, values)
    const id = nextId()
    const invoke = performance.now()
    if (t.scan === true) {
      const [r] = await db.sql('SELECT k, log FROM kv')
      const logs = new Map((r?.rows ?? []).map((row) => [Number(row[0]), row]))
      history.push({ id, process, type: 'ok', invoke, complete: performance.now(), ops: t.ops.map((op) => ({ f: 'read', key: String(op.key), value: listOf(logs.get(op.key) ?? null) })) })
      continue
    }
    try {
      const r = await db.call('kv.run', key, encodeSteps(steps))
      history.push({ id, process, type: 'ok', invoke, complete: performance.now(), ops: opsFromReply(t, values, String(r.value)) })
    } catch (err) {
      const definite = err instanceof AcheronError && err.code === 'TXN_ABORTED'
      history.push({ id, process, type: definite ? 'fail' : 'info', invoke, complete: definite ? performance.now() : Number.MAX_VALUE, ops: opsFromReply(t, values, null) })
      if (!definite) throw err
    }
  }
}

interface Served {
  /** Where clients connect: one server, or a cluster's nodes (clients spread over them). */
  readonly urls: readonly string[]
  /** Stops what this run started (nothing when the server is cached across runs). */
  readonly release: () => Promise<void>
}

const cachedServers = new WeakMap<Promise<EmbeddedDatabase>, Promise<AcheronServer>>()
/** Per cache, the clusters started, by what their servers were started with (engineUnderTestArgs, workers, NATS). */
const cachedClusters = new WeakMap<EngineCache, Map<string, Promise<HarnessCluster>>>()

/**
 * How long the harness's follower waits before applying each batch: a lag that the reads it answers
 * itself must respect (a follower that read without waiting for the writer's position would miss writes
 * acknowledged before them; without a lag it rarely would, and the checker could not tell).
 */
export const HARNESS_FOLLOW_DELAY_MS = 5

/**
 * On a cluster (`acheron check --cluster`): a writer and a follower as processes on one stream, kept
 * across runs like the in-process server; half the clients reach the writer through the follower, which
 * answers their scans itself, lagging the writer by HARNESS_FOLLOW_DELAY_MS a batch.
 */
async function clusterFor(config: CheckConfig): Promise<Served> {
  const engines = config.engines
  const lagging = ['--follow-delay-ms', String(HARNESS_FOLLOW_DELAY_MS)]
  if (engines === undefined) {
    const cluster = await startHarnessCluster(config, lagging)
    return { urls: cluster.urls, release: () => cluster.stop() }
  }
  // Keyed by what the servers run: one cache shared by a correct protocol and then a broken one ran the
  // second against the first's servers (as EngineCache did for engines), and it passed.
  const key = JSON.stringify([engineUnderTestArgs(config), config.workers, config.natsLog?.urls, config.natsLog?.replicas])
  const ofCache = cachedClusters.get(engines) ?? new Map<string, Promise<HarnessCluster>>()
  cachedClusters.set(engines, ofCache)
  let cluster = ofCache.get(key)
  if (cluster === undefined) {
    cluster = startHarnessCluster(config, lagging)
    ofCache.set(key, cluster)
    const started = cluster
    engines.onClose(async () => (await started).stop())
  }
  return { urls: (await cluster).urls, release: async () => {} }
}

async function listen(db: EmbeddedDatabase): Promise<AcheronServer> {
  return AcheronServer.listen({ db, host: '127.0.0.1', port: 0, token: null, limits: DEFAULT_SERVER_LIMITS, log: () => {} })
}

/** A real server (in this process, on a free port): the cached one, or a fresh one over a scratch directory. */
async function serverFor(config: CheckConfig): Promise<Served> {
  if (config.natsLog?.failover === true) return clusterFor(config)
  const options = withMutant({ sync: 'off', workers: config.workers, protocol: config.protocol ?? 'aria', ...config.open }, config.mutant)
  const engines = config.engines
  if (engines !== undefined) {
    // One server per cached engine (the cache opens one per configuration).
    const db = engines.get('elle', { ...options, batchIntervalMs: DEFAULT_BATCH_INTERVAL_MS })
    let server = cachedServers.get(db)
    if (server === undefined) {
      server = db.then(listen)
      cachedServers.set(db, server)
      const started = server
      engines.onClose(async () => (await started).close())
    }
    return { urls: [(await server).url], release: async () => {} }
  }
  const tmp = scratchDir()
  const db = await open({ wallClockMs: harnessWallClockMs, ...options, dir: tmp.dir })
  const server = await listen(db).catch(async (err: unknown) => { await db.close(); tmp.cleanup(); throw err })
  return { urls: [server.url], release: async () => { await server.close(); tmp.cleanup() } }
}

/**
 * Runs the clients concurrently through `connect()` against a real server, on a fresh table `kv`, and
 * returns the history in completion order.
 */
export async function collectHistory(w: ListAppendWorkload, config: CheckConfig): Promise<HistoryTxn[]> {
  const served = await serverFor(config)
  const clients: RemoteDatabase[] = []
  try {
    const admin = await connect(served.urls[0] as string)
    clients.push(admin)
    await admin.sql('DROP TABLE IF EXISTS kv;')
    await admin.sql(tableDdl({ name: 'kv', partitions: w.partitions }) + ';')
    await admin.createFunction('kv.run', stepsModule(), { export: 'run', fuel: WASM_STEPS_FUEL })
    let value = 0
    let id = 0
    const history: HistoryTxn[] = []
    const conns = await Promise.all(w.clients.map((_, p) => connect(served.urls[p % served.urls.length] as string)))
    clients.push(...conns)
    await Promise.all(w.clients.map((txns, p) => runClient(conns[p] as RemoteDatabase, p, txns, () => ++value, () => ++id, history)))
    return history
  } finally {
    for (const c of clients) await c.close().catch(() => {})
    await served.release()
  }
}

/**
 * The transactions an anomaly names, as the history holds them and by the client of the counterexample
 * that sent them (`clients[p]`, its n-th transaction): the explanation numbers them T1, T2, … by issue
 * order, which the counterexample does not show, and it gave neither what each appended nor whose it was.
 */
export function involvedTxns(history: readonly HistoryTxn[], ids: readonly number[]): string {
  const wanted = new Set(ids)
  const nth = new Map<number, number>()
  const perClient = new Map<number, number>()
  for (const t of [...history].sort((a, b) => a.id - b.id)) {
    const n = perClient.get(t.process) ?? 0
    perClient.set(t.process, n + 1)
    nth.set(t.id, n)
  }
  const said = history.filter((t) => wanted.has(t.id)).sort((a, b) => a.id - b.id).map((t) => {
    const ops = t.ops.map((o) => (o.f === 'append' ? `append ${o.value} to key ${o.key}` : `read key ${o.key} = ${o.value === null ? '?' : `[${o.value.join(',')}]`}`)).join(', ')
    return `T${t.id} is clients[${t.process}][${nth.get(t.id) ?? '?'}]: ${ops} (${t.type === 'ok' ? 'committed' : t.type === 'fail' ? 'aborted' : 'outcome unknown'})`
  })
  return `the transactions: ${said.join('; ')}`
}

export const listAppendAnomalies: Property<ListAppendWorkload> = {
  name: 'elle',
  oracle: 'black-box anomaly check: list-append histories over WebSocket, Elle-style cycle search with real-time edges (strict serializability)',
  arbitrary: (config) => listAppendArb({ txns: config.txns, ...(config.partitions !== undefined ? { partitions: config.partitions } : {}) }),
  async check(w, config) {
    const history = await collectHistory(w, config)
    const result = checkListAppend(history)
    expect(result.valid, () => {
      const shown = result.anomalies.slice(0, 3)
      return `anomalies: ${shown.map((a) => `${a.kind}: ${a.explanation}`).join('; ')}; ${involvedTxns(history, shown.flatMap((a) => a.txns))}`
    })
  },
  show: (w) => JSON.stringify(w),
}
