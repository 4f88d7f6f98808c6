/**
 * A growable byte writer and a bounds-checked reader: the one binary layer under the batch log's
 * records and the write sets the engine ships between threads. Little-endian; unsigned integers as
 * LEB128 varints (up to 2^53, the range of a JS number).
 */
const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

/**
 * Strings up to this many code units (or bytes) are tried as ASCII in JS first: table and function
 * names, most keys. For them a TextEncoder/TextDecoder call (a copy off a SharedArrayBuffer, a call into
 * C++) costs about three times the loop; anything not ASCII takes the general path.
 */
const SHORT_TEXT_MAX = 32

export class ByteWriter {
  private buf: Uint8Array
  private view: DataView
  length = 0

  constructor(initialBytes = 1024, private readonly shared = false) {
    this.buf = this.allocate(initialBytes)
    this.view = new DataView(this.buf.buffer)
  }

  private allocate(n: number): Uint8Array {
    return new Uint8Array(this.shared ? new SharedArrayBuffer(n) : new ArrayBuffer(n))
  }

  private ensure(extra: number): void {
    const need = this.length + extra
    if (need <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < need) size *= 2
    const next = this.allocate(size)
    next.set(this.buf.subarray(0, this.length))
    this.buf = next
    this.view = new DataView(next.buffer)
  }

  u8(v: number): void {
    this.ensure(1)
    this.buf[this.length++] = v
  }

  u32(v: number): void {
    this.ensure(4)
    this.view.setUint32(this.length, v, true)
    this.length += 4
  }

  varint(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`varint out of range: ${v}`)
    this.ensure(8)
    while (v >= 0x80) {
      this.buf[this.length++] = (v % 0x80) | 0x80
      v = Math.floor(v / 0x80)
    }
    this.buf[this.length++] = v
  }

  i64(v: bigint): void {
    this.ensure(8)
    this.view.setBigInt64(this.length, v, true)
    this.length += 8
  }

  f64(v: number): void {
    this.ensure(8)
    this.view.setFloat64(this.length, v, true)
    this.length += 8
  }

  bytes(b: Uint8Array): void {
    this.varint(b.length)
    this.raw(b)
  }

  raw(b: Uint8Array): void {
    this.ensure(b.length)
    this.buf.set(b, this.length)
    this.length += b.length
  }

  /** UTF-8 with its byte length in front. Callers check well-formedness: a lone surrogate would become U+FFFD. */
  text(s: string): void {
    if (s.length <= SHORT_TEXT_MAX && this.asciiText(s)) return
    const n = Buffer.byteLength(s, 'utf8')
    this.varint(n)
    this.ensure(n)
    encoder.encodeInto(s, this.buf.subarray(this.length, this.length + n))
    this.length += n
  }

  /** Writes `s` as ASCII if it is ASCII (one length byte: SHORT_TEXT_MAX < 0x80); false, writing nothing, if not. */
  private asciiText(s: string): boolean {
    const n = s.length
    this.ensure(n + 1)
    const buf = this.buf
    const at = this.length + 1
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i)
      if (c >= 0x80) return false
      buf[at + i] = c
    }
    buf[this.length] = n
    this.length = at + n
    return true
  }

  /** The bytes written so far (a view, not a copy). */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.length)
  }
}

export class ByteReader {
  private readonly view: DataView
  offset = 0

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  }

  get remaining(): number {
    return this.buf.length - this.offset
  }

  private need(n: number): void {
    if (this.offset + n > this.buf.length) throw new RangeError(`truncated data: need ${n} bytes at ${this.offset}, have ${this.buf.length - this.offset}`)
  }

  u8(): number {
    this.need(1)
    return this.buf[this.offset++] as number
  }

  u32(): number {
    this.need(4)
    const v = this.view.getUint32(this.offset, true)
    this.offset += 4
    return v
  }

  varint(): number {
    let v = 0
    let scale = 1
    for (let i = 0; i < 8; i++) {
      const b = this.u8()
      v += (b & 0x7f) * scale
      if (b < 0x80) return v
      scale *= 0x80
    }
    throw new RangeError(`varint too long at ${this.offset}`)
  }

  i64(): bigint {
    this.need(8)
    const v = this.view.getBigInt64(this.offset, true)
    this.offset += 8
    return v
  }

  f64(): number {
    this.need(8)
    const v = this.view.getFloat64(this.offset, true)
    this.offset += 8
    return v
  }

  /** Length-prefixed bytes, copied (the source buffer may be reused or shared). */
  bytes(): Uint8Array {
    const n = this.varint()
    this.need(n)
    // A plain Uint8Array copy: a Buffer's slice would be a view keeping the whole source alive.
    const out = new Uint8Array(this.buf.subarray(this.offset, this.offset + n))
    this.offset += n
    return out
  }

  raw(n: number): Uint8Array {
    this.need(n)
    const out = this.buf.subarray(this.offset, this.offset + n)
    this.offset += n
    return out
  }

  text(): string {
    const n = this.varint()
    this.need(n)
    if (n <= SHORT_TEXT_MAX) {
      const ascii = this.asciiText(n)
      if (ascii !== null) return ascii
    }
    // A SharedArrayBuffer view cannot be decoded directly.
    const slice = this.buf.buffer instanceof SharedArrayBuffer ? new Uint8Array(this.buf.subarray(this.offset, this.offset + n)) : this.buf.subarray(this.offset, this.offset + n)
    this.offset += n
    return decoder.decode(slice)
  }

  /** The next `n` bytes as a string if they are all ASCII (consumed), else null (nothing consumed). */
  private asciiText(n: number): string | null {
    const buf = this.buf
    const start = this.offset
    let s = ''
    for (let i = start; i < start + n; i++) {
      const c = buf[i] as number
      if (c >= 0x80) return null
      s += String.fromCharCode(c)
    }
    this.offset = start + n
    return s
  }
}
