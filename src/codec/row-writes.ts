/**
 * Row writes in binary: one record per write, `text table | key value | varint width + 1 (0: a delete)
 * | width × value`.
 *
 * - An execution worker encodes its executions' writes as records (src/txn/execution-codec.ts); the
 *   coordinator keeps them as `EncodedRowWrite`s — the row key read at once, the rest decoded only if
 *   something asks — since it needs only row keys to decide conflicts.
 * - A released batch's writes go to every executor and to the state thread as one buffer on a
 *   SharedArrayBuffer, `varint count | records`: the coordinator copies the records it received,
 *   byte for byte, instead of decoding and encoding them again.
 */
import type { RowKey } from '../schema/keys.js'
import type { RowWrite } from '../schema/rows.js'
import type { Row, SqlValue } from '../values.js'
import { ByteReader, ByteWriter } from './bytes.js'
import { readValue, writeValue } from './values.js'

/** A write still in its record form; `table`, `key` and `row` are decoded on first use. */
export class EncodedRowWrite implements RowWrite {
  private decoded: RowWrite | null = null

  constructor(readonly rowKey: RowKey, readonly bytes: Uint8Array, readonly start: number, readonly end: number) {}

  private full(): RowWrite {
    if (this.decoded === null) {
      const r = new ByteReader(this.bytes)
      r.offset = this.start
      this.decoded = readRecord(r)
    }
    return this.decoded
  }

  get table(): string {
    return this.full().table
  }

  get key(): SqlValue {
    return this.full().key
  }

  get row(): Row | null {
    return this.full().row
  }
}

/** One write's record; an EncodedRowWrite is copied as it is. */
export function writeRecord(w: ByteWriter, x: RowWrite): void {
  if (x instanceof EncodedRowWrite) {
    w.raw(x.bytes.subarray(x.start, x.end))
    return
  }
  w.text(x.table)
  writeValue(w, x.key)
  if (x.row === null) w.varint(0)
  else {
    w.varint(x.row.length + 1)
    for (const v of x.row) writeValue(w, v)
  }
}

export function readRecord(r: ByteReader): RowWrite {
  const table = r.text()
  const key = readValue(r)
  const width = r.varint() - 1
  let row: Row | null = null
  if (width >= 0) {
    const values: SqlValue[] = new Array(width)
    for (let j = 0; j < width; j++) values[j] = readValue(r)
    row = values
  }
  // The same identity as rowKeyOf: lower-cased table, NUL, the key's text form.
  return { rowKey: table + '\u0000' + String(key), table, key, row }
}

export function encodeRowWrites(writes: readonly RowWrite[], shared = true): Uint8Array {
  const w = new ByteWriter(64 + writes.length * 40, shared)
  w.varint(writes.length)
  for (const x of writes) writeRecord(w, x)
  return w.finish()
}

export function decodeRowWrites(buf: Uint8Array): RowWrite[] {
  const r = new ByteReader(buf)
  const n = r.varint()
  const out: RowWrite[] = new Array(n)
  for (let i = 0; i < n; i++) out[i] = readRecord(r)
  return out
}
