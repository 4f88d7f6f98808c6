/**
 * A released batch's row writes in one binary buffer, on a SharedArrayBuffer: the coordinator encodes
 * them once and posts the same memory to every execution worker and to the state thread, instead of a
 * structured clone per thread.
 *
 *   varint tables | tables × text | varint writes | writes × (varint table index | key value |
 *   varint width + 1, 0 for a delete | width × value)
 */
import type { RowKey } from '../schema/keys.js'
import type { RowWrite } from '../schema/rows.js'
import type { Row, SqlValue } from '../values.js'
import { ByteReader, ByteWriter } from './bytes.js'
import { readValue, writeValue } from './values.js'

export function encodeRowWrites(writes: readonly RowWrite[], shared = true): Uint8Array {
  const w = new ByteWriter(64 + writes.length * 40, shared)
  const tables = new Map<string, number>()
  for (const x of writes) if (!tables.has(x.table)) tables.set(x.table, tables.size)
  w.varint(tables.size)
  for (const t of tables.keys()) w.text(t)
  w.varint(writes.length)
  for (const x of writes) {
    w.varint(tables.get(x.table) as number)
    writeValue(w, x.key)
    if (x.row === null) w.varint(0)
    else {
      w.varint(x.row.length + 1)
      for (const v of x.row) writeValue(w, v)
    }
  }
  return w.finish()
}

export function decodeRowWrites(buf: Uint8Array): RowWrite[] {
  const r = new ByteReader(buf)
  const tables: string[] = []
  for (let n = r.varint(), i = 0; i < n; i++) tables.push(r.text())
  const prefixes = tables.map((t) => t + '\u0000')
  const n = r.varint()
  const out: RowWrite[] = new Array(n)
  for (let i = 0; i < n; i++) {
    const t = r.varint()
    const key = readValue(r)
    const width = r.varint() - 1
    let row: Row | null = null
    if (width >= 0) {
      const values: SqlValue[] = new Array(width)
      for (let j = 0; j < width; j++) values[j] = readValue(r)
      row = values
    }
    // The same identity as rowKeyOf: lower-cased table, NUL, the key's text form.
    const rowKey: RowKey = (prefixes[t] as string) + String(key)
    out[i] = { rowKey, table: tables[t] as string, key, row }
  }
  return out
}
