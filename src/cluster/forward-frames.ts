/**
 * The NATS messages of request forwarding (src/cluster/forwarding.ts), in binary so that many requests
 * share one message: a follower sends the requests its clients made in one turn of its event loop as one
 * envelope, and the writer answers those that finished in one turn of its own as one message per follower.
 *
 * A follower sends two kinds of message to the writer, both on the stream's requests subject so that they
 * reach it in the order sent (NATS keeps one publisher's order to one subscriber):
 * - requests: u8 kind (1), u16 inbox length, the inbox (UTF-8), then per request: u32 id, u8 role (0 app,
 *   1 admin), u32 length, the request's JSON text;
 * - a status question (its probe): u8 kind (2), u16 inbox length, the inbox, then u32 ids of requests it
 *   still waits for.
 *
 * The writer answers each at once, naming itself: u8 2, u16 length, its writer id (UTF-8: one per term
 * of a node as writer), f64 the batch its state held when it began to answer forwarded requests, then
 * for a status question the u32 ids of those asked that it neither runs nor keeps a reply for (none for
 * requests); either, if it cannot read it, with u8 1 and why (UTF-8). An answer u8 0 and ids, or empty,
 * is a writer's of before the id. Replies: per reply: u32 id, u32 length, the reply's JSON text.
 * Integers are big-endian.
 */
import type { ForwardRole } from './forwarding.js'

/** Bytes a request adds to an envelope besides its text. */
export const REQUEST_RECORD_OVERHEAD = 9
/** Bytes a reply adds to a replies message besides its text. */
export const REPLY_RECORD_OVERHEAD = 8
/** Bytes of an envelope (or a status question) besides its inbox and requests (or ids). */
export const ENVELOPE_HEADER = 3

const KIND_REQUESTS = 1
const KIND_STATUS = 2
const ANSWER_IDS = 0
const ANSWER_ERROR = 1
const ANSWER_FROM_WRITER = 2

/**
 * The writer that answered: `id` names its term as writer; `since` is the batch its state held when it
 * began to answer forwarded requests, so every batch of a writer before it is at or below `since`.
 */
export interface AnsweringWriter {
  readonly id: string
  readonly since: number
}

export interface ForwardedRequest {
  readonly id: number
  readonly role: ForwardRole
  /** The request's JSON text. */
  readonly text: string
}

export interface ForwardedReply {
  readonly id: number
  readonly text: string
}

export class FrameError extends Error {}

/** One envelope holding `requests`, for replies on `inbox`; `textBytes[i]` is requests[i]'s UTF-8 length. */
export function encodeRequests(inbox: string, requests: readonly ForwardedRequest[], textBytes: readonly number[]): Uint8Array {
  const inboxBytes = Buffer.byteLength(inbox)
  let size = ENVELOPE_HEADER + inboxBytes
  for (const n of textBytes) size += REQUEST_RECORD_OVERHEAD + n
  const out = Buffer.allocUnsafe(size)
  out.writeUInt8(KIND_REQUESTS, 0)
  out.writeUInt16BE(inboxBytes, 1)
  let at = ENVELOPE_HEADER + out.write(inbox, ENVELOPE_HEADER, 'utf8')
  requests.forEach((r, i) => {
    out.writeUInt32BE(r.id, at)
    out.writeUInt8(r.role === 'admin' ? 1 : 0, at + 4)
    out.writeUInt32BE(textBytes[i] as number, at + 5)
    at += REQUEST_RECORD_OVERHEAD
    at += out.write(r.text, at, 'utf8')
  })
  return out
}

/** What a follower sent the writer: an envelope of requests, or a status question. */
export type ForwardedMessage =
  | { readonly kind: 'requests'; readonly inbox: string; readonly requests: ForwardedRequest[] }
  | { readonly kind: 'status'; readonly inbox: string; readonly ids: number[] }

/** A status question from the follower whose replies go to `inbox`, about the requests `ids`. */
export function encodeStatusQuestion(inbox: string, ids: readonly number[]): Uint8Array {
  const inboxBytes = Buffer.byteLength(inbox)
  const out = Buffer.allocUnsafe(ENVELOPE_HEADER + inboxBytes + 4 * ids.length)
  out.writeUInt8(KIND_STATUS, 0)
  out.writeUInt16BE(inboxBytes, 1)
  let at = ENVELOPE_HEADER + out.write(inbox, ENVELOPE_HEADER, 'utf8')
  for (const id of ids) at = out.writeUInt32BE(id, at)
  return out
}

