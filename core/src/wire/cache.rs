//! The token cache and its single-flight with JSON in and out; tickets are numbers.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{json, Value};

use super::{token, token_error, token_error_from, token_from, WireError};
use crate::cache::{CacheKey, FetchTicket, Lookup, TokenCache, WaitOutcome, WaitTicket};
use crate::config::{Identity, Resource};
use crate::source::SourceKind;
use crate::time::UnixMillis;

/// A `TokenCache` whose tickets are plain numbers a binding can hold.
#[derive(Debug, Default)]
pub struct JsonCache {
    cache: TokenCache,
    fetches: HashMap<u64, (CacheKey, FetchTicket)>,
    waits: HashMap<u64, WaitTicket>,
    next: u64,
}

impl JsonCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Looks up `{"source", "resource", "client_id" | "object_id" | "resource_id"?}`:
    /// `{"fresh": token}`, `{"stale": token, "ticket": n | null}`, `{"fetch": n}` or
    /// `{"wait": n, "lease_until_ms": t}`.
    pub fn lookup(&mut self, key: &Value, now: u64) -> Result<Value, WireError> {
        let key = cache_key(key)?;
        Ok(match self.cache.lookup(&key, UnixMillis(now)) {
            Lookup::Fresh(t) => json!({"fresh": token(&t)}),
            Lookup::Stale(t, ticket) => {
                let ticket = ticket.map(|f| self.hold_fetch(key, f));
                json!({"stale": token(&t), "ticket": ticket})
            }
            Lookup::Fetch(f) => json!({"fetch": self.hold_fetch(key, f)}),
            Lookup::Wait(w) => {
                let lease = w.lease_until.0;
                self.next += 1;
                self.waits.insert(self.next, w);
                json!({"wait": self.next, "lease_until_ms": lease})
            }
        })
    }

    /// Completes fetch `ticket` with `{"token": {…}}` or `{"error": {"code", "message"?}}`.
    pub fn complete(&mut self, ticket: u64, result: &Value, now: u64) -> Result<(), WireError> {
        let (key, fetch) = self.fetches.remove(&ticket).ok_or_else(|| unknown("ticket", ticket))?;
        let result = match (&result["token"], &result["error"]) {
            (t @ Value::Object(_), _) => Ok(token_from(t, UnixMillis(now))?),
            (_, e @ Value::Object(_)) => Err(token_error_from(e, Some(key.source))?),
            _ => return Err(WireError::input("complete needs {\"token\": …} or {\"error\": …}")),
        };
        let _ = self.cache.complete(fetch, result, UnixMillis(now));
        Ok(())
    }

    /// Gives fetch `ticket` up (its caller will not complete it).
    pub fn abandon(&mut self, ticket: u64) -> Result<(), WireError> {
        let (_, fetch) = self.fetches.remove(&ticket).ok_or_else(|| unknown("ticket", ticket))?;
        self.cache.abandon(fetch);
        Ok(())
    }

    /// Where waiter `waiter` stands: `{"pending": lease_until_ms}`, `{"token": …}`,
    /// `{"error": …}` or `{"abandoned": true}`. A waiter that got an answer is forgotten.
    pub fn poll_wait(&mut self, waiter: u64, now: u64) -> Result<Value, WireError> {
        let wait = self.waits.get(&waiter).ok_or_else(|| unknown("waiter", waiter))?;
        let outcome = match self.cache.poll_wait(wait, UnixMillis(now)) {
            WaitOutcome::Pending => return Ok(json!({"pending": wait.lease_until.0})),
            WaitOutcome::Ready(Ok(t)) => json!({"token": token(&t)}),
            WaitOutcome::Ready(Err(e)) => json!({"error": token_error(&e)}),
            WaitOutcome::Abandoned => json!({"abandoned": true}),
        };
        self.waits.remove(&waiter);
        Ok(outcome)
    }

    /// Forgets the token of a key (the next lookup fetches).
    pub fn invalidate(&mut self, key: &Value) -> Result<(), WireError> {
        self.cache.invalidate(&cache_key(key)?);
        Ok(())
    }

    fn hold_fetch(&mut self, key: CacheKey, fetch: FetchTicket) -> u64 {
        self.next += 1;
        self.fetches.insert(self.next, (key, fetch));
        self.next
    }
}

fn unknown(what: &str, n: u64) -> WireError {
    WireError::input(format!("unknown {what} {n} (already used, or never given)"))
}

/// A cache key as JSON: `{"source", "resource", "client_id" | "object_id" | "resource_id"?}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Key {
    source: SourceKind,
    resource: String,
    client_id: Option<String>,
    object_id: Option<String>,
    resource_id: Option<String>,
}

/// A cache key from its JSON form; a bad one is a `bad_input` or `config` error.
pub fn cache_key(k: &Value) -> Result<CacheKey, WireError> {
    let k: Key = Key::deserialize(k).map_err(|e| WireError::input(format!("a cache key: {e}")))?;
    let config = |e| WireError::of("config", e);
    let identity = Identity::from_selectors(
        k.client_id.as_deref(),
        k.object_id.as_deref(),
        k.resource_id.as_deref(),
    )
    .map_err(config)?;
    let resource = Resource::new(&k.resource).map_err(config)?;
    Ok(CacheKey { source: k.source, identity, resource })
}
