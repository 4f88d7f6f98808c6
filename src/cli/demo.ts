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
 * Transfers in flight at once: well under the engine's bound on waiting transactions (100,000 by
 * default), which refused the rest of a large --transfers as OVERLOADED, counted as aborts.
 */
export const DEMO_IN_FLIGHT_MAX = 10_000

/** A statement as a failure line names it: its first 60 characters. */
function brief(sql: string): string {
  return sql.length > 60 ? `${sql.slice(0, 59)}…` : sql
}

/** How the transfers ended: committed, rolled back by the function (with a position), or refused (by code). */
interface TransferTally { committed: number; rolledBack: number; refused: Map<string, number> }

/** Runs `calls` with at most DEMO_IN_FLIGHT_MAX in flight, and tallies how each ended. */
async function storm(calls: Iterable<() => Promise<unknown>>): Promise<TransferTally> {
  const tally: TransferTally = { committed: 0, rolledBack: 0, refused: new Map() }
  const it = calls[Symbol.iterator]()
  const lane = async (): Promise<void> => {
    for (let next = it.next(); next.done !== true; next = it.next()) {
      try {
        await next.value()
        tally.committed++
      } catch (e) {
        if (!(e instanceof AcheronError)) throw e
        if (e.commit !== undefined) tally.rolledBack++
        else tally.refused.set(e.code, (tally.refused.get(e.code) ?? 0) + 1)
      }
    }
  }
  await Promise.all(Array.from({ length: DEMO_IN_FLIGHT_MAX }, lane))
  return tally
}

/**
 * The vertical path, in SQL, on the embedded engine: a table, WebAssembly functions registered from a
 * file, a CALL that commits and one that aborts, a storm of concurrent cross-partition transfers, and
 * a serializable SUM that shows the total conserved. Returns whether every step did what it shows
 * (the exit status): a statement that failed where it should not, a refused transfer or a total that
 * is not the one expected is a failed demo.
 */
export async function runDemo(o: DemoOptions): Promise<boolean> {
  const { transfers: _transfers, out: _out, ...options } = o
  const db = await open(options)
  const problems: string[] = []
  /** Runs `sql` and prints its result; `expectCode` is the error it is meant to end with (the withdraw). */
  const show = async (sql: string, expectCode?: string): Promise<unknown[][]> => {
    try {
      const results = await db.sql(sql)
      for (const r of results) {
        const rows = r.rows.map((row) => row.map((v) => JSON.stringify(v)).join(' | '))
        o.out(`${sql.split('\n')[0]}\n  -> ${rows.length > 0 ? rows.join('; ') : `${r.rowsAffected} row(s)`}  commit ${JSON.stringify(r.commit)}`)
      }
      if (expectCode !== undefined) problems.push(`${brief(sql)} committed, where it should have ended with ${expectCode}`)
      return results.at(-1)?.rows ?? []
    } catch (e) {
      if (!(e instanceof AcheronError)) throw e
      o.out(`${sql}\n  -> ${e.code}: ${e.message}  commit ${JSON.stringify(e.commit)}`)
      if (e.code !== expectCode) problems.push(`${brief(sql)} failed: ${e.code}: ${e.message}`)
      return []
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
    await show("CALL account.withdraw('user02', 1000000);", 'TXN_ABORTED')
    if (problems.length === 0) {
      const started = performance.now()
      const calls = function* (): Generator<() => Promise<unknown>> {
        for (const [a, b] of pairs(o.transfers, accounts)) yield () => db.sql('CALL account.transfer(?, ?, ?)', [a, b, 7])
      }
      const t = await storm(calls())
      const secs = (performance.now() - started) / 1000
      const refused = [...t.refused].sort(([a], [b]) => (a < b ? -1 : 1)).map(([code, n]) => `${n} ${code}`)
      o.out(`${o.transfers} CALL account.transfer(...), up to ${Math.min(o.transfers, DEMO_IN_FLIGHT_MAX)} at once, in ${secs.toFixed(2)} s (${Math.round((t.committed + t.rolledBack) / secs)} txn/s): ` +
        `${t.committed} committed, ${t.rolledBack} rolled back by their own logic${refused.length > 0 ? `, refused: ${refused.join(', ')}` : ''}`)
      if (refused.length > 0) problems.push(`transfers were refused: ${refused.join(', ')}`)
      const [total] = await show('SELECT SUM(balance) AS total, COUNT(*) AS accounts FROM account;')
      const expected = accounts.length * 1000
      o.out(`expected total ${expected}; state digest ${(await db.digest()).slice(0, 16)}…`)
      if (Number(total?.[0]) !== expected || Number(total?.[1]) !== accounts.length) problems.push(`the accounts hold ${String(total?.[0])} in ${String(total?.[1])} rows, where ${expected} in ${accounts.length} was expected (a table account of another program in this directory? the demo's data directory is its own: --data)`)
    }
    const s = db.stats
    o.out(`engine: ${s.batches} batches, ${s.txns} transactions, ${s.fallbackTxns} re-executed in the fallback`)
  } finally {
    await db.close()
  }
  for (const p of problems) o.out(`demo failed: ${p}`)
  return problems.length === 0
}
