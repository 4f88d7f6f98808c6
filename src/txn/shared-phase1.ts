/**
 * Phase 1 shared with the followers (issue 14, step 4's execution half): the writer of a replicated log
 * hands each follower the transactions of a batch whose call starts on a partition that follower owns
 * for the batch; the follower runs them on its own state and sends the executions back; the writer runs
 * the rest, and whatever no follower answered in time, itself.
 *
 * Why this cannot change an outcome: a protocol only ever uses a phase-1 execution that read the batch
 * snapshot (the state after every earlier batch). A follower's state is the writer's state at an earlier
 * batch P (it applies what the writer released, in order), so a follower's execution is marked stale —
 * a reconnaissance, executed again in the fallback — when it touched a row that a batch after P wrote,
 * as the writer's own pipelining already does for the batches still in flight. An execution made on a
 * catalog older than the last DDL is not used at all. Who executes what, and whether a follower answers,
 * decides only the cost of a batch (the same rule as contention.ts).
 *
 * Ownership: the writer is slot 0 and the followers it heard lately, sorted by their node id, are slots
 * 1..n; a call whose key is in partition p of its table starts in slot p mod (n + 1). Every follower
 * gets its whole share at once, in one message, when the batch starts: the contention sample
 * (contention.ts), which runs a batch's first transactions before the rest, waits for the answers that
 * hold its own, and the rest of phase 1 then finds the others there.
 */
import { invariant } from '../errors.js'
import type { PeerAnswer, Phase1Transport } from '../log/batch-log.js'
import type { Catalog } from '../schema/catalog.js'
import { partitionOf, type RowKey } from '../schema/keys.js'
import type { RowWrite } from '../schema/rows.js'
import { executionsFromBytes } from './execution-codec.js'
import type { Execution, SequencedTxn, TxnInput } from './types.js'

/** How long the writer waits for a follower's executions before it runs that share itself. */
export const PEER_WAIT_MS = 25
/**
 * A follower that did not answer in time, or answered from too old a state, gets no share for a while:
 * PEER_BACKOFF_MIN_MS, doubled at each miss in a row up to PEER_BACKOFF_MAX_MS (a follower that died
 * costs the writer a wait of PEER_WAIT_MS about once a second until its heartbeats lapse; one that was
 * late once is asked again soon).
 */
export const PEER_BACKOFF_MIN_MS = 50
export const PEER_BACKOFF_MAX_MS = 1_000
/** Released batches whose written rows the writer remembers: a follower's answer from further back is not used. */
export const SHARED_HISTORY_BATCHES = 256

export interface SharedPhase1Stats {
  /** Phase-1 executions made by followers and used as they were. */
  sharedTxns: number
  /** …and made by followers and marked stale (their state lacked a row a later batch wrote): reconnaissance. */
  sharedStale: number
  /** Shares no follower answered in time (or answered from too old a state): the writer ran them. */
  sharedMissed: number
}

/** What the writer remembers between batches: which rows recent batches wrote, and the last DDL. */
export class Phase1Sharing {
  private readonly written = new Map<number, ReadonlySet<RowKey>>()
  /** Every batch released from this one on was seen (`released`), unless forgotten below `remembersFrom`. */
  private remembersFrom: number
  private catalogChangedAt = 0
  private readonly backoffUntil = new Map<string, number>()
  private readonly missesInARow = new Map<string, number>()
  readonly stats: SharedPhase1Stats = { sharedTxns: 0, sharedStale: 0, sharedMissed: 0 }

  /**
   * `ignorePosition`: the harness's fault (EngineFaults.sharedPhase1IgnoresPosition) — a follower's
   * executions are used whatever state they were made on.
   */
  /** `now`: the clock of the back-off (tests give their own). */
  constructor(readonly transport: Phase1Transport, lastReleased: number, private readonly ignorePosition = false, private readonly now: () => number = () => performance.now()) {
    this.remembersFrom = lastReleased + 1
  }

