// A table `name` (k INTEGER key, v INTEGER, log TEXT) with `name.run`, the JS test runtime's step
// interpreter (./js-runtime.ts), on a database that may close batches only at flush().
import type { EmbeddedDatabase } from '../../src/index.js'

export async function createStepsTable(db: EmbeddedDatabase, name = 'kv'): Promise<void> {
  const created = db.createTable({ name, columns: [
    { name: 'k', type: 'INTEGER', primaryKey: true }, { name: 'v', type: 'INTEGER', notNull: true, default: 0 }, { name: 'log', type: 'TEXT' },
  ] })
  db.flush()
  await created
  const fn = db.createFunction(`${name}.run`, new Uint8Array(0), { runtime: 'js' })
  db.flush()
  await fn
}
