//! The raw imports of the ABI v1 (docs/functions.md, "The ABI"): pointers and lengths are byte offsets
//! into this module's memory. Prefer the safe wrappers of the crate root.
#![allow(missing_docs)]

#[link(wasm_import_module = "acheron")]
extern "C" {
    pub fn key_type() -> i32;
    pub fn key_int() -> i64;
    pub fn key_real() -> f64;
    pub fn key_len() -> i32;
    pub fn key_read(dst: *mut u8);
    pub fn arg_count() -> i32;
    pub fn arg_type(i: i32) -> i32;
    pub fn arg_int(i: i32) -> i64;
    pub fn arg_real(i: i32) -> f64;
    pub fn arg_len(i: i32) -> i32;
    pub fn arg_read(i: i32, dst: *mut u8);
    pub fn col(name: *const u8, len: usize) -> i32;
    pub fn row_exists() -> i32;
    pub fn txn_time_ms() -> i64;
    pub fn get_type(c: i32) -> i32;
    pub fn get_int(c: i32) -> i64;
    pub fn get_real(c: i32) -> f64;
    pub fn get_len(c: i32) -> i32;
    pub fn get_read(c: i32, dst: *mut u8);
    pub fn set_int(c: i32, v: i64);
    pub fn set_real(c: i32, v: f64);
    pub fn set_text(c: i32, ptr: *const u8, len: usize);
    pub fn set_blob(c: i32, ptr: *const u8, len: usize);
    pub fn set_null(c: i32);
    pub fn delete_row();
    pub fn call_begin(name: *const u8, len: usize);
    pub fn call_arg_int(v: i64);
    pub fn call_arg_real(v: f64);
    pub fn call_arg_text(ptr: *const u8, len: usize);
    pub fn call_arg_blob(ptr: *const u8, len: usize);
    pub fn call_arg_null();
    pub fn call_invoke() -> i32;
    pub fn result_int() -> i64;
    pub fn result_real() -> f64;
    pub fn result_len() -> i32;
    pub fn result_read(dst: *mut u8);
    pub fn ret_int(v: i64);
    pub fn ret_real(v: f64);
    pub fn ret_text(ptr: *const u8, len: usize);
    pub fn ret_blob(ptr: *const u8, len: usize);
    pub fn ret_null();
    pub fn abort_txn(ptr: *const u8, len: usize);
    pub fn log(ptr: *const u8, len: usize);
}

// The one import the ABI allows outside `acheron`: a trap with a message, given as an AssemblyScript
// string (UTF-16LE, its byte length in the 4 bytes before it). A panic is reported through it.
#[link(wasm_import_module = "env")]
extern "C" {
    #[link_name = "abort"]
    pub fn env_abort(message: *const u8, file: *const u8, line: i32, column: i32);
}
