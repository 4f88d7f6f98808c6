/*
 * Acheron's C guest library: the WebAssembly ABI v1 imports (docs/functions.md, "The ABI") and typed
 * helpers over them, in one header with no libc. Build a function module with:
 *
 *   clang --target=wasm32 -nostdlib -O2 -mbulk-memory -fwrapv \
 *     -Wl,--no-entry -Wl,--max-memory=1048576 -Wl,-z,stack-size=65536 -o my.wasm my.c
 *
 * Export a function with ACHERON_EXPORT(name) { ... }. Every invocation starts from a fresh instance, so
 * memory comes from a bump allocator that never frees (acheron_alloc): nothing outlives the call.
 */
#ifndef ACHERON_H
#define ACHERON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- raw ABI ----------------------------------------------------------------------------------- */
#define ACHERON_IMPORT(name) __attribute__((import_module("acheron"), import_name(#name)))

ACHERON_IMPORT(key_type) int32_t acheron_abi_key_type(void);
ACHERON_IMPORT(key_int) int64_t acheron_abi_key_int(void);
ACHERON_IMPORT(key_real) double acheron_abi_key_real(void);
ACHERON_IMPORT(key_len) int32_t acheron_abi_key_len(void);
ACHERON_IMPORT(key_read) void acheron_abi_key_read(void *dst);
ACHERON_IMPORT(arg_count) int32_t acheron_abi_arg_count(void);
ACHERON_IMPORT(arg_type) int32_t acheron_abi_arg_type(int32_t i);
ACHERON_IMPORT(arg_int) int64_t acheron_abi_arg_int(int32_t i);
ACHERON_IMPORT(arg_real) double acheron_abi_arg_real(int32_t i);
ACHERON_IMPORT(arg_len) int32_t acheron_abi_arg_len(int32_t i);
ACHERON_IMPORT(arg_read) void acheron_abi_arg_read(int32_t i, void *dst);
ACHERON_IMPORT(col) int32_t acheron_abi_col(const char *name, int32_t len);
ACHERON_IMPORT(row_exists) int32_t acheron_abi_row_exists(void);
ACHERON_IMPORT(txn_time_ms) int64_t acheron_abi_txn_time_ms(void);
ACHERON_IMPORT(get_type) int32_t acheron_abi_get_type(int32_t c);
ACHERON_IMPORT(get_int) int64_t acheron_abi_get_int(int32_t c);
ACHERON_IMPORT(get_real) double acheron_abi_get_real(int32_t c);
ACHERON_IMPORT(get_len) int32_t acheron_abi_get_len(int32_t c);
ACHERON_IMPORT(get_read) void acheron_abi_get_read(int32_t c, void *dst);
ACHERON_IMPORT(set_int) void acheron_abi_set_int(int32_t c, int64_t v);
ACHERON_IMPORT(set_real) void acheron_abi_set_real(int32_t c, double v);
ACHERON_IMPORT(set_text) void acheron_abi_set_text(int32_t c, const void *ptr, int32_t len);
ACHERON_IMPORT(set_blob) void acheron_abi_set_blob(int32_t c, const void *ptr, int32_t len);
ACHERON_IMPORT(set_null) void acheron_abi_set_null(int32_t c);
ACHERON_IMPORT(delete_row) void acheron_abi_delete_row(void);
ACHERON_IMPORT(call_begin) void acheron_abi_call_begin(const char *name, int32_t len);
ACHERON_IMPORT(call_arg_int) void acheron_abi_call_arg_int(int64_t v);
ACHERON_IMPORT(call_arg_real) void acheron_abi_call_arg_real(double v);
ACHERON_IMPORT(call_arg_text) void acheron_abi_call_arg_text(const void *ptr, int32_t len);
ACHERON_IMPORT(call_arg_blob) void acheron_abi_call_arg_blob(const void *ptr, int32_t len);
ACHERON_IMPORT(call_arg_null) void acheron_abi_call_arg_null(void);
ACHERON_IMPORT(call_invoke) int32_t acheron_abi_call_invoke(void);
ACHERON_IMPORT(result_int) int64_t acheron_abi_result_int(void);
ACHERON_IMPORT(result_real) double acheron_abi_result_real(void);
ACHERON_IMPORT(result_len) int32_t acheron_abi_result_len(void);
ACHERON_IMPORT(result_read) void acheron_abi_result_read(void *dst);
ACHERON_IMPORT(ret_int) void acheron_abi_ret_int(int64_t v);
ACHERON_IMPORT(ret_real) void acheron_abi_ret_real(double v);
ACHERON_IMPORT(ret_text) void acheron_abi_ret_text(const void *ptr, int32_t len);
ACHERON_IMPORT(ret_blob) void acheron_abi_ret_blob(const void *ptr, int32_t len);
ACHERON_IMPORT(ret_null) void acheron_abi_ret_null(void);
ACHERON_IMPORT(abort_txn) void acheron_abi_abort_txn(const char *msg, int32_t len);
ACHERON_IMPORT(log) void acheron_abi_log(const char *msg, int32_t len);

