// The benchmark workloads, each written once per system: the Acheron guest functions (AssemblyScript,
// dist/guest), the same transactions as PL/pgSQL functions for PostgreSQL, and again in TypeScript over
// better-sqlite3 for the SQLite peer. A transaction is drawn once, as a system-neutral Txn, from a lane's
// seeded stream, and each system turns it into its own call, so every system runs the same transactions.
import type BetterSqlite3 from 'better-sqlite3'
import { unitRandom } from './rng.js'

/** One transaction: its type, the key it runs at, and its integer arguments (other keys included). */
export interface Txn {
  type: string
  key: number
  args: number[]
}

/** The transaction logic over one SQLite connection: 'aborted' when the logic itself refuses (no write done). */
export type SqliteTxn = (t: Txn) => 'committed' | 'aborted'

/** How big the data is: keys (YCSB-T, SmallBank) or warehouses and items (TPC-C). */
export interface Scale {
  keys: number
  warehouses: number
  items: number
}

export interface Workload {
  readonly name: 'ycsbt' | 'smallbank' | 'tpcc'
  readonly description: string
  /** A lane's transactions drawn from `rand`; `key` maps a uniform draw to a key (uniform or Zipf). */
  stream(scale: Scale, key: (u: number) => number, rand: () => number): () => Txn
  readonly acheron: {
    /** dist/guest/NAME.wasm */
    guest: string
    /** The tables, in load order. */
    tables: readonly string[]
    /** CREATE TABLE and CREATE FUNCTION statements, the module given as hex. */
    ddl(partitions: number, wasmHex: string): string
    /** The INSERT statements of the initial load. */
    load(scale: Scale): Iterable<string>
    call(t: Txn): { fn: string; key: number; args: number[] }
  }
  /**
   * What must hold after any run, on every system: each query (one number, the same SQL everywhere) gives
   * the same value, and `expected` when given. Checked after the measured window.
   */
  readonly invariant?: { description: string; queries: readonly string[]; expected?: (scale: Scale) => number }
  /** Absent: this workload has no PostgreSQL version yet. */
  readonly postgres?: {
    /** The tables, their rows and the PL/pgSQL functions. */
    schema(scale: Scale): string
    call(t: Txn): { name: string; text: string; values: unknown[] }
  }
  /** Absent: this workload has no SQLite version yet. */
  readonly sqlite?: {
    schema: string
    load(db: BetterSqlite3.Database, scale: Scale): void
    prepare(db: BetterSqlite3.Database): SqliteTxn
  }
}

/** A lane's own generator: distinct lanes of one seed draw different, reproducible streams. */
export function laneRandom(seed: number, lane: number): () => number {
  return unitRandom((seed ^ Math.imul(lane + 1, 0x9e3779b1)) >>> 0)
}

/** Two distinct keys (the second moved to the next key when the draw repeats the first). */
function twoKeys(keys: number, key: (u: number) => number, rand: () => number): [number, number] {
  const a = key(rand())
  let b = key(rand())
  if (b === a) b = (a + 1) % keys
  return [a, b]
}

/** The value every YCSB-T row starts with: large enough that a transfer of 1 never runs dry. */
const YCSBT_VALUE = 1_000_000_000
const INSERT_BATCH_ROWS = 5_000

/** INSERT statements of INSERT_BATCH_ROWS rows each: rows from..to-1 of `table`, each a VALUES tuple. */
export function* insertStatements(table: string, from: number, to: number, row: (i: number) => string): Iterable<string> {
  for (let i = from; i < to; i += INSERT_BATCH_ROWS) {
    const rows: string[] = []
    for (let k = i; k < Math.min(to, i + INSERT_BATCH_ROWS); k++) rows.push(row(k))
    yield `INSERT INTO ${table} VALUES ${rows.join(', ')}`
  }
}

/** CREATE FUNCTION statements: each [t.f, export] from one module. */
export function functionStatements(functions: readonly (readonly [string, string])[], wasmHex: string): string {
  return functions.map(([name, exp]) => `CREATE FUNCTION ${name} FROM WASM X'${wasmHex}' EXPORT '${exp}';`).join(' ')
}

