//! The `cache` interface: the core's token cache, with its tickets as WIT resources.

use std::cell::RefCell;

use azmi_core as c;
use c::UnixMillis;

use crate::convert;
use crate::w::cache as wc;
use crate::w::types as wt;
use crate::Component;

impl wc::Guest for Component {
    type TokenCache = TokenCache;
    type FetchTicket = FetchTicket;
    type WaitTicket = WaitTicket;
}

/// One `azmi_core::TokenCache`.
pub(crate) struct TokenCache(RefCell<c::TokenCache>);

/// A fetch ticket, taken out when it is handed back.
pub(crate) struct FetchTicket(RefCell<Option<c::FetchTicket>>);

/// A wait ticket.
pub(crate) struct WaitTicket(c::WaitTicket);

impl wc::GuestFetchTicket for FetchTicket {}

impl wc::GuestWaitTicket for WaitTicket {
    fn lease_until(&self) -> u64 {
        self.0.lease_until.0
    }
}

impl wc::GuestTokenCache for TokenCache {
    fn new() -> Self {
        TokenCache(RefCell::new(c::TokenCache::new()))
    }

    fn lookup(&self, key: wc::CacheKey, now: u64) -> Result<wc::Lookup, wt::ConfigError> {
        let key = cache_key(key)?;
        let fetch = |t| wc::FetchTicket::new(FetchTicket(RefCell::new(Some(t))));
        Ok(match self.0.borrow_mut().lookup(&key, UnixMillis(now)) {
            c::Lookup::Fresh(t) => wc::Lookup::Fresh(convert::token_to_wit(&t)),
            c::Lookup::Stale(t, ticket) => wc::Lookup::Stale(wc::Stale {
                token: convert::token_to_wit(&t),
                refresh: ticket.map(fetch),
            }),
            c::Lookup::Fetch(ticket) => wc::Lookup::Fetch(fetch(ticket)),
            c::Lookup::Wait(w) => wc::Lookup::Wait(wc::WaitTicket::new(WaitTicket(w))),
        })
    }

    fn peek(
        &self,
        key: wc::CacheKey,
        now: u64,
    ) -> Result<Option<wt::AccessToken>, wt::ConfigError> {
        let key = cache_key(key)?;
        Ok(self.0.borrow().peek(&key, UnixMillis(now)).as_deref().map(convert::token_to_wit))
    }

    fn complete(
        &self,
        ticket: wc::FetchTicket,
        result: Result<wt::AccessToken, wt::TokenError>,
        now: u64,
    ) -> Result<wt::AccessToken, wt::TokenError> {
        let result = convert::token_result_from_wit(result);
        match ticket.into_inner::<FetchTicket>().0.into_inner() {
            Some(t) => self.0.borrow_mut().complete(t, result, UnixMillis(now)),
            // A ticket is consumed by value, so this is unreachable; answer with the result.
            None => result.map(std::sync::Arc::new),
        }
        .as_deref()
        .map(convert::token_to_wit)
        .map_err(convert::token_error_to_wit)
    }

    fn abandon(&self, ticket: wc::FetchTicket) {
        if let Some(t) = ticket.into_inner::<FetchTicket>().0.into_inner() {
            self.0.borrow_mut().abandon(t);
        }
    }

    fn poll_wait(&self, wait: wc::WaitTicketBorrow<'_>, now: u64) -> wc::WaitOutcome {
        let wait = &wait.get::<WaitTicket>().0;
        match self.0.borrow_mut().poll_wait(wait, UnixMillis(now)) {
            c::WaitOutcome::Pending => wc::WaitOutcome::Pending,
            c::WaitOutcome::Abandoned => wc::WaitOutcome::Abandoned,
            c::WaitOutcome::Ready(r) => wc::WaitOutcome::Ready(
                r.as_deref().map(convert::token_to_wit).map_err(convert::token_error_to_wit),
            ),
        }
    }

    fn invalidate(&self, key: wc::CacheKey) -> Result<(), wt::ConfigError> {
        self.0.borrow_mut().invalidate(&cache_key(key)?);
        Ok(())
    }
}

fn cache_key(key: wc::CacheKey) -> Result<c::CacheKey, wt::ConfigError> {
    Ok(c::CacheKey {
        source: convert::source_from_wit(key.source),
        identity: convert::identity_from_wit(key.identity),
        resource: c::Resource::new(&key.resource).map_err(|e| convert::config_error_to_wit(&e))?,
    })
}
