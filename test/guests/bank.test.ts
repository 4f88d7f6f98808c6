/**
 * The bank example in AssemblyScript, Rust and C (guest/{assemblyscript,rust,c}/examples/bank), each registered and run
 * through the real engine (worker threads over SQLite, and in memory) with the same assertions: transfers
 * across partitions, insufficient funds, an i64 overflow and an argument of the wrong type each aborting
 * with nothing changed, money conserved; and one seeded sequence of calls giving the same results and the
 * same state digest in all three.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { uint32Random } from '../support/rng.js'
import { AcheronError, open, type EmbeddedDatabase, type OpenOptions } from '../../src/index.js'
import { tempDir } from '../support/tmp.js'
import { INT64_MAX } from '../../src/values.js'
import { guestModule, guestTest, type GuestLanguage } from '../support/guest-toolchains.js'

const LANGS: GuestLanguage[] = ['assemblyscript', 'rust', 'c']
const FUNCTIONS = ['balance', 'deposit', 'withdraw', 'transfer']

async function openBank(lang: GuestLanguage, options: OpenOptions): Promise<{ db: EmbeddedDatabase; close: () => Promise<void> }> {
  const tmp = options.memory === true ? null : tempDir()
  const db = await open({ ...options, ...(tmp !== null ? { dir: tmp.dir } : {}) })
  const close = async (): Promise<void> => {
    await db.close()
    tmp?.cleanup()
  }
  try {
    await db.createTable({
      name: 'account', partitions: 4,
      columns: [{ name: 'id', type: 'TEXT', primaryKey: true }, { name: 'balance', type: 'INTEGER', notNull: true, default: 0 }],
    })
    const bytes = guestModule('bank', lang)
    for (const f of FUNCTIONS) await db.createFunction(`account.${f}`, bytes, { export: f })
    return { db, close }
  } catch (e) {
    await close()
    throw e
  }
}

async function failure(p: Promise<unknown>): Promise<AcheronError> {
  try {
    await p
  } catch (e) {
    if (e instanceof AcheronError) return e
    throw new Error(`expected an AcheronError, got ${String(e)}`)
  }
  throw new Error('expected a failure, the call succeeded')
}

const balance = async (db: EmbeddedDatabase, id: string): Promise<unknown> => (await db.get('account', id)).row?.balance ?? null

async function total(db: EmbeddedDatabase): Promise<unknown> {
  const [r] = await db.sql('SELECT SUM(balance) AS total FROM account;')
  return r?.rows?.[0]?.[0]
}

for (const lang of LANGS) {
  for (const config of [{ workers: 2 }, { memory: true }] as OpenOptions[]) {
    const name = `${lang}, ${config.memory === true ? 'memory' : `workers ${config.workers}`}`

    guestTest(lang)(`bank (${name}): deposit, withdraw and transfer across partitions; money is conserved`, async () => {
      const { db, close } = await openBank(lang, config)
      try {
        assert.is((await db.call('account.balance', 'alice')).value, 0)
        assert.is((await db.call('account.deposit', 'alice', 100)).value, 100)
        assert.is((await db.call('account.deposit', 'bob', 5)).value, 5)
        assert.is((await db.call('account.withdraw', 'alice', 30)).value, 70)
        // 20 accounts over 4 partitions: transfers from alice reach every partition.
        for (let i = 0; i < 10; i++) assert.is((await db.call('account.transfer', 'alice', `acct${i}`, 2)).value, 68 - 2 * i)
        assert.is((await db.call('account.transfer', 'bob', 'alice', 5)).value, 0)
        assert.is(await balance(db, 'alice'), 55)
        assert.is(await balance(db, 'bob'), 0)
        for (let i = 0; i < 10; i++) assert.is((await db.call('account.balance', `acct${i}`)).value, 2)
        assert.is(await total(db), 75, 'deposits 105 less the 30 withdrawn')
      } finally {
        await close()
      }
    })

    guestTest(lang)(`bank (${name}): insufficient funds is TXN_ABORTED with the guest's message, nothing changed`, async () => {
      const { db, close } = await openBank(lang, config)
      try {
        await db.call('account.deposit', 'alice', 50)
        await db.call('account.deposit', 'bob', 10)
        const before = await db.digest()
        const e = await failure(db.call('account.withdraw', 'alice', 51))
        assert.is(e.code, 'TXN_ABORTED')
        assert.is(e.message, 'insufficient funds')
        assert.ok(e.commit !== undefined && e.commit.batch > 0)
        // The nested deposit would have run after the debit: the abort rolls both back.
        const over = await failure(db.call('account.transfer', 'bob', 'alice', 11))
        assert.is(over.code, 'TXN_ABORTED')
        assert.is(over.message, 'insufficient funds')
        const zero = await failure(db.call('account.transfer', 'alice', 'bob', 0))
        assert.is(zero.code, 'TXN_ABORTED')
        assert.is(zero.message, 'amount must be positive')
        const deposit = await failure(db.call('account.deposit', 'carol', -1))
        assert.is(deposit.message, 'deposit amount must be positive')
        assert.is(await balance(db, 'alice'), 50)
        assert.is(await balance(db, 'bob'), 10)
        assert.is(await balance(db, 'carol'), null)
        assert.is(await db.digest(), before)
      } finally {
        await close()
      }
    })

    guestTest(lang)(`bank (${name}): a balance past the largest INTEGER aborts with "balance would overflow", nothing changed`, async () => {
      // i64 addition wraps around: deposit(MAX) onto 100 committed -9223372036854775709.
      const { db, close } = await openBank(lang, config)
      try {
        await db.call('account.deposit', 'alice', 100)
        assert.is((await db.call('account.deposit', 'bob', INT64_MAX - 100n)).value, INT64_MAX - 100n)
        assert.is((await db.call('account.deposit', 'bob', 100)).value, INT64_MAX, 'up to the largest INTEGER is allowed')
        const before = await db.digest()
        const deposit = await failure(db.call('account.deposit', 'alice', INT64_MAX))
        assert.equal([deposit.code, deposit.message], ['TXN_ABORTED', 'balance would overflow'])
        assert.ok(deposit.commit !== undefined && deposit.commit.batch > 0)
        assert.equal((await failure(db.call('account.deposit', 'bob', 1))).message, 'balance would overflow')
        // The nested deposit at bob overflows after alice's debit ran: the abort rolls both back.
        const transfer = await failure(db.call('account.transfer', 'alice', 'bob', 1))
        assert.equal([transfer.code, transfer.message], ['TXN_ABORTED', 'balance would overflow'])
        // The new user's report, in SQL.
        assert.is((await failure(db.sql("CALL account.deposit('alice', 9223372036854775807);"))).message, 'balance would overflow')
        assert.is(await balance(db, 'alice'), 100)
        assert.is(await balance(db, 'bob'), INT64_MAX)
        assert.is(await db.digest(), before)
      } finally {
        await close()
      }
    })

    guestTest(lang)(`bank (${name}): an argument of the wrong type aborts naming it, nothing changed`, async () => {
      // Before, arg_int read a REAL truncated (1.5 deposited 1) and a TEXT as 0 ("amount must be positive").
      const { db, close } = await openBank(lang, config)
      try {
        await db.call('account.deposit', 'alice', 50)
        const before = await db.digest()
        const cases: Array<[string, unknown[], string]> = [
          ['account.deposit', ['x', 1.5], 'argument 1 (amount) must be INTEGER, got REAL'],
          ['account.deposit', ['x', '10'], 'argument 1 (amount) must be INTEGER, got TEXT'],
          ['account.deposit', ['x', null], 'argument 1 (amount) must be INTEGER, got NULL'],
          ['account.deposit', ['x', new Uint8Array([10])], 'argument 1 (amount) must be INTEGER, got BLOB'],
          ['account.withdraw', ['alice', 2.5], 'argument 1 (amount) must be INTEGER, got REAL'],
          ['account.transfer', ['alice', 'bob', 'ten'], 'argument 2 (amount) must be INTEGER, got TEXT'],
          ['account.transfer', ['alice', 'bob', 1.5], 'argument 2 (amount) must be INTEGER, got REAL'],
          ['account.transfer', ['alice', null, 1], 'argument 1 (to) must be TEXT or INTEGER (a key), got NULL'],
          ['account.transfer', ['alice', 2.5, 1], 'argument 1 (to) must be TEXT or INTEGER (a key), got REAL'],
        ]
        for (const [fn, [key, ...args], message] of cases) {
          const e = await failure(db.call(fn, key, ...args))
          assert.equal([e.code, e.message], ['TXN_ABORTED', message], `${fn}(${String(key)}, ${args.map(String).join(', ')})`)
        }
        // An INTEGER is a key, of another table's type: the nested call refuses it here, naming the caller.
        const wrongKey = await failure(db.call('account.transfer', 'alice', 7, 1))
        assert.equal([wrongKey.code, wrongKey.message], ['TYPE_MISMATCH', 'column account.id is TEXT, got 7 (called by account.transfer)'])
        // A REAL with an integral value is still a REAL.
        assert.is((await failure(db.sql("CALL account.deposit('x', 1.0);"))).message, 'argument 1 (amount) must be INTEGER, got REAL')
        assert.is(await balance(db, 'alice'), 50)
        assert.is(await balance(db, 'x'), null)
        assert.is(await db.digest(), before)
      } finally {
        await close()
      }
    })
  }
}

/** What a call gave, comparable across implementations: its value, or its error's code and message. */
type Outcome = { value: unknown } | { code: string; message: string }

