import { createHash, type Hash } from 'node:crypto'
import type { CatalogData, TableDef } from '../schema/catalog.js'
import type { Row, SqlValue } from '../values.js'

/**
 * A hash of the whole state: every table (by name) with its definition and every row in key order,
 * each value with its type. Equal digests mean equal state row for row and bit for bit.
 */
export function stateDigest(catalog: CatalogData, scanTable: (t: TableDef) => Row[]): string {
  const h = createHash('sha256')
  const tables = [...catalog.tables].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  for (const table of tables) {
    h.update(`table ${table.name.toLowerCase()} ${JSON.stringify(table.columns.map((c) => [c.name, c.type, c.notNull]))} ${table.keyIndex} ${table.partitions}\n`)
    for (const row of scanTable(table)) {
      for (const v of row) hashValue(h, v)
      h.update('\n')
    }
  }
  return h.digest('hex')
}

const f64 = new DataView(new ArrayBuffer(8))

function hashValue(h: Hash, v: SqlValue): void {
  if (v === null) h.update('n;')
  else if (typeof v === 'bigint') h.update(`i${v};`)
  else if (typeof v === 'number') {
    f64.setFloat64(0, v)
    h.update('r')
    h.update(new Uint8Array(f64.buffer))
  } else if (typeof v === 'string') {
    const b = Buffer.from(v, 'utf8')
    h.update(`t${b.length}:`)
    h.update(b)
  } else {
    h.update(`b${v.length}:`)
    h.update(v)
  }
}
