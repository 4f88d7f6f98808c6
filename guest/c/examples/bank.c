/*
 * Bank accounts: CREATE TABLE account (id TEXT PRIMARY KEY, balance INTEGER NOT NULL DEFAULT 0);
 * Functions (one module, several exports): account.balance, account.deposit, account.withdraw, account.transfer.
 * The C port of guest/assemblyscript/examples/bank.ts: same results, same abort messages.
 */
#include "../acheron.h"

/* CALL account.balance('alice') → the balance (0 for an absent account). */
ACHERON_EXPORT(balance) {
  acheron_ret_int(acheron_get_int("balance"));
}

/* CALL account.deposit('alice', amount) → the new balance. Creates the account if absent. */
ACHERON_EXPORT(deposit) {
  int64_t amount = acheron_arg_int(0);
  if (amount <= 0) acheron_abort("deposit amount must be positive");
  int64_t next = acheron_get_int("balance") + amount; /* wraps as AssemblyScript's i64 does (-fwrapv) */
  acheron_set_int("balance", next);
  acheron_ret_int(next);
}

static int64_t debit(int64_t amount) {
  if (amount <= 0) acheron_abort("amount must be positive");
  int64_t current = acheron_get_int("balance");
  if (current < amount) acheron_abort("insufficient funds");
  int64_t next = current - amount;
  acheron_set_int("balance", next);
  return next;
}

/* CALL account.withdraw('alice', amount) → the new balance; aborts with "insufficient funds". */
ACHERON_EXPORT(withdraw) {
  acheron_ret_int(debit(acheron_arg_int(0)));
}

/* CALL account.transfer('alice', 'bob', amount) → alice's new balance; bob is credited by a nested call. */
ACHERON_EXPORT(transfer) {
  acheron_value to = acheron_arg(0);
  int64_t amount = acheron_arg_int(1);
  int64_t next = debit(amount);
  ACHERON_CALL("account.deposit", to, acheron_int(amount));
  acheron_ret_int(next);
}
