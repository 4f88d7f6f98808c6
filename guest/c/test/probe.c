/*
 * Every helper of acheron.h, for test/guests/abi-wrappers.test.ts (guest/rust/test/probe.rs is its Rust
 * twin). Table: kv (id TEXT PRIMARY KEY, i INTEGER, r REAL, t TEXT, b BLOB); echo_key also runs on tables
 * with an INTEGER or REAL key.
 */
#include "../acheron.h"

ACHERON_EXPORT(echo) { acheron_ret(acheron_arg(0)); }
ACHERON_EXPORT(echo_key) { acheron_ret(acheron_key()); }
ACHERON_EXPORT(count) { acheron_ret_int(acheron_arg_count()); }

/* Writes column arg 0 and reads it back from the row. */
ACHERON_EXPORT(store) {
  const char *column = acheron_arg_text(0);
  acheron_set(column, acheron_arg(1));
  acheron_ret(acheron_get(column));
}

ACHERON_EXPORT(clear) {
  const char *column = acheron_arg_text(0);
  acheron_set_null(column);
  acheron_ret_int(acheron_is_null(column));
}

ACHERON_EXPORT(exists) { acheron_ret_int(acheron_row_exists()); }
ACHERON_EXPORT(time) { acheron_ret_int(acheron_txn_time_ms()); }
ACHERON_EXPORT(remove) {
  acheron_delete_row();
  acheron_ret_int(acheron_row_exists());
}

/* forward('t.f', key, args...) → what t.f at key returned. */
ACHERON_EXPORT(forward) {
  int32_t n = acheron_arg_count() - 2;
  acheron_value *args = (acheron_value *)acheron_alloc(sizeof(acheron_value) * (size_t)(n > 0 ? n : 0));
  for (int32_t i = 0; i < n; i++) args[i] = acheron_arg(i + 2);
  acheron_ret(acheron_call(acheron_arg_text(0), acheron_arg(1), args, n));
}

ACHERON_EXPORT(say) { acheron_log(acheron_arg_text(0)); }
ACHERON_EXPORT(bad_column) { acheron_ret_int(acheron_get_int("nope")); }

/* The typed helpers, one of each: write_typed(i, r, t, b) then read back as TEXT, REAL, INTEGER. */
ACHERON_EXPORT(write_typed) {
  acheron_set_int("i", acheron_arg_int(0));
  acheron_set_real("r", acheron_arg_real(1));
  acheron_set_text("t", acheron_arg_text(2));
  acheron_value b = acheron_arg(3);
  acheron_set_blob("b", b.bytes, b.len);
}
ACHERON_EXPORT(read_text) { acheron_ret_text(acheron_get_text("t")); }
ACHERON_EXPORT(read_real) { acheron_ret_real(acheron_get_real("r")); }
ACHERON_EXPORT(read_int) { acheron_ret_int(acheron_get_int("i")); }
ACHERON_EXPORT(read_blob) {
  acheron_value b = acheron_get("b");
  acheron_ret_blob(b.bytes, b.len);
}

ACHERON_EXPORT(abort_with) { acheron_abort(acheron_arg_text(0)); }

/* Allocates arg 0 bytes (past the declared maximum: MEMORY_LIMIT), writes the last one and returns it. */
ACHERON_EXPORT(hog) {
  int64_t n = acheron_arg_int(0);
  unsigned char *p = (unsigned char *)acheron_alloc((size_t)n);
  p[n - 1] = 7;
  acheron_ret_int(p[n - 1]);
}
