//! Turning redb panics into errors.
//!
//! redb trusts its file: a damaged page can make it panic (index out of bounds,
//! failed assertions in debug builds) instead of returning `Corrupted`. A
//! corrupt store must be reported, not crash the command, so every store entry
//! point that reads or writes pages runs inside [`guard`]. Callbacks handed in by
//! the caller run through [`callback`], so that a panic of the caller's own code
//! keeps unwinding as a panic instead of being mistaken for corruption.

use std::any::Any;
use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

use crate::error::StoreError;

thread_local! {
    /// Callbacks entered and not left on this thread (left only by a panic).
    static IN_CALLBACK: Cell<u32> = const { Cell::new(0) };
}

/// Runs `f`; a panic inside it becomes [`StoreError::Panicked`], unless it came
/// from a caller's callback.
pub(crate) fn guard<T>(f: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StoreError> {
    match catch_any(f) {
        Ok(r) => r,
        Err(message) => Err(StoreError::Panicked { message }),
    }
}

/// Runs `f`, returning the message of a panic inside it that is not a caller's
/// callback's panic (those keep unwinding).
pub(crate) fn catch_any<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    let base = IN_CALLBACK.with(Cell::get);
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(v) => Ok(v),
        Err(payload) => {
            if IN_CALLBACK.with(Cell::get) > base {
                IN_CALLBACK.with(|c| c.set(base));
                resume_unwind(payload);
            }
            Err(panic_message(payload.as_ref()))
        }
    }
}

/// Runs a caller's callback inside a guarded call.
pub(crate) fn callback<R>(f: impl FnOnce() -> R) -> R {
    IN_CALLBACK.with(|c| c.set(c.get() + 1));
    let r = f();
    IN_CALLBACK.with(|c| c.set(c.get() - 1));
    r
}

/// The text of a panic payload.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_panics_become_errors_and_callback_panics_keep_unwinding() {
        let r: Result<(), StoreError> = guard(|| panic!("page 7 is garbage"));
        assert!(matches!(r, Err(StoreError::Panicked { message }) if message == "page 7 is garbage"));
        let caught = std::panic::catch_unwind(|| {
            let _ = guard(|| -> Result<(), StoreError> {
                callback(|| panic!("the caller's bug"));
                Ok(())
            });
        });
        let payload = caught.expect_err("the callback's panic goes on");
        assert_eq!(panic_message(payload.as_ref()), "the caller's bug");
        // The counter is back at zero: the next store panic is an error again.
        let r: Result<(), StoreError> = guard(|| panic!("again"));
        assert!(matches!(r, Err(StoreError::Panicked { .. })));
        // A store panic inside a callback's own store call is that call's error.
        let r = guard(|| {
            callback(|| {
                let inner: Result<(), StoreError> = guard(|| panic!("inner"));
                assert!(inner.is_err());
            });
            Ok(())
        });
        assert!(r.is_ok());
    }
}
