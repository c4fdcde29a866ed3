//! Giving up on a token request: a caller's [`Cancel`], and the interest each in-flight fetch
//! keeps in its callers.
//!
//! Concurrent callers for one key share one fetch (the core's single-flight), so one caller
//! giving up must not stop a fetch others still wait on. Every caller that may wait or fetch
//! registers its `Cancel` under the key for as long as it is inside the credential; the fetch
//! stops (between attempts, or during a wait) only once every registered caller has cancelled.
//! A caller that cannot cancel (`get_token_for`, a background refresh) registers one nobody
//! cancels, so its fetch always runs to the end.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use azmi_core::CacheKey;

/// A caller's wish to stop waiting for a token; clones share one flag. Cancelling is final.
#[derive(Debug, Clone, Default)]
pub struct Cancel {
    flag: Arc<AtomicBool>,
}

impl Cancel {
    /// A request not (yet) cancelled.
    pub fn new() -> Self {
        Self::default()
    }

    /// Gives up: the caller's call returns `None` soon, and the fetch stops once no other caller
    /// waits on it.
    pub fn cancel(&self) {
        self.flag.store(true, Ordering::Release);
    }

    /// Whether [`Cancel::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.flag.load(Ordering::Acquire)
    }

    fn same(&self, other: &Cancel) -> bool {
        Arc::ptr_eq(&self.flag, &other.flag)
    }
}

/// The callers inside a credential, per key.
#[derive(Debug, Default)]
pub(crate) struct Interest {
    callers: Mutex<Vec<(CacheKey, Cancel)>>,
}

impl Interest {
    /// Registers `cancel` under `key` until the returned guard drops.
    pub(crate) fn register<'a>(&'a self, key: &CacheKey, cancel: &Cancel) -> Registered<'a> {
        self.lock().push((key.clone(), cancel.clone()));
        Registered { interest: self, cancel: cancel.clone() }
    }

    /// Whether the fetch for `key` is owed to nobody any more: callers registered, and every one
    /// of them cancelled.
    pub(crate) fn abandoned(&self, key: &CacheKey) -> bool {
        let callers = self.lock();
        let mut waiting = callers.iter().filter(|(k, _)| k == key).peekable();
        waiting.peek().is_some() && waiting.all(|(_, c)| c.is_cancelled())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(CacheKey, Cancel)>> {
        self.callers.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A caller's registration; dropping it removes the caller.
pub(crate) struct Registered<'a> {
    interest: &'a Interest,
    cancel: Cancel,
}

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        let mut callers = self.interest.lock();
        if let Some(at) = callers.iter().position(|(_, c)| c.same(&self.cancel)) {
            callers.swap_remove(at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use azmi_core::{Identity, Resource, SourceKind};

    fn key(resource: &str) -> CacheKey {
        CacheKey {
            source: SourceKind::Imds,
            identity: Identity::default(),
            resource: Resource::new(resource).unwrap(),
        }
    }

    #[test]
    fn a_fetch_is_abandoned_only_when_every_caller_cancelled() {
        let interest = Interest::default();
        let (arm, storage) =
            (key("https://management.azure.com/"), key("https://storage.azure.com/"));
        assert!(!interest.abandoned(&arm), "nobody registered: a refresh runs to its end");
        let (a, b, other) = (Cancel::new(), Cancel::new(), Cancel::new());
        let _a = interest.register(&arm, &a);
        let b_registered = interest.register(&arm, &b);
        let _other = interest.register(&storage, &other);
        a.cancel();
        assert!(!interest.abandoned(&arm), "b still waits");
        b.cancel();
        assert!(interest.abandoned(&arm));
        assert!(!interest.abandoned(&storage), "another key's caller is not affected");
        drop(b_registered);
        let c = Cancel::new();
        let _c = interest.register(&arm, &c);
        assert!(!interest.abandoned(&arm), "a new caller keeps the fetch going");
    }
}