/* Exports `void name(void)` under its own name: the ABI's `() -> ()` function. */
#define ACHERON_EXPORT(name) __attribute__((export_name(#name))) void name(void)

/* ---- values ------------------------------------------------------------------------------------ */
enum { ACHERON_NULL = 0, ACHERON_INTEGER = 1, ACHERON_REAL = 2, ACHERON_TEXT = 3, ACHERON_BLOB = 4 };

/* One SQL value. TEXT and BLOB bytes read from the host are followed by a NUL (not counted in len). */
typedef struct {
  int32_t type;
  int64_t i;
  double r;
  const char *bytes;
  int32_t len;
} acheron_value;

static inline int32_t acheron_strlen(const char *s) {
  int32_t n = 0;
  while (s[n] != 0) n++;
  return n;
}

static inline acheron_value acheron_int(int64_t v) { acheron_value x = {ACHERON_INTEGER, v, 0, 0, 0}; return x; }
static inline acheron_value acheron_real(double v) { acheron_value x = {ACHERON_REAL, 0, v, 0, 0}; return x; }
static inline acheron_value acheron_text_n(const char *s, int32_t len) { acheron_value x = {ACHERON_TEXT, 0, 0, s, len}; return x; }
static inline acheron_value acheron_text(const char *s) { return acheron_text_n(s, acheron_strlen(s)); }
static inline acheron_value acheron_blob(const void *p, int32_t len) { acheron_value x = {ACHERON_BLOB, 0, 0, (const char *)p, len}; return x; }
static inline acheron_value acheron_null(void) { acheron_value x = {ACHERON_NULL, 0, 0, 0, 0}; return x; }

/* ---- memory ------------------------------------------------------------------------------------ */
extern unsigned char __heap_base; /* set by wasm-ld: after the stack and static data */
/* The next free byte, 0 before the first allocation. Weak: one variable however many files include this. */
__attribute__((weak)) uintptr_t acheron_heap_next = 0;

/*
 * `n` bytes, 8-aligned, zeroed (memory starts zeroed and is never reused). Grows memory only when the
 * module's own is used up; past the declared maximum it traps, which the engine reports as MEMORY_LIMIT.
 */
static inline void *acheron_alloc(size_t n) {
  if (acheron_heap_next == 0) acheron_heap_next = (uintptr_t)&__heap_base;
  uintptr_t start = (acheron_heap_next + 7) & ~(uintptr_t)7;
  uintptr_t end = start + n;
  if (end < start) __builtin_trap();
  uintptr_t have = __builtin_wasm_memory_size(0) * 65536;
  if (end > have && __builtin_wasm_memory_grow(0, (end - have + 65535) / 65536) == (size_t)-1) __builtin_trap();
  acheron_heap_next = end;
  return (void *)start;
}

/* ---- failing ----------------------------------------------------------------------------------- */
/* Aborts the whole transaction with TXN_ABORTED and `message`. Does not return. */
__attribute__((noreturn)) static inline void acheron_abort_n(const char *message, int32_t len) {
  acheron_abi_abort_txn(message, len);
  __builtin_trap();
}
__attribute__((noreturn)) static inline void acheron_abort(const char *message) {
  acheron_abort_n(message, acheron_strlen(message));
}

/* A debug line in the server log; no effect on the transaction. */
static inline void acheron_log(const char *message) { acheron_abi_log(message, acheron_strlen(message)); }

/* ---- reading values ---------------------------------------------------------------------------- */
/* Bytes of a TEXT or BLOB the host describes with a len-then-read pair, NUL-terminated. */
static inline acheron_value acheron_bytes_value(int32_t type, int32_t len, char **dst) {
  *dst = (char *)acheron_alloc((size_t)len + 1);
  return (acheron_value){type, 0, 0, *dst, len};
}

