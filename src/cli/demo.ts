import { readFileSync } from 'node:fs'
import { AcheronError, open, type OpenOptions } from '../index.js'

/** The AssemblyScript bank example, built by `npm install` (scripts/build-guests.js). */
const BANK_WASM = new URL('../../guest/bank.wasm', import.meta.url)

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
 * The vertical path with the embedded engine: a table, WebAssembly functions, calls that commit and
 * one that aborts, a storm of cross-partition transfers, and the conserved total afterwards.
 */
export async function runDemo(o: DemoOptions): Promise<void> {
  const db = await open(o)
  try {
    await db.createTable({
      name: 'account', ifNotExists: true, partitions: 8,
      columns: [{ name: 'id', type: 'TEXT', primaryKey: true }, { name: 'balance', type: 'INTEGER', notNull: true, default: 0 }],
    })
    const wasm = new Uint8Array(readFileSync(BANK_WASM))
    for (const f of ['balance', 'deposit', 'withdraw', 'transfer']) {
      await db.createFunction(`account.${f}`, wasm, { orReplace: true })
    }
    const accounts = Array.from({ length: 16 }, (_, i) => `user${String(i).padStart(2, '0')}`)
    await db.insert('account', accounts.map((id) => [id, 1000]), { replace: true })
    o.out(`opened ${o.dir}: table account (8 partitions), functions from ${BANK_WASM.pathname.split('/').slice(-2).join('/')}`)

    const t = await db.call('account.transfer', 'user00', 'user01', 250)
    o.out(`CALL account.transfer('user00', 'user01', 250) -> ${String(t.value)}  commit ${JSON.stringify(t.commit)}`)
    try {
      await db.call('account.withdraw', 'user02', 1_000_000)
    } catch (e) {
      if (!(e instanceof AcheronError)) throw e
      o.out(`CALL account.withdraw('user02', 1000000) -> ${e.code}: ${e.message}  commit ${JSON.stringify(e.commit)}`)
    }
    const started = performance.now()
    const results = await Promise.allSettled([...pairs(o.transfers, accounts)].map(([a, b]) => db.call('account.transfer', a, b, 7)))
    const secs = (performance.now() - started) / 1000
    const aborted = results.filter((r) => r.status === 'rejected').length
    let total = 0
    for (const id of accounts) total += Number((await db.get('account', id)).row?.balance ?? 0)
    o.out(`${o.transfers} concurrent transfers in ${secs.toFixed(2)} s (${Math.round(o.transfers / secs)} txn/s), ${aborted} aborted by their own logic`)
    o.out(`total balance ${total} (conserved: ${total === accounts.length * 1000 ? 'yes' : 'NO'}), state digest ${(await db.digest()).slice(0, 16)}…`)
    const s = db.stats
    o.out(`engine: ${s.batches} batches, ${s.txns} transactions, ${s.fallbackTxns} re-executed in the fallback`)
  } finally {
    await db.close()
  }
}
