/**
 * The NATS messages of request forwarding (src/cluster/forwarding.ts), in binary so that many requests
 * share one message: a follower sends the requests its clients made in one turn of its event loop as one
 * envelope, and the writer answers those that finished in one turn of its own as one message per follower.
 *
 * Requests: u16 inbox length, the inbox (UTF-8), then per request: u32 id, u8 role (0 app, 1 admin),
 * u32 length, the request's JSON text. Replies: per reply: u32 id, u32 length, the reply's JSON text.
 * Integers are big-endian.
 */
import type { ForwardRole } from './forwarding.js'

/** Bytes a request adds to an envelope besides its text. */
export const REQUEST_RECORD_OVERHEAD = 9
/** Bytes a reply adds to a replies message besides its text. */
export const REPLY_RECORD_OVERHEAD = 8
/** Bytes of an envelope besides its inbox and requests. */
export const ENVELOPE_HEADER = 2

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
  out.writeUInt16BE(inboxBytes, 0)
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

export function decodeRequests(data: Uint8Array): { inbox: string; requests: ForwardedRequest[] } {
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  if (b.length < ENVELOPE_HEADER) throw new FrameError(`a forwarded envelope of ${b.length} bytes has no header`)
  const inboxEnd = ENVELOPE_HEADER + b.readUInt16BE(0)
  if (inboxEnd > b.length) throw new FrameError('a forwarded envelope ends inside its inbox')
  const inbox = b.toString('utf8', ENVELOPE_HEADER, inboxEnd)
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
  return { inbox, requests }
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
