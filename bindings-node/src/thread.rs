//! Work that may block (a token request, an ARM operation) runs on a detached thread of its own
//! and settles a promise on the event loop: never on libuv's worker pool, whose few threads also
//! serve `fs`, `crypto` and `dns`, and which `process.exit` joins (a pool thread asleep on a
//! `Retry-After` would hold the exit). The promise's thread-safe function keeps the loop alive
//! while the work runs, as any pending request does; nothing joins the thread.
//!
//! A caller that gave up (its `AbortSignal` fired) settles the promise at once through its
//! [`Settlement`]: the loop is then free although the thread may still be inside an attempt the
//! transport cannot interrupt, and the thread's later outcome is dropped.

use std::sync::{Arc, Mutex, MutexGuard};

use napi::bindgen_prelude::*;
use napi::JsDeferred;

use crate::errors::{guard, Failure};

/// Runs `work` on a thread named `name` (a panic becomes a failure) and gives its outcome to
/// `settle` on the event loop, which makes the promise's value. `what` names the work in the
/// error when no thread can start.
pub(crate) fn spawn_settled<'env, X, T, W, S>(
    env: &'env Env,
    name: &str,
    what: &str,
    work: W,
    settle: S,
) -> Result<PromiseRaw<'env, T>>
where
    X: Send + 'static,
    T: ToNapiValue + 'static,
    W: FnOnce() -> std::result::Result<X, Failure> + Send + 'static,
    S: FnOnce(&Env, std::result::Result<X, Failure>) -> Result<T> + Send + 'static,
{
    spawn_settlement(env, name, what, work, Box::new(settle), &Settlement::new())
}

/// [`spawn_settled`] whose promise `settlement` may also settle earlier, from the event loop.
pub(crate) fn spawn_settlement<'env, X, T, W>(
    env: &'env Env,
    name: &str,
    what: &str,
    work: W,
    settle: Finish<X, T>,
    settlement: &Settlement<X, T>,
) -> Result<PromiseRaw<'env, T>>
where
    X: Send + 'static,
    T: ToNapiValue + 'static,
    W: FnOnce() -> std::result::Result<X, Failure> + Send + 'static,
{
    let (deferred, promise) = env.create_deferred::<T, Settle<T>>()?;
    *settlement.slot() = Some((deferred, settle));
    let by_thread = settlement.clone();
    let started =
        std::thread::Builder::new().name(name.into()).spawn(move || by_thread.settle(guard(work)));
    if let Err(e) = started {
        // Dropped unsettled, as the promise of work that never started always was.
        drop(settlement.slot().take());
        return Err(Error::from_reason(format!("cannot start a thread for {what}: {e}")));
    }
    Ok(PromiseRaw::new(env.raw(), promise.raw()))
}

/// How an outcome becomes the promise's value, on the event loop.
type Settle<T> = Box<dyn FnOnce(Env) -> Result<T> + Send>;

/// How an outcome of type `X` becomes the promise's value, on the event loop.
pub(crate) type Finish<X, T> =
    Box<dyn FnOnce(&Env, std::result::Result<X, Failure>) -> Result<T> + Send>;

/// The one settlement of a promise, made by whoever comes first: the work's thread with its
/// outcome, or the event loop with an earlier one (an abort). Clones share it.
pub(crate) struct Settlement<X, T: ToNapiValue + 'static> {
    slot: Arc<Mutex<Pending<X, T>>>,
}

type Pending<X, T> = Option<(JsDeferred<T, Settle<T>>, Finish<X, T>)>;

impl<X: Send + 'static, T: ToNapiValue + 'static> Settlement<X, T> {
    /// A settlement with no promise yet ([`spawn_settlement`] gives it one).
    pub(crate) fn new() -> Self {
        Settlement { slot: Arc::new(Mutex::new(None)) }
    }

    /// Settles the promise with `outcome` unless it is settled already (then `outcome` is
    /// dropped). Callable from any thread.
    pub(crate) fn settle(&self, outcome: std::result::Result<X, Failure>) {
        if let Some((deferred, finish)) = self.slot().take() {
            deferred.resolve(Box::new(move |env| finish(&env, outcome)));
        }
    }

    fn slot(&self) -> MutexGuard<'_, Pending<X, T>> {
        self.slot.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<X, T: ToNapiValue + 'static> Clone for Settlement<X, T> {
    fn clone(&self) -> Self {
        Settlement { slot: Arc::clone(&self.slot) }
    }
}
