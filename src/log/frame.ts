/**
 * How log entries are framed on disk:
 *
 *   magic u32 | body length u32 | crc32 u32 | kind u8 | batch f64 | body
 *
 * The CRC-32 covers everything after itself (kind, batch, body). The magic lets a scan tell a torn
 * tail (nothing valid after the damage) from damage before the tail (a valid frame follows it).
 */
import { crc32 } from 'node:zlib'
import type { LogEntry } from './batch-log.js'

export const FRAME_MAGIC = 0xac4e_1061
export const FRAME_HEADER_BYTES = 4 + 4 + 4 + 1 + 8
/** The largest body a frame may claim; a larger length is damage, not a record. */
export const FRAME_BODY_BYTES_MAX = 1024 * 1024 * 1024

const KIND_BATCH = 1
const KIND_VOID = 2

export function encodeFrame(e: LogEntry): Uint8Array {
  const body = e.kind === 'batch' ? e.body : new Uint8Array(0)
  const out = new Uint8Array(FRAME_HEADER_BYTES + body.length)
  const v = new DataView(out.buffer)
  v.setUint32(0, FRAME_MAGIC, true)
  v.setUint32(4, body.length, true)
  out[12] = e.kind === 'batch' ? KIND_BATCH : KIND_VOID
  v.setFloat64(13, e.batch, true)
  out.set(body, FRAME_HEADER_BYTES)
  v.setUint32(8, crc32(out.subarray(12)), true)
  return out
}

export type FrameRead =
  | { readonly ok: true; readonly entry: LogEntry; readonly end: number }
  | { readonly ok: false; readonly reason: string }

/** The frame at `offset` of `buf`, or why there is none. The body is a view into `buf`. */
export function readFrame(buf: Uint8Array, offset: number): FrameRead {
  if (buf.length - offset < FRAME_HEADER_BYTES) return { ok: false, reason: `${buf.length - offset} bytes left, a frame header is ${FRAME_HEADER_BYTES}` }
  const v = new DataView(buf.buffer, buf.byteOffset + offset, FRAME_HEADER_BYTES)
  if (v.getUint32(0, true) !== FRAME_MAGIC) return { ok: false, reason: 'no frame marker' }
  const length = v.getUint32(4, true)
  if (length > FRAME_BODY_BYTES_MAX) return { ok: false, reason: `implausible length ${length}` }
  const end = offset + FRAME_HEADER_BYTES + length
  if (end > buf.length) return { ok: false, reason: `frame of ${length} bytes runs past the end of the file` }
  if (crc32(buf.subarray(offset + 12, end)) !== v.getUint32(8, true)) return { ok: false, reason: 'checksum mismatch' }
  const kind = v.getUint8(12)
  const batch = v.getFloat64(13, true)
  // Batches count from 1; a void of batch 0 is a replicated log's takeover fence (TAKEOVER_FENCE).
  if (!Number.isSafeInteger(batch) || batch < 0 || (batch === 0 && kind !== KIND_VOID)) return { ok: false, reason: `invalid batch number ${batch}` }
  if (kind === KIND_BATCH) return { ok: true, entry: { kind: 'batch', batch, body: buf.subarray(offset + FRAME_HEADER_BYTES, end) }, end }
  if (kind === KIND_VOID && length === 0) return { ok: true, entry: { kind: 'void', batch }, end }
  return { ok: false, reason: `unknown entry kind ${kind}` }
}

/** The offset of the first valid frame after `from`, or -1: whether damage at `from` is followed by data. */
export function nextValidFrame(buf: Uint8Array, from: number): number {
  const m0 = FRAME_MAGIC & 0xff
  for (let i = from; i + FRAME_HEADER_BYTES <= buf.length; i++) {
    if (buf[i] !== m0) continue
    if (readFrame(buf, i).ok) return i
  }
  return -1
}
