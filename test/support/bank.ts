import { open, type EmbeddedDatabase, type OpenOptions } from '../../src/index.js'
import { JS_RUNTIME } from './js-runtime.js'

const NO_BODY = new Uint8Array(0)

/** Opens a database with the JS test runtime and an `account` table with the bank functions. */
export async function openBank(options: OpenOptions = {}): Promise<EmbeddedDatabase> {
  const db = await open({ ...options, runtimes: { js: JS_RUNTIME, ...options.runtimes } })
  await db.createTable({
    name: 'account',
    ifNotExists: true,
    columns: [
      { name: 'id', type: 'TEXT', primaryKey: true },
      { name: 'balance', type: 'INTEGER', notNull: true, default: 0 },
    ],
  })
  for (const f of ['deposit', 'withdraw', 'transfer', 'recurse', 'nullify', 'crash', 'exitThread']) {
    await db.createFunction(`account.${f}`, NO_BODY, { runtime: 'js', orReplace: true })
  }
  return db
}
