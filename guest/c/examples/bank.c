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

/*
 * Aborts unless argument `i` (the key excluded) is of `type`: acheron_arg_int would read 1.5 as 1 and 'ten'
 * as 0. `expected` is the message up to the type found, "argument 1 (amount) must be INTEGER, got ", as the
 * Rust library's export! words it. Cold: out of line, which halves what it adds to the module.
 */
__attribute__((cold)) static void expect_arg(int32_t i, int32_t type, const char *expected) {
  static const char *const names[] = {"NULL", "INTEGER", "REAL", "TEXT", "BLOB"};
  int32_t got = acheron_abi_arg_type(i);
  if (got == type) return;
  char message[64]; /* the longest `expected` (54 bytes) and type name (7) fit */
  int32_t n = 0;
  for (const char *s = expected; *s != 0 && n < 56; s++) message[n++] = *s;
  for (const char *s = got >= 0 && got <= 4 ? names[got] : "?"; *s != 0 && n < 64; s++) message[n++] = *s;
  acheron_abort_n(message, n);
}

/* CALL account.deposit('alice', amount) → the new balance. Creates the account if absent. */
ACHERON_EXPORT(deposit) {
  expect_arg(0, ACHERON_INTEGER, "argument 1 (amount) must be INTEGER, got ");
  int64_t amount = acheron_arg_int(0);
  if (amount <= 0) acheron_abort("deposit amount must be positive");
  int64_t current = acheron_get_int("balance");
  if (current > INT64_MAX - amount) acheron_abort("balance would overflow"); /* -fwrapv: it would wrap around */
  int64_t next = current + amount;
  acheron_set_int("balance", next);
  acheron_ret_int(next);
}

static int64_t debit(int64_t amount) {
  if (amount <= 0) acheron_abort("amount must be positive");
  int64_t current = acheron_get_int("balance");
  if (current < amount) acheron_abort("insufficient funds");
  int64_t next = current - amount; /* 0 <= next < current: no overflow */
  acheron_set_int("balance", next);
  return next;
}

/* CALL account.withdraw('alice', amount) → the new balance; aborts with "insufficient funds". */
ACHERON_EXPORT(withdraw) {
  expect_arg(0, ACHERON_INTEGER, "argument 1 (amount) must be INTEGER, got ");
  acheron_ret_int(debit(acheron_arg_int(0)));
}

/* CALL account.transfer('alice', 'bob', amount) → alice's new balance; bob is credited by a nested call. */
ACHERON_EXPORT(transfer) {
  /* A key of account: TEXT here, INTEGER in a table keyed so; the nested call checks which. */
  if (acheron_abi_arg_type(0) != ACHERON_INTEGER) expect_arg(0, ACHERON_TEXT, "argument 1 (to) must be TEXT or INTEGER (a key), got ");
  expect_arg(1, ACHERON_INTEGER, "argument 2 (amount) must be INTEGER, got ");
  acheron_value to = acheron_arg(0);
  int64_t amount = acheron_arg_int(1);
  int64_t next = debit(amount);
  ACHERON_CALL("account.deposit", to, acheron_int(amount));
  acheron_ret_int(next);
}