/** A seeded sequence of bank calls over 12 accounts, some of which must abort (overdrafts, zero amounts). */
function calls(seed: number, n: number): Array<[string, string, ...unknown[]]> {
  const next = uint32Random(seed)
  const account = (): string => `a${next() % 12}`
  const out: Array<[string, string, ...unknown[]]> = []
  for (let i = 0; i < n; i++) {
    const kind = next() % 10
    const amount = (next() % 60) - 5 // -5..54: zero and negative amounts abort
    if (kind < 3) out.push(['account.deposit', account(), amount])
    else if (kind < 5) out.push(['account.withdraw', account(), amount])
    else if (kind < 9) out.push(['account.transfer', account(), account(), amount])
    else out.push(['account.balance', account()])
  }
  return out
}

async function replay(lang: GuestLanguage, config: OpenOptions, sequence: Array<[string, string, ...unknown[]]>): Promise<{ outcomes: Outcome[]; digest: string; total: unknown }> {
  const { db, close } = await openBank(lang, config)
  try {
    const outcomes: Outcome[] = []
    for (const [fn, key, ...args] of sequence) {
      try {
        outcomes.push({ value: (await db.call(fn, key, ...args)).value })
      } catch (e) {
        if (!(e instanceof AcheronError)) throw e
        outcomes.push({ code: e.code, message: e.message })
      }
    }
    return { outcomes, digest: String(await db.digest()), total: await total(db) }
  } finally {
    await close()
  }
}

guestTest('rust', 'c')('bank: the three implementations give the same results and the same state digest for one seeded sequence', async () => {
  const sequence = calls(13, 400)
  const runs = await Promise.all(LANGS.map(async (lang, i) => ({ lang, ...await replay(lang, i === 1 ? { workers: 2 } : { memory: true }, sequence) })))
  const [as, ...others] = runs
  if (as === undefined) throw new Error('no runs')
  const aborts = as.outcomes.filter((o) => 'code' in o).length
  assert.ok(aborts > 20 && aborts < 300, `the sequence both commits and aborts (${aborts} aborts)`)
  // Money only enters by deposits that committed and leaves by withdrawals that committed.
  let expected = 0
  sequence.forEach(([fn, , ...args], i) => {
    const o = as.outcomes[i]
    if (o === undefined || 'code' in o) return
    if (fn === 'account.deposit') expected += args[0] as number
    if (fn === 'account.withdraw') expected -= args[0] as number
  })
  assert.is(as.total, expected)
  for (const other of others) {
    assert.equal(other.outcomes, as.outcomes, `${other.lang} gives the AssemblyScript results`)
    assert.is(other.digest, as.digest, `${other.lang} ends in the AssemblyScript state`)
  }
})

test.run()