static inline acheron_value acheron_key(void) {
  int32_t t = acheron_abi_key_type();
  if (t == ACHERON_INTEGER) return acheron_int(acheron_abi_key_int());
  if (t == ACHERON_REAL) return acheron_real(acheron_abi_key_real());
  if (t == ACHERON_TEXT || t == ACHERON_BLOB) {
    char *dst;
    acheron_value v = acheron_bytes_value(t, acheron_abi_key_len(), &dst);
    acheron_abi_key_read(dst);
    return v;
  }
  return acheron_null();
}
static inline int64_t acheron_key_int(void) { return acheron_abi_key_int(); }

/* Arguments after the key; an index out of range is a WASM_TRAP. `_int`/`_real` convert as the ABI does. */
static inline int32_t acheron_arg_count(void) { return acheron_abi_arg_count(); }
static inline acheron_value acheron_arg(int32_t i) {
  int32_t t = acheron_abi_arg_type(i);
  if (t == ACHERON_INTEGER) return acheron_int(acheron_abi_arg_int(i));
  if (t == ACHERON_REAL) return acheron_real(acheron_abi_arg_real(i));
  if (t == ACHERON_TEXT || t == ACHERON_BLOB) {
    char *dst;
    acheron_value v = acheron_bytes_value(t, acheron_abi_arg_len(i), &dst);
    acheron_abi_arg_read(i, dst);
    return v;
  }
  return acheron_null();
}
static inline int64_t acheron_arg_int(int32_t i) { return acheron_abi_arg_int(i); }
static inline double acheron_arg_real(int32_t i) { return acheron_abi_arg_real(i); }
/* A TEXT argument, NUL-terminated ("" for another type). */
static inline const char *acheron_arg_text(int32_t i) {
  acheron_value v = acheron_arg(i);
  return v.type == ACHERON_TEXT ? v.bytes : "";
}

/* ---- this key's row, by column name -------------------------------------------------------------- */
/* Column index by name (case-insensitive); aborts the transaction if the table has no such column. */
static inline int32_t acheron_col(const char *name) {
  int32_t len = acheron_strlen(name);
  int32_t c = acheron_abi_col(name, len);
  if (c < 0) {
    static const char prefix[] = "unknown column ";
    char *msg = (char *)acheron_alloc(sizeof prefix - 1 + (size_t)len);
    __builtin_memcpy(msg, prefix, sizeof prefix - 1);
    __builtin_memcpy(msg + sizeof prefix - 1, name, (size_t)len);
    acheron_abort_n(msg, (int32_t)(sizeof prefix - 1) + len);
  }
  return c;
}

static inline bool acheron_row_exists(void) { return acheron_abi_row_exists() != 0; }
/* The time of the transaction's batch, ms since the Unix epoch (UTC): the same in every call of the batch. */
static inline int64_t acheron_txn_time_ms(void) { return acheron_abi_txn_time_ms(); }
static inline void acheron_delete_row(void) { acheron_abi_delete_row(); }

static inline acheron_value acheron_get_at(int32_t c) {
  int32_t t = acheron_abi_get_type(c);
  if (t == ACHERON_INTEGER) return acheron_int(acheron_abi_get_int(c));
  if (t == ACHERON_REAL) return acheron_real(acheron_abi_get_real(c));
  if (t == ACHERON_TEXT || t == ACHERON_BLOB) {
    char *dst;
    acheron_value v = acheron_bytes_value(t, acheron_abi_get_len(c), &dst);
    acheron_abi_get_read(c, dst);
    return v;
  }
  return acheron_null();
}
/* A column of this key's row; an absent row reads NULL (0 from _int and _real). */
static inline acheron_value acheron_get(const char *name) { return acheron_get_at(acheron_col(name)); }
static inline int64_t acheron_get_int(const char *name) { return acheron_abi_get_int(acheron_col(name)); }
static inline double acheron_get_real(const char *name) { return acheron_abi_get_real(acheron_col(name)); }
static inline const char *acheron_get_text(const char *name) {
  acheron_value v = acheron_get(name);
  return v.type == ACHERON_TEXT ? v.bytes : "";
}
static inline bool acheron_is_null(const char *name) { return acheron_abi_get_type(acheron_col(name)) == ACHERON_NULL; }

