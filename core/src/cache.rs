//! The token cache, with refresh-ahead, stale-while-revalidate and single-flight decided here.
//!
//! # Theory of operation
//!
//! An entry per key (source, identity, resource). A token is *fresh* before its `refresh_on`,
//! *refresh-due* from then until `expires_on − 30 s`, and *expired* after. `lookup` tells each
//! caller exactly one thing to do:
//! - `Fresh`: use the token.
//! - `Stale`: use the token; if it carries a `FetchTicket`, this caller (and no other) refreshes.
//! - `Fetch`: no usable token; this caller (and no other) fetches, then calls `complete`.
//! - `Wait`: another caller is fetching; call `poll_wait` after it completes (or when the
//!   returned lease instant passes).
//!
//! `peek` answers a narrower question without handing out anything: is there a token that may
//! be served now? A host that must not block (an event loop) peeks first and makes a full
//! `lookup` only when it will act on the answer, so a miss never takes a ticket it then has to
//! give back.
//!
//! A token that arrives with 30 s or less to live is never served as the cache's own, but it is
//! still shared: until half its remaining life has passed, a lookup that would fetch is told to
//! `Wait` on the completed fetch instead, and `poll_wait` hands it the same result at once, as
//! it does to the callers that waited during the fetch. So a burst of callers against an
//! endpoint issuing short tokens makes one request, not one per caller. `poll_wait` never hands
//! out a token at or past its expiry.
//!
//! A fetch holds a lease of 120 s, longer than any flow's deadline: if its caller vanishes, the
//! lease runs out, waiters are told `Abandoned`, and the next lookup fetches again. A failed
//! refresh keeps the old token and no new refresh is offered for 30 s, so a struggling endpoint
//! is not hammered.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use foldhash::fast::FixedState;

use crate::config::{Identity, Resource};
use crate::error::TokenError;
use crate::source::SourceKind;
use crate::time::UnixMillis;
use crate::token::AccessToken;

/// Tokens are not served in their last 30 s: a request sent with one must still arrive valid.
const EXPIRY_BUFFER: Duration = Duration::from_secs(30);
/// Gap after a failed refresh before another is offered.
const FAILED_REFRESH_GAP: Duration = Duration::from_secs(30);
/// How long a fetch may run before its waiters give up on it.
const FETCH_LEASE: Duration = Duration::from_secs(120);

/// What a cached token is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey {
    /// The source that issues it.
    pub source: SourceKind,
    /// The identity it belongs to.
    pub identity: Identity,
    /// Its audience.
    pub resource: Resource,
}

/// A caller's right (and duty) to fetch a token for a key. Hand it back to `complete`.
#[derive(Debug, PartialEq, Eq)]
#[must_use]
pub struct FetchTicket {
    key: CacheKey,
    id: u64,
}

/// A caller's place in line behind another caller's fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitTicket {
    key: CacheKey,
    id: u64,
    /// When the fetch's lease runs out; poll again by then at the latest.
    pub lease_until: UnixMillis,
}

/// What `lookup` tells a caller to do.
#[derive(Debug)]
#[must_use]
pub enum Lookup {
    /// Use this token.
    Fresh(Arc<AccessToken>),
    /// Use this still-valid token; with a ticket, this caller also refreshes it.
    Stale(Arc<AccessToken>, Option<FetchTicket>),
    /// No usable token: fetch one and `complete` the ticket.
    Fetch(FetchTicket),
    /// Another caller is fetching: wait for it.
    Wait(WaitTicket),
}

/// Where a waiter stands.
#[derive(Debug, PartialEq)]
pub enum WaitOutcome {
    /// The fetch is still running; poll again when notified or at `lease_until`.
    Pending,
    /// The fetch ended with this.
    Ready(Result<Arc<AccessToken>, TokenError>),
    /// The fetch's lease ran out (its caller vanished): look up again.
    Abandoned,
}