function sqliteLoad(db: BetterSqlite3.Database, sql: string, keys: number, row: (i: number) => unknown[]): void {
  const ins = db.prepare(sql)
  for (let i = 0; i < keys; i += INSERT_BATCH_ROWS) {
    db.transaction(() => {
      for (let k = i; k < Math.min(keys, i + INSERT_BATCH_ROWS); k++) ins.run(...row(k))
    })()
  }
}

/**
 * YCSB-T: every transaction is a transfer of 1 between two keys — 2 reads and 2 writes. In Acheron
 * usertable.transfer runs at the first key and credits the second by a nested call to usertable.add.
 */
export const YCSBT: Workload = {
  name: 'ycsbt',
  description: 'YCSB-T transfers: 2 keys per transaction, 2 reads + 2 writes',
  stream({ keys }, key, rand) {
    return () => {
      const [a, b] = twoKeys(keys, key, rand)
      return { type: 'transfer', key: a, args: [b, 1] }
    }
  },
  acheron: {
    guest: 'ycsbt',
    tables: ['usertable'],
    ddl: (partitions, hex) => `CREATE TABLE usertable (id INTEGER PRIMARY KEY, value INTEGER NOT NULL DEFAULT 0, payload TEXT) PARTITIONS ${partitions}; `
      + functionStatements([['usertable.transfer', 'transfer'], ['usertable.add', 'add']], hex),
    load: ({ keys }) => insertStatements('usertable', 0, keys, (i) => `(${i}, ${YCSBT_VALUE}, NULL)`),
    call: (t) => ({ fn: 'usertable.transfer', key: t.key, args: t.args }),
  },
  invariant: {
    description: 'transfers move value and never create it: the total is unchanged',
    queries: ['SELECT SUM(value) FROM usertable'],
    expected: ({ keys }) => keys * YCSBT_VALUE,
  },
  postgres: {
    schema: ({ keys }) => `
CREATE TABLE usertable (id INTEGER PRIMARY KEY, value BIGINT NOT NULL, payload TEXT);
INSERT INTO usertable SELECT g, ${YCSBT_VALUE} FROM generate_series(0, ${keys - 1}) g;
-- usertable.transfer of the guest: read and debit a (abort when it would go negative), read and credit b.
CREATE FUNCTION transfer(a int, b int, amount bigint) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE cur bigint; dst bigint;
BEGIN
  SELECT value INTO STRICT cur FROM usertable WHERE id = a;
  IF cur < amount THEN RAISE EXCEPTION 'insufficient value'; END IF;
  UPDATE usertable SET value = cur - amount WHERE id = a;
  SELECT value INTO STRICT dst FROM usertable WHERE id = b;
  UPDATE usertable SET value = dst + amount WHERE id = b;
  RETURN cur - amount;
END $$;`,
    call: (t) => ({ name: 'transfer', text: 'SELECT transfer($1, $2, $3)', values: [t.key, ...t.args] }),
  },
  sqlite: {
    schema: 'CREATE TABLE usertable (id INTEGER PRIMARY KEY, value INTEGER NOT NULL DEFAULT 0, payload TEXT)',
    load: (db, { keys }) => sqliteLoad(db, 'INSERT INTO usertable (id, value) VALUES (?, ?)', keys, (i) => [i, YCSBT_VALUE]),
    prepare(db) {
      const get = db.prepare('SELECT value FROM usertable WHERE id = ?').pluck()
      const put = db.prepare('UPDATE usertable SET value = ? WHERE id = ?')
      return (t) => {
        const [b = 0, amount = 0] = t.args
        const cur = get.get(t.key) as number
        if (cur < amount) return 'aborted'
        put.run(cur - amount, t.key)
        put.run((get.get(b) as number) + amount, b)
        return 'committed'
      }
    },
  },
}

/** Each balance a SmallBank account starts with, in cents. */
const SMALLBANK_BALANCE = 1_000_000
/**
 * The standard SmallBank mix (as in OLTPBench/BenchBase), percent, and the amounts in cents:
 * DepositChecking 1.30, TransactSavings a withdrawal of 20.20, WriteCheck 5.00, SendPayment 5.00.
 */
