// Two tables a(id, x) and b(id, y) of `side` rows each (x and y = id % 97), big enough that joining them
// without a key examines more row combinations than QUERY_ROWS_EXAMINED_MAX allows.
import type { EmbeddedDatabase } from '../../src/index.js'
import { QUERY_ROWS_EXAMINED_MAX } from '../../src/storage/sqlite-schema.js'

/** Creates and fills a and b; returns their row count (each). */
export async function productTables(db: EmbeddedDatabase): Promise<number> {
  await db.sql('CREATE TABLE a (id INTEGER PRIMARY KEY, x INTEGER); CREATE TABLE b (id INTEGER PRIMARY KEY, y INTEGER)')
  const side = Math.ceil(Math.sqrt(QUERY_ROWS_EXAMINED_MAX)) + 1
  for (let from = 0; from < side; from += 1000) {
    const rows = Array.from({ length: Math.min(1000, side - from) }, (_, j) => `(${from + j}, ${(from + j) % 97})`).join(', ')
    await db.sql(`INSERT INTO a VALUES ${rows}; INSERT INTO b VALUES ${rows}`)
  }
  return side
}
