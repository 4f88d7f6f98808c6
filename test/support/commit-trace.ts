// What the EXPLAIN COMMIT tests share: a bank, transfers whose replies are kept, a position's trace, and
// its verdict as a reply would say it.
import { readFileSync } from 'node:fs'
import * as assert from 'uvu/assert'
import type { EmbeddedDatabase } from '../../src/index.js'
import type { AcheronError, CommitPosition } from '../../src/errors.js'
import { TRACE_COLUMNS } from '../../src/txn/types.js'
import { uint32Random } from './rng.js'

const BANK = readFileSync(new URL('../../guest/bank.wasm', import.meta.url)).toString('hex')
const ACCOUNTS = ['a0', 'a1', 'a2', 'a3', 'a4']

/** What a transfer's client was told: its position, and its value or its error code. */
export interface Reply { readonly commit: CommitPosition; readonly value: unknown; readonly code: string | null }

export async function bank(db: EmbeddedDatabase): Promise<void> {
  await db.sql(`CREATE TABLE account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0);
    CREATE FUNCTIONS account.* FROM WASM X'${BANK}'`)
  for (const a of ACCOUNTS) await db.call('account.deposit', a, 100)
}

/**
 * `rounds` rounds of `perRound` transfers sent at once (so batches hold several, in arrival order), between
 * seeded accounts (from `from` when given) of seeded amounts: some abort for want of funds.
 */
export async function transfers(db: EmbeddedDatabase, seed: number, rounds: number, perRound: number, from?: string): Promise<Reply[]> {
  const next = uint32Random(seed)
  const replies: Reply[] = []
  for (let r = 0; r < rounds; r++) {
    const round = Array.from({ length: perRound }, () => {
      const a = from ?? ACCOUNTS[next() % ACCOUNTS.length] as string
      const b = ACCOUNTS.filter((x) => x !== a)[next() % (ACCOUNTS.length - 1)] as string
      // From one account, small amounts: most commit, each on the balance the ones before it left.
      const amount = from === undefined ? 10 + (next() % 70) : 1 + (next() % 30)
      return db.call('account.transfer', a, b, amount).then(
        (o): Reply => ({ commit: o.commit, value: o.value, code: null }),
        (e: AcheronError): Reply => {
          assert.ok(e.commit !== undefined, `${e.code} ${e.message}`)
          return { commit: e.commit, value: null, code: e.code }
        })
    })
    replies.push(...await Promise.all(round))
  }
  return replies
}

export type TraceRow = Record<(typeof TRACE_COLUMNS)[number], unknown>

export async function explainCommit(db: EmbeddedDatabase, at: CommitPosition): Promise<TraceRow[]> {
  const [r] = await db.sql(`EXPLAIN COMMIT (${at.batch}, ${at.seq})`)
  assert.ok(r !== undefined)
  assert.equal(r.columns, [...TRACE_COLUMNS])
  return r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c, row[i]])) as TraceRow)
}

/** The trace's verdict as a reply would say it: the value committed, or the error code rolled back with. */
export function verdict(rows: readonly TraceRow[], at: CommitPosition): string {
  const last = rows[rows.length - 1] as TraceRow
  const where = ` at (${at.batch}, ${at.seq})`
  if (last.event === 'committed') return `value ${String(last.detail).replace(/^result /, '').replace(where, '')}`
  assert.equal(last.event, 'rolled back', JSON.stringify(last))
  return `code ${String(last.detail).split(':')[0]}`
}

export const said = (r: Reply): string => r.code === null ? `value ${String(r.value)}` : `code ${r.code}`

