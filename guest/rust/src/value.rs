//! One SQL value as the ABI moves it.

/// The ABI's type tags.
pub const NULL: i32 = 0;
pub const INTEGER: i32 = 1;
pub const REAL: i32 = 2;
pub const TEXT: i32 = 3;
pub const BLOB: i32 = 4;

/// An INTEGER (i64), REAL (f64), TEXT (UTF-8), BLOB (bytes) or NULL.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl Value {
    /// The SQL name of its type, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "NULL",
            Value::Int(_) => "INTEGER",
            Value::Real(_) => "REAL",
            Value::Text(_) => "TEXT",
            Value::Blob(_) => "BLOB",
        }
    }
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
    /// The INTEGER; a REAL truncated toward zero (saturating); 0 for anything else (as the ABI's `*_int`).
    pub fn as_int(&self) -> i64 {
        match self {
            Value::Int(i) => *i,
            Value::Real(r) => *r as i64,
            _ => 0,
        }
    }
    /// The REAL; an INTEGER converted; 0 for anything else (as the ABI's `*_real`).
    pub fn as_real(&self) -> f64 {
        match self {
            Value::Real(r) => *r,
            Value::Int(i) => *i as f64,
            _ => 0.0,
        }
    }
    /// The TEXT; "" for anything else.
    pub fn as_text(&self) -> &str {
        match self {
            Value::Text(s) => s,
            _ => "",
        }
    }
    /// The bytes of a BLOB or TEXT; empty for anything else.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Value::Blob(b) => b,
            Value::Text(s) => s.as_bytes(),
            _ => &[],
        }
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self { Value::Int(v) }
}
impl From<i32> for Value {
    fn from(v: i32) -> Self { Value::Int(v as i64) }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self { Value::Int(v as i64) }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self { Value::Real(v) }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self { Value::Text(v.to_owned()) }
}
impl From<String> for Value {
    fn from(v: String) -> Self { Value::Text(v) }
}
impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Self { Value::Blob(v.to_vec()) }
}
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self { Value::Blob(v) }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self { v.map_or(Value::Null, Into::into) }
}

/// Reads a value the host describes by its type tag, with the ABI's len-then-read pair for bytes.
pub(crate) fn read_value(
    tag: i32,
    int: impl FnOnce() -> i64,
    real: impl FnOnce() -> f64,
    len: impl FnOnce() -> i32,
    read: impl FnOnce(*mut u8),
) -> Value {
    match tag {
        INTEGER => Value::Int(int()),
        REAL => Value::Real(real()),
        TEXT | BLOB => {
            let n = len() as usize;
            let mut bytes: Vec<u8> = Vec::with_capacity(n);
            if n > 0 {
                read(bytes.as_mut_ptr());
                // SAFETY: the host wrote exactly n bytes there (key_read/arg_read/get_read/result_read).
                unsafe { bytes.set_len(n) }
            }
            if tag == BLOB {
                Value::Blob(bytes)
            } else {
                // The host always hands out well-formed UTF-8; lossy only to never trust that blindly.
                Value::Text(String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
            }
        }
        _ => Value::Null,
    }
}
