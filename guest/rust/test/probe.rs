// Every wrapper of the crate, for test/guests/abi-wrappers.test.ts (guest/c/test/probe.c is its C twin).
// Table: kv (id TEXT PRIMARY KEY, i INTEGER, r REAL, t TEXT, b BLOB); echo_key also runs on tables with
// an INTEGER or REAL key.
use acheron::*;

export! {
    fn echo(v: Value) -> Value { v }
    fn echo_key() -> Value { key() }
    fn count() -> i64 { arg_count() as i64 }
    /// Writes column `column` and reads it back from the row.
    fn store(column: String, v: Value) -> Value {
        set(&column, v);
        get(&column)
    }
    fn clear(column: String) -> bool {
        set_null(&column);
        is_null(&column)
    }
    fn exists() -> bool { row_exists() }
    fn time() -> i64 { txn_time_ms() }
    fn remove() -> bool {
        delete_row();
        row_exists()
    }
    /// forward('t.f', key, args...) → what t.f at key returned.
    fn forward() -> Value {
        let rest: Vec<Value> = (2..arg_count()).map(arg).collect();
        call(&arg_text(0), arg(1), &rest)
    }
    fn say(line: String) { log(&line) }
    fn bad_column() -> i64 { get_int("nope") }
    // The typed wrappers, one of each.
    fn write_typed(i: i64, r: f64, t: String, b: Vec<u8>) {
        set_int("i", i);
        set_real("r", r);
        set_text("t", &t);
        set_blob("b", &b);
    }
    fn read_typed() -> String {
        format!("{} {} {} {:?} {}", get_int("i"), get_real("r"), get_text("t"), get_blob("b"), is_null("t"))
    }
    fn typed(i: i64, r: f64, s: String, b: Vec<u8>, o: Option<i64>, flag: bool) -> String {
        format!("{} {} {} {:?} {:?} {}", i, r, s, b, o, flag)
    }
    /// Option parameters left out at the end of the call are None, as NULL is.
    fn optional(i: i64, o: Option<i64>, s: Option<String>) -> String {
        format!("{} {:?} {:?} {}", i, o, s, arg_count())
    }
    /// A required parameter after an Option one: leaving it out is still the engine's trap.
    fn optional_first(o: Option<i64>, i: i64) -> String { format!("{:?} {}", o, i) }
    fn raw_args() -> String {
        format!("{} {} {} {:?} {}", arg_int(0), arg_real(1), arg_text(2), arg_blob(3), key_int())
    }
    fn fail_with(message: String) -> Result<i64, String> { Err(message) }
    fn abort_with(message: String) { abort(&message) }
    fn boom(i: i64) -> i64 {
        let v = vec![1i64];
        v[i as usize]
    }
    /// Allocates `bytes` (past the declared maximum: MEMORY_LIMIT) and sums them.
    fn hog(bytes: i64) -> i64 {
        let v = vec![1u8; bytes as usize];
        v.iter().map(|&b| b as i64).sum()
    }
}