/* Writes a column; an absent row is created with its defaults. */
static inline void acheron_set_at(int32_t c, acheron_value v) {
  if (v.type == ACHERON_INTEGER) acheron_abi_set_int(c, v.i);
  else if (v.type == ACHERON_REAL) acheron_abi_set_real(c, v.r);
  else if (v.type == ACHERON_TEXT) acheron_abi_set_text(c, v.bytes, v.len);
  else if (v.type == ACHERON_BLOB) acheron_abi_set_blob(c, v.bytes, v.len);
  else acheron_abi_set_null(c);
}
static inline void acheron_set(const char *name, acheron_value v) { acheron_set_at(acheron_col(name), v); }
static inline void acheron_set_int(const char *name, int64_t v) { acheron_abi_set_int(acheron_col(name), v); }
static inline void acheron_set_real(const char *name, double v) { acheron_abi_set_real(acheron_col(name), v); }
static inline void acheron_set_text(const char *name, const char *v) { acheron_abi_set_text(acheron_col(name), v, acheron_strlen(v)); }
static inline void acheron_set_blob(const char *name, const void *p, int32_t len) { acheron_abi_set_blob(acheron_col(name), p, len); }
static inline void acheron_set_null(const char *name) { acheron_abi_set_null(acheron_col(name)); }

/* ---- calls ------------------------------------------------------------------------------------- */
static inline void acheron_push(acheron_value v) {
  if (v.type == ACHERON_INTEGER) acheron_abi_call_arg_int(v.i);
  else if (v.type == ACHERON_REAL) acheron_abi_call_arg_real(v.r);
  else if (v.type == ACHERON_TEXT) acheron_abi_call_arg_text(v.bytes, v.len);
  else if (v.type == ACHERON_BLOB) acheron_abi_call_arg_blob(v.bytes, v.len);
  else acheron_abi_call_arg_null();
}

/*
 * Calls `fn` ("table.function") at `key` with `n` arguments inside this transaction and returns its result.
 * If the callee fails, the whole transaction fails (this call does not return).
 */
static inline acheron_value acheron_call(const char *fn, acheron_value key, const acheron_value *args, int32_t n) {
  acheron_abi_call_begin(fn, acheron_strlen(fn));
  acheron_push(key);
  for (int32_t i = 0; i < n; i++) acheron_push(args[i]);
  int32_t t = acheron_abi_call_invoke();
  if (t == ACHERON_INTEGER) return acheron_int(acheron_abi_result_int());
  if (t == ACHERON_REAL) return acheron_real(acheron_abi_result_real());
  if (t == ACHERON_TEXT || t == ACHERON_BLOB) {
    char *dst;
    acheron_value v = acheron_bytes_value(t, acheron_abi_result_len(), &dst);
    acheron_abi_result_read(dst);
    return v;
  }
  return acheron_null();
}
/* ACHERON_CALL("account.deposit", to, acheron_int(amount)): one or more arguments after the key. */
#define ACHERON_CALL(fn, key, ...) \
  acheron_call((fn), (key), (const acheron_value[]){__VA_ARGS__}, \
               (int32_t)(sizeof((const acheron_value[]){__VA_ARGS__}) / sizeof(acheron_value)))

/* ---- return value ------------------------------------------------------------------------------ */
/* The return value (NULL if never set; the last one wins). */
static inline void acheron_ret(acheron_value v) {
  if (v.type == ACHERON_INTEGER) acheron_abi_ret_int(v.i);
  else if (v.type == ACHERON_REAL) acheron_abi_ret_real(v.r);
  else if (v.type == ACHERON_TEXT) acheron_abi_ret_text(v.bytes, v.len);
  else if (v.type == ACHERON_BLOB) acheron_abi_ret_blob(v.bytes, v.len);
  else acheron_abi_ret_null();
}
static inline void acheron_ret_int(int64_t v) { acheron_abi_ret_int(v); }
static inline void acheron_ret_real(double v) { acheron_abi_ret_real(v); }
static inline void acheron_ret_text(const char *v) { acheron_abi_ret_text(v, acheron_strlen(v)); }
static inline void acheron_ret_blob(const void *p, int32_t len) { acheron_abi_ret_blob(p, len); }
static inline void acheron_ret_null(void) { acheron_abi_ret_null(); }

#endif /* ACHERON_H */
