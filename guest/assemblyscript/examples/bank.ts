// Bank accounts: CREATE TABLE account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0);
// Functions (one module, several exports): account.balance, account.deposit, account.withdraw, account.transfer.
import { abort, arg, call, getInt, INTEGER, retInt, setInt, TEXT, Value } from "../acheron";

/** CALL account.balance('alice') → the balance (0 for an absent account). */
export function balance(): void {
  retInt(getInt("balance"));
}

const TYPE_NAMES = ["NULL", "INTEGER", "REAL", "TEXT", "BLOB"];

/**
 * Argument `i` (the key excluded), which must be of `type`: argInt would read 1.5 as 1 and 'ten' as 0.
 * `what` is "argument 1 (amount)": the message is the one the Rust library's export! gives.
 */
function typedArg(i: i32, type: i32, what: string): Value {
  const v = arg(i);
  if (v.type != type) abort(what + " must be " + TYPE_NAMES[type] + ", got " + TYPE_NAMES[v.type]);
  return v;
}

/** CALL account.deposit('alice', amount) → the new balance. Creates the account if absent. */
export function deposit(): void {
  const amount = typedArg(0, INTEGER, "argument 1 (amount)").i;
  if (amount <= 0) abort("deposit amount must be positive");
  const current = getInt("balance");
  if (current > i64.MAX_VALUE - amount) abort("balance would overflow"); // i64 addition wraps around silently
  const next = current + amount;
  setInt("balance", next);
  retInt(next);
}

function debit(amount: i64): i64 {
  if (amount <= 0) abort("amount must be positive");
  const current = getInt("balance");
  if (current < amount) abort("insufficient funds");
  const next = current - amount; // 0 <= next < current: no overflow
  setInt("balance", next);
  return next;
}

/** CALL account.withdraw('alice', amount) → the new balance; aborts with "insufficient funds". */
export function withdraw(): void {
  retInt(debit(typedArg(0, INTEGER, "argument 1 (amount)").i));
}

/** CALL account.transfer('alice', 'bob', amount) → alice's new balance; bob is credited by a nested call. */
export function transfer(): void {
  // A key of account: TEXT here, INTEGER in a table keyed so (the benchmarks'); the nested call checks which.
  const to = arg(0);
  if (to.type != TEXT && to.type != INTEGER) abort("argument 1 (to) must be TEXT or INTEGER (a key), got " + TYPE_NAMES[to.type]);
  const amount = typedArg(1, INTEGER, "argument 2 (amount)").i;
  const next = debit(amount);
  call("account.deposit", to, [Value.int(amount)]);
  retInt(next);
}