export function decodeForwarded(data: Uint8Array): ForwardedMessage {
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  if (b.length < ENVELOPE_HEADER) throw new FrameError(`a forwarded message of ${b.length} bytes has no header`)
  const kind = b.readUInt8(0)
  if (kind !== KIND_REQUESTS && kind !== KIND_STATUS) throw new FrameError(`a forwarded message has the unknown kind ${kind}`)
  const inboxEnd = ENVELOPE_HEADER + b.readUInt16BE(1)
  if (inboxEnd > b.length) throw new FrameError('a forwarded message ends inside its inbox')
  const inbox = b.toString('utf8', ENVELOPE_HEADER, inboxEnd)
  if (kind === KIND_STATUS) {
    if ((b.length - inboxEnd) % 4 !== 0) throw new FrameError(`a status question ends inside an id at byte ${b.length - ((b.length - inboxEnd) % 4)}`)
    return { kind: 'status', inbox, ids: readIds(b, inboxEnd) }
  }
  const requests: ForwardedRequest[] = []
  let at = inboxEnd
  while (at < b.length) {
    if (at + REQUEST_RECORD_OVERHEAD > b.length) throw new FrameError(`a forwarded envelope ends inside a request header at byte ${at}`)
    const id = b.readUInt32BE(at)
    const roleByte = b.readUInt8(at + 4)
    const end = at + REQUEST_RECORD_OVERHEAD + b.readUInt32BE(at + 5)
    if (roleByte > 1) throw new FrameError(`a forwarded request has the unknown role ${roleByte}`)
    if (end > b.length) throw new FrameError(`a forwarded envelope ends inside request ${id}`)
    requests.push({ id, role: roleByte === 1 ? 'admin' : 'app', text: b.toString('utf8', at + REQUEST_RECORD_OVERHEAD, end) })
    at = end
  }
  return { kind: 'requests', inbox, requests }
}

function readIds(b: Buffer, from: number): number[] {
  const ids: number[] = []
  for (let at = from; at + 4 <= b.length; at += 4) ids.push(b.readUInt32BE(at))
  return ids
}

/** The writer's answer to a status question, the ids asked of which it knows nothing (or to requests: none). */
export function encodeUnknownIds(writer: AnsweringWriter, ids: readonly number[]): Uint8Array {
  const idBytes = Buffer.byteLength(writer.id)
  const head = 1 + 2 + idBytes + 8
  const out = Buffer.allocUnsafe(head + 4 * ids.length)
  out.writeUInt8(ANSWER_FROM_WRITER, 0)
  out.writeUInt16BE(idBytes, 1)
  out.write(writer.id, 3, 'utf8')
  out.writeDoubleBE(writer.since, 3 + idBytes)
  ids.forEach((id, i) => out.writeUInt32BE(id, head + 4 * i))
  return out
}

/** The writer's answer to a message it could not read. */
export function encodeAnswerError(why: string): Uint8Array {
  return Buffer.concat([Buffer.of(ANSWER_ERROR), Buffer.from(why, 'utf8')])
}

/**
 * An answer read back: the unknown ids (none, for an envelope's acknowledgement) and the writer that
 * answered (null: a writer of before writer ids), or why it was refused.
 */
export function decodeAnswer(data: Uint8Array): { unknown: number[]; writer: AnsweringWriter | null } | { error: string } {
  if (data.length === 0) return { unknown: [], writer: null }
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  const kind = b.readUInt8(0)
  if (kind === ANSWER_ERROR) return { error: b.toString('utf8', 1) }
  if (kind === ANSWER_FROM_WRITER && b.length >= 3) {
    const idEnd = 3 + b.readUInt16BE(1)
    if (idEnd + 8 <= b.length && (b.length - idEnd - 8) % 4 === 0) {
      const since = b.readDoubleBE(idEnd)
      if (Number.isSafeInteger(since) && since >= 0) return { unknown: readIds(b, idEnd + 8), writer: { id: b.toString('utf8', 3, idEnd), since } }
    }
  }
  if (kind !== ANSWER_IDS || (b.length - 1) % 4 !== 0) throw new FrameError(`an answer of ${b.length} bytes is neither ids nor an error`)
  return { unknown: readIds(b, 1), writer: null }
}

/** Replies as messages of at most `maxBytes` each (a reply alone in a message may be larger: see the caller). */
export function encodeReplies(replies: readonly ForwardedReply[], maxBytes: number): Uint8Array[] {
  const messages: Uint8Array[] = []
  let i = 0
  while (i < replies.length) {
    let size = 0
    let j = i
    const lengths: number[] = []
    for (; j < replies.length; j++) {
      const n = Buffer.byteLength((replies[j] as ForwardedReply).text)
      if (j > i && size + REPLY_RECORD_OVERHEAD + n > maxBytes) break
      lengths.push(n)
      size += REPLY_RECORD_OVERHEAD + n
    }
    const out = Buffer.allocUnsafe(size)
    let at = 0
    for (let k = i; k < j; k++) {
      const r = replies[k] as ForwardedReply
      out.writeUInt32BE(r.id, at)
      out.writeUInt32BE(lengths[k - i] as number, at + 4)
      at += REPLY_RECORD_OVERHEAD
      at += out.write(r.text, at, 'utf8')
    }
    messages.push(out)
    i = j
  }
  return messages
}

export function decodeReplies(data: Uint8Array): ForwardedReply[] {
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  const replies: ForwardedReply[] = []
  let at = 0
  while (at < b.length) {
    if (at + REPLY_RECORD_OVERHEAD > b.length) throw new FrameError(`a replies message ends inside a reply header at byte ${at}`)
    const id = b.readUInt32BE(at)
    const end = at + REPLY_RECORD_OVERHEAD + b.readUInt32BE(at + 4)
    if (end > b.length) throw new FrameError(`a replies message ends inside reply ${id}`)
    replies.push({ id, text: b.toString('utf8', at + REPLY_RECORD_OVERHEAD, end) })
    at = end
  }
  return replies
}
