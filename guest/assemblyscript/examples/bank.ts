// Bank accounts: CREATE TABLE account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0);
// Functions (one module, several exports): account.balance, account.deposit, account.withdraw, account.transfer.
import { abort, arg, argInt, call, getInt, retInt, setInt, Value } from "../acheron";

/** CALL account.balance('alice') → the balance (0 for an absent account). */
export function balance(): void {
  retInt(getInt("balance"));
}

/** CALL account.deposit('alice', amount) → the new balance. Creates the account if absent. */
export function deposit(): void {
  const amount = argInt(0);
  if (amount <= 0) abort("deposit amount must be positive");
  const next = getInt("balance") + amount;
  setInt("balance", next);
  retInt(next);
}

function debit(amount: i64): i64 {
  if (amount <= 0) abort("amount must be positive");
  const current = getInt("balance");
  if (current < amount) abort("insufficient funds");
  const next = current - amount;
  setInt("balance", next);
  return next;
}

/** CALL account.withdraw('alice', amount) → the new balance; aborts with "insufficient funds". */
export function withdraw(): void {
  retInt(debit(argInt(0)));
}

/** CALL account.transfer('alice', 'bob', amount) → alice's new balance; bob is credited by a nested call. */
export function transfer(): void {
  const to = arg(0);
  const amount = argInt(1);
  const next = debit(amount);
  call("account.deposit", to, [Value.int(amount)]);
  retInt(next);
}
