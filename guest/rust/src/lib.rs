//! Acheron's Rust guest library: safe wrappers over the WebAssembly ABI v1 (docs/functions.md) and
//! `export!`, which exports functions with typed arguments and results.
//!
//! Build a function module for `wasm32-unknown-unknown` as a `cdylib` with a declared memory maximum
//! (`-C link-arg=--max-memory=1048576 -C link-arg=-zstack-size=65536`); see docs/functions.md, "Rust".
//! No dependencies, and it builds with Debian's rustc 1.63.

mod api;
mod export;
mod runtime;
pub mod sys;
mod value;

pub use api::*;
pub use export::{typed_arg, FromArg, IntoReturn, Key};
pub use runtime::BumpAllocator;
pub use value::{Value, BLOB, INTEGER, NULL, REAL, TEXT};

#[doc(hidden)]
pub use runtime::enter as __enter;

// Without the feature (cargo: default-features = false) the module uses std's allocator, or its own.
#[cfg(feature = "bump-allocator")]
#[global_allocator]
static ALLOCATOR: BumpAllocator = BumpAllocator;
