// Acheron's AssemblyScript library: typed helpers over the WebAssembly ABI v1 (CONTRACT.md §6).
// Compile a function module with:  asc my.ts -o my.wasm -O3 --runtime stub --maximumMemory 16
// (see docs/functions.md). Every invocation starts from a fresh instance, so the stub runtime, which never
// frees, is the right choice: nothing outlives the call.

// ---- raw ABI ---------------------------------------------------------------------------------------
@external("acheron", "key_type") declare function key_type(): i32;
@external("acheron", "key_int") declare function key_int(): i64;
@external("acheron", "key_real") declare function key_real(): f64;
@external("acheron", "key_len") declare function key_len(): i32;
@external("acheron", "key_read") declare function key_read(dst: usize): void;
@external("acheron", "arg_count") declare function arg_count(): i32;
@external("acheron", "arg_type") declare function arg_type(i: i32): i32;
@external("acheron", "arg_int") declare function arg_int(i: i32): i64;
@external("acheron", "arg_real") declare function arg_real(i: i32): f64;
@external("acheron", "arg_len") declare function arg_len(i: i32): i32;
@external("acheron", "arg_read") declare function arg_read(i: i32, dst: usize): void;
@external("acheron", "col") declare function col_(name: usize, len: i32): i32;
@external("acheron", "row_exists") declare function row_exists(): i32;
@external("acheron", "txn_time_ms") declare function txn_time_ms(): i64;
@external("acheron", "get_type") declare function get_type(c: i32): i32;
@external("acheron", "get_int") declare function get_int(c: i32): i64;
@external("acheron", "get_real") declare function get_real(c: i32): f64;
@external("acheron", "get_len") declare function get_len(c: i32): i32;
@external("acheron", "get_read") declare function get_read(c: i32, dst: usize): void;
@external("acheron", "set_int") declare function set_int(c: i32, v: i64): void;
@external("acheron", "set_real") declare function set_real(c: i32, v: f64): void;
@external("acheron", "set_text") declare function set_text(c: i32, ptr: usize, len: i32): void;
@external("acheron", "set_blob") declare function set_blob(c: i32, ptr: usize, len: i32): void;
@external("acheron", "set_null") declare function set_null(c: i32): void;
@external("acheron", "delete_row") declare function delete_row(): void;
@external("acheron", "call_begin") declare function call_begin(name: usize, len: i32): void;
@external("acheron", "call_arg_int") declare function call_arg_int(v: i64): void;
@external("acheron", "call_arg_real") declare function call_arg_real(v: f64): void;
@external("acheron", "call_arg_text") declare function call_arg_text(ptr: usize, len: i32): void;
@external("acheron", "call_arg_blob") declare function call_arg_blob(ptr: usize, len: i32): void;
@external("acheron", "call_arg_null") declare function call_arg_null(): void;
@external("acheron", "call_invoke") declare function call_invoke(): i32;
@external("acheron", "result_int") declare function result_int(): i64;
@external("acheron", "result_real") declare function result_real(): f64;
@external("acheron", "result_len") declare function result_len(): i32;
@external("acheron", "result_read") declare function result_read(dst: usize): void;
@external("acheron", "ret_int") declare function ret_int(v: i64): void;
@external("acheron", "ret_real") declare function ret_real(v: f64): void;
@external("acheron", "ret_text") declare function ret_text(ptr: usize, len: i32): void;
@external("acheron", "ret_blob") declare function ret_blob(ptr: usize, len: i32): void;
@external("acheron", "ret_null") declare function ret_null(): void;
@external("acheron", "abort_txn") declare function abort_txn(ptr: usize, len: i32): void;
@external("acheron", "log") declare function log_(ptr: usize, len: i32): void;

// ---- values ----------------------------------------------------------------------------------------
/** Value type tags of the ABI. */
export const NULL: i32 = 0;
export const INTEGER: i32 = 1;
export const REAL: i32 = 2;
export const TEXT: i32 = 3;
export const BLOB: i32 = 4;

/** One SQL value: an INTEGER (i64), REAL (f64), TEXT (UTF-8 bytes), BLOB (bytes) or NULL. */
export class Value {
  constructor(public type: i32, public i: i64 = 0, public r: f64 = 0, public bytes: ArrayBuffer | null = null) {}

  static int(v: i64): Value { return new Value(INTEGER, v); }
  static real(v: f64): Value { return new Value(REAL, 0, v); }
  static text(s: string): Value { return new Value(TEXT, 0, 0, String.UTF8.encode(s)); }
  static blob(b: Uint8Array): Value { return new Value(BLOB, 0, 0, b.slice().buffer); }
  static null(): Value { return new Value(NULL); }

  isNull(): bool { return this.type == NULL; }
  /** The INTEGER; a REAL truncated toward zero; 0 for anything else. */
  asInt(): i64 { return this.type == INTEGER ? this.i : this.type == REAL ? <i64>this.r : 0; }
  /** The REAL; an INTEGER converted; 0 for anything else. */
  asReal(): f64 { return this.type == REAL ? this.r : this.type == INTEGER ? <f64>this.i : 0; }
  /** TEXT (or BLOB bytes) decoded as UTF-8; "" for anything else. */
  asText(): string { const b = this.bytes; return b === null ? "" : String.UTF8.decode(b); }
  asBlob(): Uint8Array { const b = this.bytes; return b === null ? new Uint8Array(0) : Uint8Array.wrap(b); }
}

function bytesValue(type: i32, len: i32): Value {
  return new Value(type, 0, 0, new ArrayBuffer(len));
}

// ---- failing -----------------------------------------------------------------------------------------
/** Aborts the whole transaction with TXN_ABORTED and `message`. Does not return. */
export function abort(message: string): void {
  const b = String.UTF8.encode(message);
  abort_txn(changetype<usize>(b), b.byteLength);
  unreachable();
}

