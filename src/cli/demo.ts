import { fileURLToPath } from 'node:url'
import { AcheronError, open, type OpenOptions } from '../index.js'

/** The AssemblyScript bank example, built by `npm install` (scripts/build-guests.js). */
const BANK_WASM = fileURLToPath(new URL('../../guest/bank.wasm', import.meta.url))

export interface DemoOptions extends OpenOptions {
  transfers: number
  out: (line: string) => void
}

/** Deterministic key choice for the demo's transfers (no Math.random: the demo replays identically). */
function* pairs(n: number, accounts: string[]): Generator<[string, string]> {
  let x = 0x2545f491
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0
    const a = x % accounts.length
    const b = (a + 1 + ((x >>> 8) % (accounts.length - 1))) % accounts.length
    yield [accounts[a] as string, accounts[b] as string]
  }
}

/**
 * The vertical path, in SQL, on the embedded engine: a table, WebAssembly functions registered from a
 * file, a CALL that commits and one that aborts, a storm of concurrent cross-partition transfers, and
 * a serializable SUM that shows the total conserved.
 */
export async function runDemo(o: DemoOptions): Promise<void> {
  const { transfers: _transfers, out: _out, ...options } = o
  const db = await open(options)
  const show = async (sql: string, params: unknown[] = []) => {
    try {
      for (const r of await db.sql(sql, params)) {
        const rows = r.rows.map((row) => row.map((v) => JSON.stringify(v)).join(' | '))
        o.out(`${sql.split('\n')[0]}\n  -> ${rows.length > 0 ? rows.join('; ') : `${r.rowsAffected} row(s)`}  commit ${JSON.stringify(r.commit)}`)
      }
    } catch (e) {
      if (!(e instanceof AcheronError)) throw e
      o.out(`${sql}\n  -> ${e.code}: ${e.message}  commit ${JSON.stringify(e.commit)}`)
    }
  }
  try {
    await show('CREATE TABLE IF NOT EXISTS account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0) PARTITIONS 8;')
    for (const f of ['balance', 'deposit', 'withdraw', 'transfer']) {
      await show(`CREATE OR REPLACE FUNCTION account.${f} FROM WASM FILE '${BANK_WASM.replace(/'/g, "''")}';`)
    }
    const accounts = Array.from({ length: 16 }, (_, i) => `user${String(i).padStart(2, '0')}`)
    await show(`INSERT OR REPLACE INTO account VALUES ${accounts.map((a) => `('${a}', 1000)`).join(', ')};`)
    await show("CALL account.transfer('user00', 'user01', 250);")
    await show("CALL account.withdraw('user02', 1000000);")
    const started = performance.now()
    const results = await Promise.allSettled([...pairs(o.transfers, accounts)].map(([a, b]) => db.sql('CALL account.transfer(?, ?, ?)', [a, b, 7])))
    const secs = (performance.now() - started) / 1000
    const aborted = results.filter((r) => r.status === 'rejected').length
    o.out(`${o.transfers} concurrent CALL account.transfer(...) in ${secs.toFixed(2)} s (${Math.round(o.transfers / secs)} txn/s), ${aborted} aborted by their own logic`)
    await show('SELECT SUM(balance) AS total, COUNT(*) AS accounts FROM account;')
    o.out(`expected total ${accounts.length * 1000}; state digest ${(await db.digest()).slice(0, 16)}…`)
    const s = db.stats
    o.out(`engine: ${s.batches} batches, ${s.txns} transactions, ${s.fallbackTxns} re-executed in the fallback`)
  } finally {
    await db.close()
  }
}
