// SmallBank (Alomari et al., "The Cost of Serializability on Platforms That Use Snapshot Isolation") in
// Acheron's model: one row per customer holding both balances, keyed by the customer's name:
//   CREATE TABLE sb_account (id TEXT PRIMARY KEY, checking INTEGER NOT NULL DEFAULT 0, savings INTEGER NOT NULL DEFAULT 0);
// Each transaction runs at the key of the account it reads first; transactions over two accounts
// (amalgamate, send_payment) reach the second one by a nested call, inside the same transaction.
// Amounts are INTEGER cents. An absent account reads as 0/0 and is created by its first write.
import { abort, arg, argInt, call, getInt, retInt, setInt, Value } from "../acheron";

/** CALL sb_account.balance(name) → checking + savings. */
export function balance(): void {
  retInt(getInt("checking") + getInt("savings"));
}

/** CALL sb_account.deposit_checking(name, amount) → the new checking balance; aborts on a negative amount. */
export function deposit_checking(): void {
  const amount = argInt(0);
  if (amount < 0) abort("deposit amount must not be negative");
  const next = getInt("checking") + amount;
  setInt("checking", next);
  retInt(next);
}

/** CALL sb_account.transact_savings(name, amount) → the new savings balance; aborts if it would go negative. */
export function transact_savings(): void {
  const next = getInt("savings") + argInt(0);
  if (next < 0) abort("insufficient savings");
  setInt("savings", next);
  retInt(next);
}

/**
 * CALL sb_account.amalgamate(name, dest) → the amount moved: empties both of this account's balances and
 * deposits their sum into dest's checking.
 */
export function amalgamate(): void {
  const dest = arg(0);
  const total = getInt("checking") + getInt("savings");
  setInt("checking", 0);
  setInt("savings", 0);
  call("sb_account.deposit_checking", dest, [Value.int(total)]);
  retInt(total);
}

/**
 * CALL sb_account.write_check(name, amount) → the new checking balance. As in SmallBank, a check larger
 * than both balances together is still honoured but costs a penalty of 1 (checking may go negative).
 */
export function write_check(): void {
  const amount = argInt(0);
  if (amount < 0) abort("check amount must not be negative");
  const checking = getInt("checking");
  const penalty: i64 = checking + getInt("savings") < amount ? 1 : 0;
  const next = checking - amount - penalty;
  setInt("checking", next);
  retInt(next);
}

/** CALL sb_account.send_payment(name, dest, amount) → this account's new checking balance. */
export function send_payment(): void {
  const dest = arg(0);
  const amount = argInt(1);
  if (amount <= 0) abort("payment amount must be positive");
  const checking = getInt("checking");
  if (checking < amount) abort("insufficient funds");
  setInt("checking", checking - amount);
  call("sb_account.deposit_checking", dest, [Value.int(amount)]);
  retInt(checking - amount);
}