/** A debug line in the server log; no effect on the transaction. */
export function log(message: string): void {
  const b = String.UTF8.encode(message);
  log_(changetype<usize>(b), b.byteLength);
}

// ---- key and arguments ---------------------------------------------------------------------------
export function key(): Value {
  const t = key_type();
  if (t == INTEGER) return Value.int(key_int());
  if (t == REAL) return Value.real(key_real());
  if (t == TEXT || t == BLOB) { const v = bytesValue(t, key_len()); key_read(changetype<usize>(v.bytes)); return v; }
  return Value.null();
}
export function keyInt(): i64 { return key_int(); }
export function keyText(): string { return key().asText(); }

export function argCount(): i32 { return arg_count(); }
export function arg(i: i32): Value {
  const t = arg_type(i);
  if (t == INTEGER) return Value.int(arg_int(i));
  if (t == REAL) return Value.real(arg_real(i));
  if (t == TEXT || t == BLOB) { const v = bytesValue(t, arg_len(i)); arg_read(i, changetype<usize>(v.bytes)); return v; }
  return Value.null();
}
export function argInt(i: i32): i64 { return arg_int(i); }
export function argReal(i: i32): f64 { return arg_real(i); }
export function argText(i: i32): string { return arg(i).asText(); }
export function argBlob(i: i32): Uint8Array { return arg(i).asBlob(); }

// ---- this key's row, by column name -----------------------------------------------------------------
/** Column index by name (case-insensitive); aborts the transaction if the table has no such column. */
export function col(name: string): i32 {
  const b = String.UTF8.encode(name);
  const c = col_(changetype<usize>(b), b.byteLength);
  if (c < 0) abort("unknown column " + name);
  return c;
}

export function rowExists(): bool { return row_exists() != 0; }
/** The time of the transaction's batch, ms since the Unix epoch (UTC): the same in every call of the batch. */
export function txnTimeMs(): i64 { return txn_time_ms(); }
export function deleteRow(): void { delete_row(); }

export function getAt(c: i32): Value {
  const t = get_type(c);
  if (t == INTEGER) return Value.int(get_int(c));
  if (t == REAL) return Value.real(get_real(c));
  if (t == TEXT || t == BLOB) { const v = bytesValue(t, get_len(c)); get_read(c, changetype<usize>(v.bytes)); return v; }
  return Value.null();
}
export function get(name: string): Value { return getAt(col(name)); }
export function getInt(name: string): i64 { return get_int(col(name)); }
export function getReal(name: string): f64 { return get_real(col(name)); }
export function getText(name: string): string { return get(name).asText(); }
export function getBlob(name: string): Uint8Array { return get(name).asBlob(); }
export function isNull(name: string): bool { return get_type(col(name)) == NULL; }

export function setAt(c: i32, v: Value): void {
  if (v.type == INTEGER) set_int(c, v.i);
  else if (v.type == REAL) set_real(c, v.r);
  else if (v.type == TEXT) { const b = v.bytes!; set_text(c, changetype<usize>(b), b.byteLength); }
  else if (v.type == BLOB) { const b = v.bytes!; set_blob(c, changetype<usize>(b), b.byteLength); }
  else set_null(c);
}
export function set(name: string, v: Value): void { setAt(col(name), v); }
export function setInt(name: string, v: i64): void { set_int(col(name), v); }
export function setReal(name: string, v: f64): void { set_real(col(name), v); }
export function setText(name: string, v: string): void { set(name, Value.text(v)); }
export function setBlob(name: string, v: Uint8Array): void { set(name, Value.blob(v)); }
export function setNull(name: string): void { set_null(col(name)); }

// ---- calls -----------------------------------------------------------------------------------------
function pushArg(v: Value): void {
  if (v.type == INTEGER) call_arg_int(v.i);
  else if (v.type == REAL) call_arg_real(v.r);
  else if (v.type == TEXT) { const b = v.bytes!; call_arg_text(changetype<usize>(b), b.byteLength); }
  else if (v.type == BLOB) { const b = v.bytes!; call_arg_blob(changetype<usize>(b), b.byteLength); }
  else call_arg_null();
}

/**
 * Calls function `fn` ("table.function") at `key` inside this transaction and returns its result. If the
 * callee aborts, the whole transaction aborts (this call does not return).
 */
export function call(fn: string, key: Value, args: Value[] = []): Value {
  const b = String.UTF8.encode(fn);
  call_begin(changetype<usize>(b), b.byteLength);
  pushArg(key);
  for (let i = 0; i < args.length; i++) pushArg(args[i]);
  const t = call_invoke();
  if (t == INTEGER) return Value.int(result_int());
  if (t == REAL) return Value.real(result_real());
  if (t == TEXT || t == BLOB) { const v = bytesValue(t, result_len()); result_read(changetype<usize>(v.bytes)); return v; }
  return Value.null();
}

// ---- return value ------------------------------------------------------------------------------------
export function ret(v: Value): void {
  if (v.type == INTEGER) ret_int(v.i);
  else if (v.type == REAL) ret_real(v.r);
  else if (v.type == TEXT) { const b = v.bytes!; ret_text(changetype<usize>(b), b.byteLength); }
  else if (v.type == BLOB) { const b = v.bytes!; ret_blob(changetype<usize>(b), b.byteLength); }
  else ret_null();
}
export function retInt(v: i64): void { ret_int(v); }
export function retReal(v: f64): void { ret_real(v); }
export function retText(v: string): void { ret(Value.text(v)); }
export function retBlob(v: Uint8Array): void { ret(Value.blob(v)); }
export function retNull(): void { ret_null(); }
