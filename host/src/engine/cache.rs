//! The token cache of either engine, with the core's `TokenCache` API. The credential keeps it
//! behind its one lock and runs the single-flight loop over it.

use std::sync::Arc;

use azmi_core::{
    AccessToken, CacheKey, ErrorKind, FetchTicket, Lookup, TokenCache, TokenError, UnixMillis,
    WaitOutcome, WaitTicket,
};

/// The cache of one credential.
#[derive(Debug)]
pub(crate) enum EngineCache {
    Native(TokenCache),
    #[cfg(feature = "component")]
    Component(crate::component::CacheSlot),
}

/// The right and duty to fetch, from the cache that handed it out.
#[derive(Debug)]
pub(crate) enum Ticket {
    Native(FetchTicket),
    #[cfg(feature = "component")]
    Component(crate::component::ComponentFetchTicket),
}

/// A place in line behind another caller's fetch.
#[derive(Debug)]
pub(crate) enum WaitFor {
    Native(WaitTicket),
    #[cfg(feature = "component")]
    Component(crate::component::ComponentWaitTicket),
}

/// What a lookup tells a caller to do (`azmi_core::Lookup`, for either engine).
#[derive(Debug)]
pub(crate) enum Found {
    Fresh(Arc<AccessToken>),
    Stale(Arc<AccessToken>, Option<Ticket>),
    Fetch(Ticket),
    Wait(WaitFor),
}

impl From<Lookup> for Found {
    fn from(lookup: Lookup) -> Self {
        match lookup {
            Lookup::Fresh(t) => Found::Fresh(t),
            Lookup::Stale(t, ticket) => Found::Stale(t, ticket.map(Ticket::Native)),
            Lookup::Fetch(ticket) => Found::Fetch(Ticket::Native(ticket)),
            Lookup::Wait(wait) => Found::Wait(WaitFor::Native(wait)),
        }
    }
}

impl WaitFor {
    /// When the fetch's lease runs out; poll again by then at the latest.
    pub(crate) fn lease_until(&self) -> UnixMillis {
        match self {
            WaitFor::Native(w) => w.lease_until,
            #[cfg(feature = "component")]
            WaitFor::Component(w) => w.lease_until,
        }
    }
}

impl EngineCache {
    /// What the caller asking for `key` should do; an engine failure is an `Engine` error.
    pub(crate) fn lookup(&mut self, key: &CacheKey, now: UnixMillis) -> Result<Found, TokenError> {
        match self {
            EngineCache::Native(c) => Ok(c.lookup(key, now).into()),
            #[cfg(feature = "component")]
            EngineCache::Component(c) => c.lookup(key, now),
        }
    }

    /// The token that may be served now, without a ticket (`TokenCache::peek`); `None` also
    /// when the engine failed (the next lookup reports it).
    pub(crate) fn peek(&mut self, key: &CacheKey, now: UnixMillis) -> Option<Arc<AccessToken>> {
        match self {
            EngineCache::Native(c) => c.peek(key, now),
            #[cfg(feature = "component")]
            EngineCache::Component(c) => c.peek(key, now),
        }
    }

    /// Ends the fetch of `ticket` with its result, returned (shared) for the fetcher. A failure
    /// of the engine is not the endpoint's answer: the ticket goes back unshared, so waiters
    /// look up again (and fetch themselves) instead of taking it as theirs.
    pub(crate) fn complete(
        &mut self,
        ticket: Ticket,
        result: Result<AccessToken, TokenError>,
        now: UnixMillis,
    ) -> Result<Arc<AccessToken>, TokenError> {
        if let Err(e @ TokenError { kind: ErrorKind::Engine { .. }, .. }) = result {
            self.abandon(ticket);
            return Err(e);
        }
        match (self, ticket) {
            (EngineCache::Native(c), Ticket::Native(t)) => c.complete(t, result, now),
            #[cfg(feature = "component")]
            (EngineCache::Component(c), Ticket::Component(t)) => c.complete(t, result, now),
            #[cfg(feature = "component")]
            (_, ticket) => {
                // Never: a credential keeps one cache. Dropping the ticket ends with its lease.
                tracing::error!(?ticket, "a fetch ticket from another engine's cache");
                result.map(Arc::new)
            }
        }
    }

    /// Gives `ticket` back unfetched: waiters are told `Abandoned`.
    pub(crate) fn abandon(&mut self, ticket: Ticket) {
        match (self, ticket) {
            (EngineCache::Native(c), Ticket::Native(t)) => c.abandon(t),
            #[cfg(feature = "component")]
            (EngineCache::Component(c), Ticket::Component(t)) => c.abandon(t),
            #[cfg(feature = "component")]
            (_, ticket) => tracing::error!(?ticket, "a fetch ticket from another engine's cache"),
        }
    }

    /// Where the fetch `wait` waits for stands; `Abandoned` when the engine lost it (a
    /// restarted component), so the waiter looks up again.
    pub(crate) fn poll_wait(&mut self, wait: &WaitFor, now: UnixMillis) -> WaitOutcome {
        match (self, wait) {
            (EngineCache::Native(c), WaitFor::Native(w)) => c.poll_wait(w, now),
            #[cfg(feature = "component")]
            (EngineCache::Component(c), WaitFor::Component(w)) => c.poll_wait(w, now),
            #[cfg(feature = "component")]
            _ => WaitOutcome::Abandoned,
        }
    }

    /// Forgets the token for `key`: the next lookup fetches.
    pub(crate) fn invalidate(&mut self, key: &CacheKey) {
        match self {
            EngineCache::Native(c) => c.invalidate(key),
            #[cfg(feature = "component")]
            EngineCache::Component(c) => c.invalidate(key),
        }
    }
}