#[derive(Debug, Default)]
struct Entry {
    token: Option<Arc<AccessToken>>,
    inflight: Option<Inflight>,
    /// No refresh is offered before this (after a failed one).
    refresh_blocked_until: UnixMillis,
    /// The outcome of the last completed fetch, for its waiters.
    last: Option<(u64, Result<Arc<AccessToken>, TokenError>)>,
    /// Until then, a lookup that would fetch waits on the last fetch instead: its token was too
    /// short-lived to serve as the cache's own, but it is still good to share.
    share_last_until: UnixMillis,
}

#[derive(Debug, Clone, Copy)]
struct Inflight {
    id: u64,
    lease_until: UnixMillis,
}

/// The cache. Not thread-safe by itself: hosts put it behind one lock, held only for these calls
/// (never across I/O), and wake waiters when a fetch completes.
#[derive(Debug, Default)]
pub struct TokenCache {
    entries: HashMap<CacheKey, Entry, FixedState>,
    next_id: u64,
}

impl TokenCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// What the caller asking for `key` at `now` should do.
    pub fn lookup(&mut self, key: &CacheKey, now: UnixMillis) -> Lookup {
        if let Some(entry) = self.entries.get(key) {
            if let Some(token) = &entry.token {
                if now < token.refresh_on && now < token.expires_on.minus(EXPIRY_BUFFER) {
                    return Lookup::Fresh(Arc::clone(token));
                }
            }
        }
        self.lookup_slow(key, now)
    }

    /// The token that may be served for `key` at `now` (fresh, or due for refresh but not yet
    /// in its last 30 s), without a ticket: nothing is handed out or changed, so the next
    /// `lookup` answers as if this call had not been made. `None`: a `lookup` would say `Fetch`
    /// or `Wait`.
    pub fn peek(&self, key: &CacheKey, now: UnixMillis) -> Option<Arc<AccessToken>> {
        let token = self.entries.get(key)?.token.as_ref()?;
        (now < token.expires_on.minus(EXPIRY_BUFFER)).then(|| Arc::clone(token))
    }

    fn lookup_slow(&mut self, key: &CacheKey, now: UnixMillis) -> Lookup {
        let id = self.next_id + 1;
        let entry = self.entries.entry(key.clone()).or_default();
        if entry.inflight.is_some_and(|f| now >= f.lease_until) {
            entry.inflight = None;
        }
        let usable =
            entry.token.as_ref().filter(|t| now < t.expires_on.minus(EXPIRY_BUFFER)).cloned();
        let lease_until = now.plus(FETCH_LEASE);
        let ticket = FetchTicket { key: key.clone(), id };
        // The last fetch's short-lived token, still shared (see the module notes).
        let shared = match &entry.last {
            Some((last, Ok(_))) if now < entry.share_last_until => Some(*last),
            _ => None,
        };
        match (usable, entry.inflight) {
            (Some(token), _) if now < token.refresh_on => Lookup::Fresh(token),
            (Some(token), Some(_)) => Lookup::Stale(token, None),
            (Some(token), None) if now < entry.refresh_blocked_until => Lookup::Stale(token, None),
            (Some(token), None) => {
                entry.inflight = Some(Inflight { id, lease_until });
                self.next_id = id;
                Lookup::Stale(token, Some(ticket))
            }
            (None, Some(f)) => {
                Lookup::Wait(WaitTicket { key: key.clone(), id: f.id, lease_until: f.lease_until })
            }
            (None, None) => match shared {
                Some(last) => Lookup::Wait(WaitTicket {
                    key: key.clone(),
                    id: last,
                    lease_until: entry.share_last_until,
                }),
                None => {
                    entry.inflight = Some(Inflight { id, lease_until });
                    self.next_id = id;
                    Lookup::Fetch(ticket)
                }
            },
        }
    }

    /// Ends the fetch of `ticket` with its result, which is returned (shared) for the fetcher.
    /// A failure keeps any older token, and blocks refreshes for 30 s.
    pub fn complete(
        &mut self,
        ticket: FetchTicket,
        result: Result<AccessToken, TokenError>,
        now: UnixMillis,
    ) -> Result<Arc<AccessToken>, TokenError> {
        let entry = self.entries.entry(ticket.key).or_default();
        let result = result.map(Arc::new);
        entry.share_last_until = UnixMillis(0);
        match &result {
            Ok(token) => {
                entry.token = Some(Arc::clone(token));
                if now >= token.expires_on.minus(EXPIRY_BUFFER) {
                    let left = token.expires_on.since(now);
                    entry.share_last_until = now.plus(left / 2);
                }
            }
            Err(_) => entry.refresh_blocked_until = now.plus(FAILED_REFRESH_GAP),
        }
        if entry.inflight.is_some_and(|f| f.id == ticket.id) {
            entry.inflight = None;
        }
        entry.last = Some((ticket.id, result.clone()));
        result
    }

    /// Gives `ticket` back unfetched (its caller could not even start): waiters are told
    /// `Abandoned` and the next lookup fetches.
    pub fn abandon(&mut self, ticket: FetchTicket) {
        if let Some(entry) = self.entries.get_mut(&ticket.key) {
            if entry.inflight.is_some_and(|f| f.id == ticket.id) {
                entry.inflight = None;
            }
        }
    }

    /// Where the fetch `wait` waits for stands.
    pub fn poll_wait(&mut self, wait: &WaitTicket, now: UnixMillis) -> WaitOutcome {
        let Some(entry) = self.entries.get_mut(&wait.key) else { return WaitOutcome::Abandoned };
        if let Some((id, result)) = &entry.last {
            if *id == wait.id {
                // A waiter that comes back late never gets an expired token: it looks up again.
                if result.as_ref().is_ok_and(|t| now >= t.expires_on) {
                    return WaitOutcome::Abandoned;
                }
                return WaitOutcome::Ready(result.clone());
            }
        }
        match entry.inflight {
            Some(f) if f.id == wait.id && now < f.lease_until => WaitOutcome::Pending,
            _ => WaitOutcome::Abandoned,
        }
    }

    /// Forgets the token for `key` (e.g. ARM said 401): the next lookup fetches.
    pub fn invalidate(&mut self, key: &CacheKey) {
        if let Some(entry) = self.entries.get_mut(key) {
            entry.token = None;
            entry.refresh_blocked_until = UnixMillis(0);
            entry.share_last_until = UnixMillis(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use proptest::prelude::*;

    fn key() -> CacheKey {
        CacheKey {
            source: SourceKind::Imds,
            identity: Identity::SystemAssigned,
            resource: Resource::new("r").unwrap(),
        }
    }

    fn token(name: &str, refresh: u64, expires: u64) -> AccessToken {
        AccessToken::new(name, "Bearer", UnixMillis(expires), UnixMillis(refresh))
    }

    #[test]
    fn single_flight_on_a_miss() {
        let mut c = TokenCache::new();
        let Lookup::Fetch(ticket) = c.lookup(&key(), UnixMillis(0)) else { panic!() };
        let Lookup::Wait(w) = c.lookup(&key(), UnixMillis(1)) else { panic!() };
        assert_eq!(c.poll_wait(&w, UnixMillis(2)), WaitOutcome::Pending);
        c.complete(ticket, Ok(token("t", 100_000, 200_000)), UnixMillis(3)).unwrap();
        assert!(
            matches!(c.poll_wait(&w, UnixMillis(4)), WaitOutcome::Ready(Ok(t)) if t.secret() == "t")
        );
        assert!(matches!(c.lookup(&key(), UnixMillis(5)), Lookup::Fresh(_)));
    }

    /// Found by the cache_ops fuzz target: a token whose refresh instant lies inside the expiry
    /// buffer was served as fresh by the fast path. It is not (neither by `lookup` nor `peek`);
    /// since issue 13 item 8 the next callers share the fetch's result through `Wait` instead of
    /// fetching again, until half its remaining life has passed.
    #[test]
    fn short_tokens_are_not_served_in_their_last_30_seconds() {
        let mut c = TokenCache::new();
        let Lookup::Fetch(t) = c.lookup(&key(), UnixMillis(0)) else { panic!() };
        c.complete(t, Ok(token("short", 9_000, 9_000)), UnixMillis(0)).unwrap();
        assert!(c.peek(&key(), UnixMillis(1)).is_none());
        let Lookup::Wait(w) = c.lookup(&key(), UnixMillis(1)) else { panic!("not shared") };
        assert_eq!(w.lease_until, UnixMillis(4_500));
        assert!(
            matches!(c.poll_wait(&w, UnixMillis(2)), WaitOutcome::Ready(Ok(t)) if t.secret() == "short")
        );
        // Past its expiry, even a ready result is not handed out.
        assert_eq!(c.poll_wait(&w, UnixMillis(9_000)), WaitOutcome::Abandoned);
        assert!(matches!(c.lookup(&key(), UnixMillis(4_500)), Lookup::Fetch(_)));
    }

    #[test]
    fn an_abandoned_fetch_releases_its_waiters() {
        let mut c = TokenCache::new();
        let Lookup::Fetch(ticket) = c.lookup(&key(), UnixMillis(0)) else { panic!() };
        let Lookup::Wait(w) = c.lookup(&key(), UnixMillis(1)) else { panic!() };
        c.abandon(ticket);
        assert_eq!(c.poll_wait(&w, UnixMillis(2)), WaitOutcome::Abandoned);
        assert!(matches!(c.lookup(&key(), UnixMillis(3)), Lookup::Fetch(_)));
    }

    #[test]
    fn failed_refresh_keeps_the_token() {
        let mut c = TokenCache::new();
        let Lookup::Fetch(t) = c.lookup(&key(), UnixMillis(0)) else { panic!() };
        c.complete(t, Ok(token("old", 10_000, 600_000)), UnixMillis(0)).unwrap();
        let Lookup::Stale(_, Some(t)) = c.lookup(&key(), UnixMillis(10_000)) else { panic!() };
        assert!(matches!(c.lookup(&key(), UnixMillis(10_001)), Lookup::Stale(_, None)));
        let err = TokenError::new(SourceKind::Imds, ErrorKind::Throttled { retry_after: None });
        assert!(c.complete(t, Err(err), UnixMillis(11_000)).is_err());
        assert!(
            matches!(c.lookup(&key(), UnixMillis(40_999)), Lookup::Stale(ref old, None) if old.secret() == "old")
        );
        assert!(matches!(c.lookup(&key(), UnixMillis(41_000)), Lookup::Stale(_, Some(_))));
    }

    #[test]
    fn peek_serves_what_lookup_would_and_hands_out_nothing() {
        let mut c = TokenCache::new();
        assert!(c.peek(&key(), UnixMillis(0)).is_none(), "a miss");
        let Lookup::Fetch(t) = c.lookup(&key(), UnixMillis(0)) else { panic!() };
        assert!(c.peek(&key(), UnixMillis(1)).is_none(), "a fetch under way, no token yet");
        c.complete(t, Ok(token("t", 10_000, 600_000)), UnixMillis(2)).unwrap();
        assert_eq!(c.peek(&key(), UnixMillis(3)).unwrap().secret(), "t");
        // Due for refresh: still served, and the refresh ticket is left for the next lookup.
        assert_eq!(c.peek(&key(), UnixMillis(10_000)).unwrap().secret(), "t");
        assert!(matches!(c.lookup(&key(), UnixMillis(10_000)), Lookup::Stale(_, Some(_))));
        // In its last 30 s: not served.
        assert!(c.peek(&key(), UnixMillis(570_000)).is_none());
        assert!(c.peek(&key(), UnixMillis(569_999)).is_some());
        c.invalidate(&key());
        assert!(c.peek(&key(), UnixMillis(20_000)).is_none());
    }

    /// What `lookup` said, comparable across two caches (tickets are not `Clone`).
    fn shape(lookup: &Lookup) -> (u8, Option<String>, Option<UnixMillis>) {
        match lookup {
            Lookup::Fresh(t) => (0, Some(t.secret().to_owned()), None),
            Lookup::Stale(t, None) => (1, Some(t.secret().to_owned()), None),
            Lookup::Stale(t, Some(_)) => (2, Some(t.secret().to_owned()), None),
            Lookup::Fetch(_) => (3, None, None),
            Lookup::Wait(w) => (4, None, Some(w.lease_until)),
        }
    }

    proptest! {
        /// Two caches fed the same lookups and completions, one of them peeked before every
        /// lookup: peek never serves a token in its last 30 s, serves exactly when lookup
        /// serves, and never changes what the next lookup answers.
        #[test]
        fn peek_is_pure_and_never_serves_expired(steps in proptest::collection::vec((0u64..5_000, any::<bool>(), 1u64..20_000, any::<bool>()), 1..60)) {
            let (mut plain, mut peeked) = (TokenCache::new(), TokenCache::new());
            let mut now = 0u64;
            let mut tickets: Vec<(FetchTicket, FetchTicket)> = Vec::new();
            for (dt, ok, life, finish) in steps {
                now += dt;
                let at = UnixMillis(now);
                let seen = peeked.peek(&key(), at);
                if let Some(t) = &seen {
                    prop_assert!(now < t.expires_on.0.saturating_sub(30_000));
                }
                let (a, b) = (plain.lookup(&key(), at), peeked.lookup(&key(), at));
                prop_assert_eq!(shape(&a), shape(&b));
                match (&b, &seen) {
                    (Lookup::Fresh(t) | Lookup::Stale(t, _), Some(s)) => {
                        prop_assert_eq!(t.secret(), s.secret())
                    }
                    (Lookup::Fetch(_) | Lookup::Wait(_), None) => {}
                    (other, seen) => prop_assert!(false, "lookup {:?} but peek {:?}", other, seen),
                }
                match (a, b) {
                    (Lookup::Fetch(x), Lookup::Fetch(y))
                    | (Lookup::Stale(_, Some(x)), Lookup::Stale(_, Some(y))) => tickets.push((x, y)),
                    _ => {}
                }
                if finish {
                    if let Some((x, y)) = tickets.pop() {
                        let result = |_| if ok {
                            Ok(token("t", now + life / 2, now + 30_000 + life))
                        } else {
                            Err(TokenError::new(SourceKind::Imds, ErrorKind::Throttled { retry_after: None }))
                        };
                        let _ = plain.complete(x, result(()), at);
                        let _ = peeked.complete(y, result(()), at);
                    }
                }
            }
        }

        /// Whatever the sequence of lookups and completions, no expired token is served and at
        /// most one fetch per key is outstanding.
        #[test]
        fn never_serves_expired_and_one_fetch(steps in proptest::collection::vec((0u64..5_000, any::<bool>(), 1u64..20_000), 1..60)) {
            let mut c = TokenCache::new();
            let mut now = 0u64;
            let mut outstanding: Vec<FetchTicket> = Vec::new();
            for (dt, ok, life) in steps {
                now += dt;
                match c.lookup(&key(), UnixMillis(now)) {
                    Lookup::Fresh(t) | Lookup::Stale(t, None) => {
                        prop_assert!(now < t.expires_on.0.saturating_sub(30_000))
                    }
                    Lookup::Stale(t, Some(ticket)) => {
                        prop_assert!(now < t.expires_on.0.saturating_sub(30_000));
                        outstanding.push(ticket);
                    }
                    Lookup::Fetch(ticket) => outstanding.push(ticket),
                    Lookup::Wait(_) => {}
                }
                prop_assert!(outstanding.len() <= 1 || now >= 120_000);
                if let Some(ticket) = outstanding.pop() {
                    let result = if ok {
                        Ok(token("t", now + life / 2, now + 30_000 + life))
                    } else {
                        Err(TokenError::new(SourceKind::Imds, ErrorKind::Throttled { retry_after: None }))
                    };
                    let _ = c.complete(ticket, result, UnixMillis(now));
                }
            }
        }
    }
}