  /** A batch was released (a DDL batch: `catalogChanged`). */
  released(batch: number, writes: readonly RowWrite[], catalogChanged: boolean): void {
    if (catalogChanged) this.catalogChangedAt = batch
    this.written.set(batch, new Set(writes.map((w) => w.rowKey)))
    // Batch numbers only grow: the first key is the oldest.
    while (this.written.size > SHARED_HISTORY_BATCHES) {
      const oldest = this.written.keys().next().value as number
      this.written.delete(oldest)
      this.remembersFrom = oldest + 1
    }
  }

  /**
   * Batch `number`'s shares, sent at once, or null when no follower gets any (none heard lately, the
   * batch too small to share, or every call in the writer's slot).
   */
  share(number: number, txns: readonly SequencedTxn[], body: Uint8Array, catalog: Catalog): BatchShare | null {
    const now = this.now()
    const peers = this.transport.phase1Peers().filter((p) => (this.backoffUntil.get(p) ?? 0) <= now)
    if (peers.length === 0) return null
    const owners = ownersOf(txns, catalog, peers.length + 1)
    if (!owners.some((o) => o !== 0)) return null
    return new BatchShare(this, number, txns, body, owners, peers)
  }

  /** `peer` missed (no answer in time, or one not usable): no share for it for a while. */
  missed(peer: string): void {
    const misses = (this.missesInARow.get(peer) ?? 0) + 1
    this.missesInARow.set(peer, misses)
    this.backoffUntil.set(peer, this.now() + Math.min(PEER_BACKOFF_MAX_MS, PEER_BACKOFF_MIN_MS * 2 ** (misses - 1)))
  }

  answered(peer: string): void {
    this.missesInARow.delete(peer)
  }

  /**
   * The rows written by the batches released after `position`, or null when a follower's state at
   * `position` cannot be used: it lacks a catalog change, or batches this writer no longer remembers.
   */
  writtenSince(position: number, before: number): ReadonlySet<RowKey> | null {
    if (this.ignorePosition) return new Set()
    if (position < this.catalogChangedAt || position + 1 < this.remembersFrom) return null
    const rows = new Set<RowKey>()
    for (let b = position + 1; b < before; b++) {
      // Absent: voided, or not released yet (the batch's `before` marks what touched those: PipelinedExecutor).
      const w = this.written.get(b)
      if (w !== undefined) for (const rk of w) rows.add(rk)
    }
    return rows
  }
}

/** The slot each transaction of a batch starts in (see the module comment). */
export function ownersOf(txns: readonly SequencedTxn[], catalog: Catalog, slots: number): Uint8Array {
  const owners = new Uint8Array(txns.length)
  for (let i = 0; i < txns.length; i++) owners[i] = slotOf((txns[i] as SequencedTxn).input, catalog, slots)
  return owners
}

function slotOf(input: TxnInput, catalog: Catalog, slots: number): number {
  if (input.kind !== 'call') return 0
  try {
    return partitionOf(catalog.table(catalog.function(input.fn).table), input.key) % slots
  } catch {
    // No such function, or a key its table cannot hold: that fails in execution, wherever it runs.
    return 0
  }
}

/** One batch's shares, from sending to the last answer used. */
export class BatchShare {
  private readonly answers = new Map<string, PeerAnswer | null>()
  private readonly wanted: Set<string>
  private readonly deadline: number
  private wake: (() => void) | null = null

  constructor(
    private readonly sharing: Phase1Sharing,
    readonly number: number,
    txns: readonly SequencedTxn[],
    body: Uint8Array,
    private readonly owners: Uint8Array,
    private readonly peers: readonly string[],
  ) {
    this.firstTxnId = (txns[0] as SequencedTxn).id
    this.wanted = new Set(peers.filter((_, i) => owners.includes(i + 1)))
    this.deadline = performance.now() + PEER_WAIT_MS
    sharing.transport.sharePhase1(number, body, owners, peers, (peer, a) => {
      if (!this.wanted.has(peer) || this.answers.has(peer)) return
      this.answers.set(peer, a)
      if (this.answers.size === this.wanted.size) this.wake?.()
    })
  }

  private readonly firstTxnId: number