export const SMALLBANK_MIX: readonly { type: string; percent: number }[] = [
  { type: 'amalgamate', percent: 15 },
  { type: 'balance', percent: 15 },
  { type: 'deposit_checking', percent: 15 },
  { type: 'send_payment', percent: 25 },
  { type: 'transact_savings', percent: 15 },
  { type: 'write_check', percent: 15 },
]
const SB_DEPOSIT = 130
const SB_SAVINGS = -2020
const SB_CHECK = 500
const SB_PAYMENT = 500

/**
 * SmallBank (Alomari et al.) with one row per customer holding both balances, as in the guest library's
 * smallbank.ts: Amalgamate and SendPayment reach the second account by a nested call.
 */
export const SMALLBANK: Workload = {
  name: 'smallbank',
  description: 'SmallBank: Amalgamate 15%, Balance 15%, DepositChecking 15%, SendPayment 25%, TransactSavings 15%, WriteCheck 15%',
  stream({ keys }, key, rand) {
    return () => {
      let pick = rand() * 100
      let type = 'write_check'
      for (const m of SMALLBANK_MIX) {
        if (pick < m.percent) { type = m.type; break }
        pick -= m.percent
      }
      switch (type) {
        case 'amalgamate': { const [a, b] = twoKeys(keys, key, rand); return { type, key: a, args: [b] } }
        case 'send_payment': { const [a, b] = twoKeys(keys, key, rand); return { type, key: a, args: [b, SB_PAYMENT] } }
        case 'balance': return { type, key: key(rand()), args: [] }
        case 'deposit_checking': return { type, key: key(rand()), args: [SB_DEPOSIT] }
        case 'transact_savings': return { type, key: key(rand()), args: [SB_SAVINGS] }
        default: return { type, key: key(rand()), args: [SB_CHECK] }
      }
    }
  },
  acheron: {
    guest: 'smallbank',
    tables: ['sb_account'],
    ddl: (partitions, hex) => `CREATE TABLE sb_account (id INTEGER PRIMARY KEY, checking INTEGER NOT NULL DEFAULT 0, savings INTEGER NOT NULL DEFAULT 0) PARTITIONS ${partitions}; `
      + functionStatements(SMALLBANK_MIX.map((m) => [`sb_account.${m.type}`, m.type] as const), hex),
    load: ({ keys }) => insertStatements('sb_account', 0, keys, (i) => `(${i}, ${SMALLBANK_BALANCE}, ${SMALLBANK_BALANCE})`),
    call: (t) => ({ fn: `sb_account.${t.type}`, key: t.key, args: t.args }),
  },
  postgres: {
    schema: ({ keys }) => `
CREATE TABLE sb_account (id INTEGER PRIMARY KEY, checking BIGINT NOT NULL, savings BIGINT NOT NULL);
INSERT INTO sb_account SELECT g, ${SMALLBANK_BALANCE}, ${SMALLBANK_BALANCE} FROM generate_series(0, ${keys - 1}) g;
-- The guest's smallbank.ts, statement for statement; RAISE is its abort.
CREATE FUNCTION sb_balance(a int) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE r bigint;
BEGIN SELECT checking + savings INTO STRICT r FROM sb_account WHERE id = a; RETURN r; END $$;
CREATE FUNCTION sb_deposit_checking(a int, amount bigint) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE c bigint;
BEGIN
  IF amount < 0 THEN RAISE EXCEPTION 'deposit amount must not be negative'; END IF;
  SELECT checking INTO STRICT c FROM sb_account WHERE id = a;
  UPDATE sb_account SET checking = c + amount WHERE id = a;
  RETURN c + amount;
END $$;
CREATE FUNCTION sb_transact_savings(a int, amount bigint) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE s bigint;
BEGIN
  SELECT savings INTO STRICT s FROM sb_account WHERE id = a;
  IF s + amount < 0 THEN RAISE EXCEPTION 'insufficient savings'; END IF;
  UPDATE sb_account SET savings = s + amount WHERE id = a;
  RETURN s + amount;
END $$;
CREATE FUNCTION sb_amalgamate(a int, dest int) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE total bigint; c bigint;
BEGIN
  SELECT checking + savings INTO STRICT total FROM sb_account WHERE id = a;
  -- The guest deposits through deposit_checking, which refuses a negative amount (after write_check's penalties).
  IF total < 0 THEN RAISE EXCEPTION 'deposit amount must not be negative'; END IF;
  UPDATE sb_account SET checking = 0, savings = 0 WHERE id = a;
  SELECT checking INTO STRICT c FROM sb_account WHERE id = dest;
  UPDATE sb_account SET checking = c + total WHERE id = dest;
  RETURN total;
END $$;
CREATE FUNCTION sb_write_check(a int, amount bigint) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE c bigint; s bigint; penalty bigint;
BEGIN
  IF amount < 0 THEN RAISE EXCEPTION 'check amount must not be negative'; END IF;
  SELECT checking, savings INTO STRICT c, s FROM sb_account WHERE id = a;
  penalty := CASE WHEN c + s < amount THEN 1 ELSE 0 END;
  UPDATE sb_account SET checking = c - amount - penalty WHERE id = a;
  RETURN c - amount - penalty;
END $$;
CREATE FUNCTION sb_send_payment(a int, dest int, amount bigint) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE c bigint; d bigint;
BEGIN
  IF amount <= 0 THEN RAISE EXCEPTION 'payment amount must be positive'; END IF;
  SELECT checking INTO STRICT c FROM sb_account WHERE id = a;
  IF c < amount THEN RAISE EXCEPTION 'insufficient funds'; END IF;
  UPDATE sb_account SET checking = c - amount WHERE id = a;
  SELECT checking INTO STRICT d FROM sb_account WHERE id = dest;
  UPDATE sb_account SET checking = d + amount WHERE id = dest;
  RETURN c - amount;
END $$;`,
    call(t) {
      const values = [t.key, ...t.args]
      const placeholders = values.map((_, i) => `$${i + 1}`).join(', ')
      return { name: `sb_${t.type}`, text: `SELECT sb_${t.type}(${placeholders})`, values }
    },
  },
  sqlite: {
    schema: 'CREATE TABLE sb_account (id INTEGER PRIMARY KEY, checking INTEGER NOT NULL DEFAULT 0, savings INTEGER NOT NULL DEFAULT 0)',
    load: (db, { keys }) => sqliteLoad(db, 'INSERT INTO sb_account VALUES (?, ?, ?)', keys, (i) => [i, SMALLBANK_BALANCE, SMALLBANK_BALANCE]),
    prepare(db) {
      const get = db.prepare('SELECT checking, savings FROM sb_account WHERE id = ?').raw()
      const setChecking = db.prepare('UPDATE sb_account SET checking = ? WHERE id = ?')
      const setSavings = db.prepare('UPDATE sb_account SET savings = ? WHERE id = ?')
      const setBoth = db.prepare('UPDATE sb_account SET checking = ?, savings = ? WHERE id = ?')
      const row = (k: number): [number, number] => get.get(k) as [number, number]
      return (t) => {
        const [x = 0, y = 0] = t.args
        switch (t.type) {
          case 'balance': row(t.key); return 'committed'
          case 'deposit_checking': {
            if (x < 0) return 'aborted'
            setChecking.run(row(t.key)[0] + x, t.key)
            return 'committed'
          }
          case 'transact_savings': {
            const s = row(t.key)[1] + x
            if (s < 0) return 'aborted'
            setSavings.run(s, t.key)
            return 'committed'
          }
          case 'amalgamate': {
            const [c, s] = row(t.key)
            // The guest deposits through deposit_checking, which refuses a negative amount.
            if (c + s < 0) return 'aborted'
            setBoth.run(0, 0, t.key)
            setChecking.run(row(x)[0] + c + s, x)
            return 'committed'
          }
          case 'write_check': {
            if (x < 0) return 'aborted'
            const [c, s] = row(t.key)
            setChecking.run(c - x - (c + s < x ? 1 : 0), t.key)
            return 'committed'
          }
          case 'send_payment': {
            if (y <= 0) return 'aborted'
            const c = row(t.key)[0]
            if (c < y) return 'aborted'
            setChecking.run(c - y, t.key)
            setChecking.run(row(x)[0] + y, x)
            return 'committed'
          }
          default: throw new Error(`SmallBank has no transaction type ${t.type}`)
        }
      }
    },
  },
}

