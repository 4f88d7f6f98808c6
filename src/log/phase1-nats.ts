/**
 * Phase 1 shared between a stream's writer and its followers over plain NATS (the Phase1Transport of
 * JetStreamBatchLog; what is shared and why it is safe: src/txn/shared-phase1.ts). Nothing here is in
 * the stream: a lost message costs the writer a wait of PEER_WAIT_MS and the share runs on the writer.
 *
 * - `acheron.phase1.peers.STREAM`: a follower that executes shares says so every
 *   PHASE1_HEARTBEAT_MS, with its node id; the writer counts it as a peer for PHASE1_PEER_HEARD_MS.
 * - `acheron.phase1.share.STREAM`: the writer's batch (its log body), the peers in slot order and
 *   the slot of every transaction.
 * - `acheron.phase1.answer.STREAM.WRITER`: a follower's executions of its slot, with the batch it had
 *   applied when it ran them (no position header: it declined).
 */
import { randomUUID } from 'node:crypto'
import { headers as natsHeaders, type NatsConnection, type Subscription } from 'nats'
import { ByteReader, ByteWriter } from '../codec/bytes.js'
import type { PeerAnswer, Phase1Transport } from './batch-log.js'

export const PHASE1_HEARTBEAT_MS = 1_000
export const PHASE1_PEER_HEARD_MS = 3 * PHASE1_HEARTBEAT_MS

const H_BATCH = 'Acheron-Batch'
const H_NODE = 'Acheron-Node'
const H_WRITER = 'Acheron-Writer'
const H_POSITION = 'Acheron-Position'

type AnswerFn = (peer: string, a: PeerAnswer | null) => void

export class NatsPhase1 implements Phase1Transport {
  /** This node's id (a follower's slot is found by it; a writer's answers come to its own subject). */
  readonly node = randomUUID()
  private readonly heard = new Map<string, number>()
  private readonly waiting = new Map<number, AnswerFn>()
  private readonly subs: Subscription[] = []

  /** `payloadMax`: the largest message the NATS servers take (a larger share or answer is not sent). */
  constructor(private readonly nc: NatsConnection, private readonly stream: string, private readonly payloadMax: number) {
    this.subs.push(nc.subscribe(this.subject('peers'), {
      callback: (_err, msg) => {
        const id = new TextDecoder().decode(msg.data)
        if (id !== this.node && id.length > 0) this.heard.set(id, performance.now())
      },
    }))
    this.subs.push(nc.subscribe(`${this.subject('answer')}.${this.node}`, {
      callback: (_err, msg) => {
        const batch = Number(msg.headers?.get(H_BATCH))
        const peer = msg.headers?.get(H_NODE) ?? ''
        const position = msg.headers?.get(H_POSITION) ?? ''
        const answer = this.waiting.get(batch)
        if (answer === undefined || peer === '') return
        answer(peer, position === '' ? null : { position: Number(position), executions: msg.data })
      },
    }))
  }

  private subject(kind: 'peers' | 'share' | 'answer'): string {
    return `acheron.phase1.${kind}.${this.stream}`
  }

  phase1Peers(): readonly string[] {
    const now = performance.now()
    const peers: string[] = []
    for (const [id, at] of this.heard) {
      if (now - at < PHASE1_PEER_HEARD_MS) peers.push(id)
      else this.heard.delete(id)
    }
    // Sorted: a slot is a place in this list, the same for the writer and every follower.
    return peers.sort()
  }

  sharePhase1(number: number, body: Uint8Array, owners: Uint8Array, peers: readonly string[], answer: AnswerFn): void {
    const w = new ByteWriter(64 + owners.length + body.length)
    w.varint(peers.length)
    for (const p of peers) w.text(p)
    w.bytes(owners)
    w.bytes(body)
    const data = w.finish()
    if (data.length > this.payloadMax || this.nc.isClosed()) {
      for (const p of peers) answer(p, null)
      return
    }
    this.waiting.set(number, answer)
    const h = natsHeaders()
    h.set(H_BATCH, String(number))
    h.set(H_WRITER, this.node)
    this.nc.publish(this.subject('share'), data, { headers: h })
  }

  sharePhase1Done(number: number): void {
    this.waiting.delete(number)
  }

  servePhase1(run: (number: number, body: Uint8Array, indexes: readonly number[]) => Promise<PeerAnswer | null>): () => void {
    const beat = (): void => { if (!this.nc.isClosed()) this.nc.publish(this.subject('peers'), new TextEncoder().encode(this.node)) }
    beat()
    const beats = setInterval(beat, PHASE1_HEARTBEAT_MS)
    beats.unref()
    const sub = this.nc.subscribe(this.subject('share'), {
      callback: (_err, msg) => {
        const batch = Number(msg.headers?.get(H_BATCH))
        const writer = msg.headers?.get(H_WRITER) ?? ''
        if (!Number.isSafeInteger(batch) || writer === '') return
        let slot = 0
        let body: Uint8Array
        const indexes: number[] = []
        try {
          const r = new ByteReader(msg.data)
          const peers = r.varint()
          for (let i = 0; i < peers; i++) if (r.text() === this.node) slot = i + 1
          const owners = r.bytes()
          body = r.bytes()
          owners.forEach((o, i) => { if (o === slot) indexes.push(i) })
        } catch {
          return
        }
        if (slot === 0 || indexes.length === 0) return
        void run(batch, body, indexes).then((a) => this.answer(writer, batch, a), () => this.answer(writer, batch, null))
      },
    })
    return () => {
      clearInterval(beats)
      sub.unsubscribe()
    }
  }

  private answer(writer: string, batch: number, a: PeerAnswer | null): void {
    if (this.nc.isClosed()) return
    const h = natsHeaders()
    h.set(H_BATCH, String(batch))
    h.set(H_NODE, this.node)
    const fits = a !== null && a.executions.length <= this.payloadMax
    if (fits) h.set(H_POSITION, String(a.position))
    this.nc.publish(`${this.subject('answer')}.${writer}`, fits ? a.executions : new Uint8Array(0), { headers: h })
  }

  close(): void {
    for (const s of this.subs) s.unsubscribe()
    this.subs.length = 0
    this.waiting.clear()
  }
}
