//! Work that may block (a token request, an ARM operation) runs on a detached thread of its own
//! and settles a promise on the event loop: never on libuv's worker pool, whose few threads also
//! serve `fs`, `crypto` and `dns`, and which `process.exit` joins (a pool thread asleep on a
//! `Retry-After` would hold the exit). The promise's thread-safe function keeps the loop alive
//! while the work runs, as any pending request does; nothing joins the thread.

use napi::bindgen_prelude::*;

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
    let (deferred, promise) = env.create_deferred::<T, Settle<T>>()?;
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            let outcome = guard(work);
            deferred.resolve(Box::new(move |env| settle(&env, outcome)));
        })
        .map_err(|e| Error::from_reason(format!("cannot start a thread for {what}: {e}")))?;
    Ok(PromiseRaw::new(env.raw(), promise.raw()))
}

/// How an outcome becomes the promise's value, on the event loop.
type Settle<T> = Box<dyn FnOnce(Env) -> Result<T> + Send>;