  /**
   * Phase 1 of `txns` (part of this batch, in id order): the writer's slot and every share not answered
   * in time (or not usable) through `runHere`, the rest from the followers' answers. `ranHere` is called
   * once the writer's slot has run, before the wait for the answers.
   */
  async run(txns: readonly SequencedTxn[], runHere: (txns: readonly SequencedTxn[]) => Promise<Execution[]>, ranHere?: () => void): Promise<Execution[]> {
    const slotOf = (t: SequencedTxn): number => this.owners[t.id - this.firstTxnId] ?? 0
    const out: (Execution | null)[] = new Array<Execution | null>(txns.length).fill(null)
    const here: number[] = []
    txns.forEach((t, i) => { if (slotOf(t) === 0) here.push(i) })
    const mine = here.length === 0 ? [] : await runHere(here.map((i) => txns[i] as SequencedTxn))
    here.forEach((i, j) => { out[i] = mine[j] as Execution })
    if (here.length === txns.length) return out as Execution[]
    // This thread is free while the followers answer: the next batch may start (PipelinedExecutor).
    ranHere?.()
    const byId = await this.followersExecutions()
    const missing: number[] = []
    txns.forEach((t, i) => {
      if (out[i] !== null) return
      const e = byId.get(t.id)
      if (e === undefined) missing.push(i)
      else {
        out[i] = e
        if (e.stale === true) this.sharing.stats.sharedStale++
        else this.sharing.stats.sharedTxns++
      }
    })
    if (missing.length > 0) {
      this.sharing.stats.sharedMissed += missing.length
      const ran = await runHere(missing.map((i) => txns[i] as SequencedTxn))
      missing.forEach((i, j) => { out[i] = ran[j] as Execution })
    }
    return out.map((e) => {
      invariant(e !== null, 'a phase-1 execution for every transaction')
      return e
    })
  }

  private byId: Promise<ReadonlyMap<number, Execution>> | null = null

  /** Every follower's usable executions by transaction id, once (a batch's phase 1 may come in two parts). */
  private followersExecutions(): Promise<ReadonlyMap<number, Execution>> {
    this.byId ??= this.answered().then(() => {
      const byId = new Map<number, Execution>()
      this.peers.forEach((peer, i) => {
        if (!this.wanted.has(peer)) return
        const a = this.answers.get(peer)
        const got = a === undefined || a === null ? null : this.usable(i + 1, a)
        if (got === null) {
          this.sharing.missed(peer)
          return
        }
        this.sharing.answered(peer)
        for (const e of got) byId.set(e.id, e)
      })
      return byId
    })
    return this.byId
  }

  /** Stops waiting for answers (the batch's phase 1 is over). */
  done(): void {
    this.sharing.transport.sharePhase1Done(this.number)
  }

  /** Resolves when every follower with a share answered, or at the deadline. */
  private answered(): Promise<void> {
    if (this.answers.size === this.wanted.size) return Promise.resolve()
    const left = this.deadline - performance.now()
    if (left <= 0) return Promise.resolve()
    return new Promise<void>((resolve) => {
      const t = setTimeout(() => { this.wake = null; resolve() }, left)
      this.wake = () => { clearTimeout(t); this.wake = null; resolve() }
    })
  }

  /**
   * A follower's executions of slot `slot`, marked stale where they touched a row written after the
   * state they were made on; null if they are not that slot's (ids, order) or the state is unusable.
   */
  private usable(slot: number, a: PeerAnswer): Execution[] | null {
    const written = this.sharing.writtenSince(a.position, this.number)
    if (written === null) return null
    let execs: Execution[]
    try {
      execs = executionsFromBytes(a.executions)
    } catch {
      return null
    }
    const ids: number[] = []
    this.owners.forEach((o, i) => { if (o === slot) ids.push(this.firstTxnId + i) })
    if (execs.length !== ids.length || execs.some((e, i) => e.id !== ids[i] || e.lockMiss !== null)) return null
    if (written.size === 0) return execs
    return execs.map((e) => (e.stale !== true && e.accessed.some((rk) => written.has(rk)) ? { ...e, stale: true } : e))
  }
}
