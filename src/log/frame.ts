/**
 * How log entries are framed on disk:
 *
 *   magic u32 | body length u32 | crc32 u32 | kind u8 | batch f64 | body
 *
 * The CRC-32 covers everything after itself (kind, batch, body). The magic lets a scan tell a torn
 * tail (nothing valid after the damage) from damage before the tail (a valid frame follows it).
 *
 * The magic's low byte is the log format (LOG_FORMAT): a later change to the frame or to what a body
 * holds takes the next value, and so does a new entry kind. A reader that meets a higher format, or a
 * whole entry (its checksum right) of a kind it does not know, refuses the log as written by a newer
 * acheron (LogFormatError) instead of taking it for damage: cutting it as a torn tail would drop
 * acknowledged batches.
 */
import { crc32 } from 'node:zlib'
import type { LogEntry } from './batch-log.js'

/** The markers of every log format share these three bytes. */
const FRAME_MAGIC_FAMILY = 0xac4e_1000
/** The log format this version writes and reads (the low byte of its frames' marker). */
export const LOG_FORMAT = 0x61
// (>>> 0: bitwise OR gives a signed number, which no unsigned read of the marker equals.)
export const FRAME_MAGIC = (FRAME_MAGIC_FAMILY | LOG_FORMAT) >>> 0
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
  /** `newer`: not damage but an entry of a later format (what it is, for LogFormatError). */
  | { readonly ok: false; readonly reason: string; readonly newer?: string }

/** The frame at `offset` of `buf`, or why there is none. The body is a view into `buf`. */
export function readFrame(buf: Uint8Array, offset: number): FrameRead {
  if (buf.length - offset < FRAME_HEADER_BYTES) return { ok: false, reason: `${buf.length - offset} bytes left, a frame header is ${FRAME_HEADER_BYTES}` }
  const v = new DataView(buf.buffer, buf.byteOffset + offset, FRAME_HEADER_BYTES)
  const magic = v.getUint32(0, true)
  if (magic !== FRAME_MAGIC) {
    const format = magic & 0xff
    if ((magic & 0xffff_ff00) >>> 0 === FRAME_MAGIC_FAMILY && format > LOG_FORMAT) return { ok: false, reason: `log format ${format}`, newer: `an entry in log format ${format}` }
    return { ok: false, reason: 'no frame marker' }
  }
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
  // Whole (its checksum is right) yet of no kind this version writes: a later version's.
  if (kind !== KIND_BATCH && kind !== KIND_VOID) return { ok: false, reason: `unknown entry kind ${kind}`, newer: `a whole entry of kind ${kind}` }
  return { ok: false, reason: `a void entry with a body of ${length} bytes` }
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
