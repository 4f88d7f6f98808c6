//! Safe wrappers over the ABI: this invocation's key and arguments, its row by column name, nested
//! calls, the return value, aborting and logging.
use crate::sys;
use crate::value::{read_value, Value};

// ---- failing ---------------------------------------------------------------------------------------

/// Aborts the whole transaction with TXN_ABORTED and `message`. Does not return.
pub fn abort(message: &str) -> ! {
    unsafe { sys::abort_txn(message.as_ptr(), message.len()) };
    // abort_txn never returns; the trap only tells the compiler so.
    core::arch::wasm32::unreachable()
}

/// A debug line in the server log; no effect on the transaction.
pub fn log(message: &str) {
    unsafe { sys::log(message.as_ptr(), message.len()) }
}

// ---- key and arguments -----------------------------------------------------------------------------

/// This invocation's key.
pub fn key() -> Value {
    unsafe {
        read_value(sys::key_type(), || sys::key_int(), || sys::key_real(), || sys::key_len(), |d| sys::key_read(d))
    }
}
/// The key as an INTEGER (the ABI's conversion: a REAL truncated, anything else 0).
pub fn key_int() -> i64 {
    unsafe { sys::key_int() }
}
/// The key as TEXT ("" if it is not TEXT).
pub fn key_text() -> String {
    match key() {
        Value::Text(s) => s,
        _ => String::new(),
    }
}

/// How many arguments the call has, the key excluded.
pub fn arg_count() -> usize {
    unsafe { sys::arg_count() as usize }
}
/// Argument `i` (0 is the first after the key); an index out of range is a WASM_TRAP.
pub fn arg(i: usize) -> Value {
    let i = i as i32;
    unsafe {
        read_value(sys::arg_type(i), || sys::arg_int(i), || sys::arg_real(i), || sys::arg_len(i), |d| sys::arg_read(i, d))
    }
}
pub fn arg_int(i: usize) -> i64 {
    unsafe { sys::arg_int(i as i32) }
}
pub fn arg_real(i: usize) -> f64 {
    unsafe { sys::arg_real(i as i32) }
}
pub fn arg_text(i: usize) -> String {
    arg(i).as_text().to_owned()
}
pub fn arg_blob(i: usize) -> Vec<u8> {
    arg(i).as_bytes().to_vec()
}

// ---- this key's row, by column name ------------------------------------------------------------------

/// Column index by name (case-insensitive); aborts the transaction if the table has no such column.
pub fn col(name: &str) -> i32 {
    let c = unsafe { sys::col(name.as_ptr(), name.len()) };
    if c < 0 {
        abort(&format!("unknown column {}", name));
    }
    c
}

/// Whether this key's row exists.
pub fn row_exists() -> bool {
    unsafe { sys::row_exists() != 0 }
}
/// The time of the transaction's batch, ms since the Unix epoch (UTC): the same in every call of the batch.
pub fn txn_time_ms() -> i64 {
    unsafe { sys::txn_time_ms() }
}
/// Deletes this key's row.
pub fn delete_row() {
    unsafe { sys::delete_row() }
}

/// Column `c` (an index from `col`) of this key's row; NULL if the row is absent.
pub fn get_at(c: i32) -> Value {
    unsafe { read_value(sys::get_type(c), || sys::get_int(c), || sys::get_real(c), || sys::get_len(c), |d| sys::get_read(c, d)) }
}
pub fn get(name: &str) -> Value {
    get_at(col(name))
}
/// The column as an INTEGER: NULL (an absent row) is 0.
pub fn get_int(name: &str) -> i64 {
    unsafe { sys::get_int(col(name)) }
}
pub fn get_real(name: &str) -> f64 {
    unsafe { sys::get_real(col(name)) }
}
pub fn get_text(name: &str) -> String {
    match get(name) {
        Value::Text(s) => s,
        _ => String::new(),
    }
}
pub fn get_blob(name: &str) -> Vec<u8> {
    get(name).as_bytes().to_vec()
}
pub fn is_null(name: &str) -> bool {
    unsafe { sys::get_type(col(name)) == crate::value::NULL }
}

/// Writes column `c`; an absent row is created with its defaults.
pub fn set_at(c: i32, v: &Value) {
    unsafe {
        match v {
            Value::Null => sys::set_null(c),
            Value::Int(i) => sys::set_int(c, *i),
            Value::Real(r) => sys::set_real(c, *r),
            Value::Text(s) => sys::set_text(c, s.as_ptr(), s.len()),
            Value::Blob(b) => sys::set_blob(c, b.as_ptr(), b.len()),
        }
    }
}
pub fn set(name: &str, v: impl Into<Value>) {
    set_at(col(name), &v.into())
}
pub fn set_int(name: &str, v: i64) {
    unsafe { sys::set_int(col(name), v) }
}
pub fn set_real(name: &str, v: f64) {
    unsafe { sys::set_real(col(name), v) }
}
pub fn set_text(name: &str, v: &str) {
    unsafe { sys::set_text(col(name), v.as_ptr(), v.len()) }
}
pub fn set_blob(name: &str, v: &[u8]) {
    unsafe { sys::set_blob(col(name), v.as_ptr(), v.len()) }
}
pub fn set_null(name: &str) {
    unsafe { sys::set_null(col(name)) }
}

// ---- calls -----------------------------------------------------------------------------------------

fn push(v: &Value) {
    unsafe {
        match v {
            Value::Null => sys::call_arg_null(),
            Value::Int(i) => sys::call_arg_int(*i),
            Value::Real(r) => sys::call_arg_real(*r),
            Value::Text(s) => sys::call_arg_text(s.as_ptr(), s.len()),
            Value::Blob(b) => sys::call_arg_blob(b.as_ptr(), b.len()),
        }
    }
}

/// Calls `function` ("table.function") at `key` inside this transaction and returns its result. If the
/// callee fails, the whole transaction fails (this call does not return).
pub fn call(function: &str, key: impl Into<Value>, args: &[Value]) -> Value {
    // Everything is evaluated before call_begin, so no other call can start in between.
    let key = key.into();
    unsafe {
        sys::call_begin(function.as_ptr(), function.len());
        push(&key);
        for a in args {
            push(a);
        }
        let tag = sys::call_invoke();
        read_value(tag, || sys::result_int(), || sys::result_real(), || sys::result_len(), |d| sys::result_read(d))
    }
}

// ---- return value ------------------------------------------------------------------------------------

/// Sets the return value (NULL if never set; the last one wins). Functions exported with `export!`
/// return theirs instead.
pub fn ret(v: impl Into<Value>) {
    unsafe {
        match v.into() {
            Value::Null => sys::ret_null(),
            Value::Int(i) => sys::ret_int(i),
            Value::Real(r) => sys::ret_real(r),
            Value::Text(s) => sys::ret_text(s.as_ptr(), s.len()),
            Value::Blob(b) => sys::ret_blob(b.as_ptr(), b.len()),
        }
    }
}
