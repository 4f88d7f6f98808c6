//! Typed arguments and results for functions exported with `export!`.
use crate::api::{abort, arg, arg_count};
use crate::value::Value;

/// A type an argument converts to. A value of another type aborts the transaction with a message naming
/// the argument (no silent 0 for a TEXT passed as an amount); `Option<T>` takes NULL, or an argument left
/// out at the end of the call, as `None`.
pub trait FromArg: Sized {
    fn from_value(v: Value) -> Result<Self, Value>;
    /// What the argument must be, for the message.
    const EXPECTED: &'static str;
    /// What an argument the call left out reads as: `None` for a type that needs one (reading it traps,
    /// the engine's "argument index N out of range"), `Some(None)` for `Option<T>`.
    fn absent() -> Option<Self> { None }
}

impl FromArg for Value {
    fn from_value(v: Value) -> Result<Self, Value> { Ok(v) }
    const EXPECTED: &'static str = "any value";
}
impl FromArg for i64 {
    fn from_value(v: Value) -> Result<Self, Value> {
        match v { Value::Int(i) => Ok(i), other => Err(other) }
    }
    const EXPECTED: &'static str = "INTEGER";
}
impl FromArg for bool {
    fn from_value(v: Value) -> Result<Self, Value> {
        match v { Value::Int(i) => Ok(i != 0), other => Err(other) }
    }
    const EXPECTED: &'static str = "INTEGER";
}
impl FromArg for f64 {
    fn from_value(v: Value) -> Result<Self, Value> {
        match v { Value::Real(r) => Ok(r), Value::Int(i) => Ok(i as f64), other => Err(other) }
    }
    const EXPECTED: &'static str = "REAL or INTEGER";
}
impl FromArg for String {
    fn from_value(v: Value) -> Result<Self, Value> {
        match v { Value::Text(s) => Ok(s), other => Err(other) }
    }
    const EXPECTED: &'static str = "TEXT";
}
impl FromArg for Vec<u8> {
    fn from_value(v: Value) -> Result<Self, Value> {
        match v { Value::Blob(b) => Ok(b), other => Err(other) }
    }
    const EXPECTED: &'static str = "BLOB";
}
impl<T: FromArg> FromArg for Option<T> {
    fn from_value(v: Value) -> Result<Self, Value> {
        match v { Value::Null => Ok(None), other => T::from_value(other).map(Some) }
    }
    const EXPECTED: &'static str = T::EXPECTED;
    // Left out is None, as NULL is: `fn f(amount: i64, memo: Option<String>)` takes CALL t.f(k, 5). It
    // trapped, reading an argument index out of range.
    fn absent() -> Option<Self> { Some(None) }
}

/// A key of a table, as an argument: TEXT or INTEGER (a table's key column is one of them). The nested
/// call it goes to checks it against the table's own key type.
pub struct Key(pub Value);
impl FromArg for Key {
    fn from_value(v: Value) -> Result<Self, Value> {
        match v { Value::Int(_) | Value::Text(_) => Ok(Key(v)), other => Err(other) }
    }
    const EXPECTED: &'static str = "TEXT or INTEGER (a key)";
}
impl From<Key> for Value {
    fn from(k: Key) -> Value { k.0 }
}

/// Argument `index` as `T`, aborting with a message naming it when it has another type. An argument the
/// call left out is `T::absent()` (`None` for an `Option`); for other types reading it traps, as `arg` does.
pub fn typed_arg<T: FromArg>(index: usize, name: &str) -> T {
    // Only types with an absent value ask arg_count: the others pay no extra host call (nor its fuel).
    if let Some(v) = T::absent() {
        if index >= arg_count() { return v; }
    }
    T::from_value(arg(index)).unwrap_or_else(|got| {
        abort(&format!("argument {} ({}) must be {}, got {}", index + 1, name, T::EXPECTED, got.type_name()))
    })
}

/// What an exported function may return: a value (NULL for `()` and `None`), or a `Result` whose `Err`
/// aborts the transaction with its message, so `?` works inside a function.
pub trait IntoReturn {
    fn into_return(self);
}

impl<T: Into<Value>> IntoReturn for T {
    fn into_return(self) {
        crate::api::ret(self)
    }
}
impl IntoReturn for () {
    fn into_return(self) {}
}
impl<T: IntoReturn, E: core::fmt::Display> IntoReturn for Result<T, E> {
    fn into_return(self) {
        match self {
            Ok(v) => v.into_return(),
            Err(e) => abort(&e.to_string()),
        }
    }
}

/// Exports functions with typed arguments (those after the key) and a typed result. Each `fn NAME` is
/// exported as `NAME`, with the ABI's `() -> ()` signature:
///
/// ```ignore
/// acheron::export! {
///     /// CALL account.deposit('alice', 100) → the new balance
///     fn deposit(amount: i64) -> Result<i64, &'static str> {
///         if amount <= 0 { return Err("deposit amount must be positive"); }
///         let next = acheron::get_int("balance") + amount;
///         acheron::set_int("balance", next);
///         Ok(next)
///     }
/// }
/// ```
#[macro_export]
macro_rules! export {
    ($( $(#[$meta:meta])* fn $name:ident ( $( $arg:ident : $ty:ty ),* $(,)? ) $( -> $ret:ty )? $body:block )*) => {
        $(
            $(#[$meta])*
            #[no_mangle]
            #[allow(unused_mut, unused_assignments, unused_variables)]
            pub extern "C" fn $name() {
                fn body($( $arg: $ty ),*) $( -> $ret )? $body
                $crate::__enter();
                let mut index = 0usize;
                $(
                    let $arg = $crate::typed_arg::<$ty>(index, stringify!($arg));
                    index += 1;
                )*
                $crate::IntoReturn::into_return(body($( $arg ),*));
            }
        )*
    };
}
