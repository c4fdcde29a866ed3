//! Short-lived tokens in the cache (issue 13 item 8): a token that arrives with 30 s or less to
//! live is never the cache's own, but callers share it through `Wait` instead of each fetching.

use azmi_core::{
    AccessToken, CacheKey, ErrorKind, FetchTicket, Identity, Lookup, Resource, SourceKind,
    TokenCache, TokenError, UnixMillis, WaitOutcome,
};
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

/// Issue 13 item 8: a burst of 100 callers, four at a time (a thread pool), against an
/// endpoint whose tokens have 30 s to live, makes one request; every caller gets that token.
#[test]
fn a_burst_shares_one_short_lived_token() {
    let mut c = TokenCache::new();
    let mut requests = 0;
    let mut now = 1_000_000;
    for _round in 0..25 {
        let mut tickets = Vec::new();
        let mut waits = Vec::new();
        for _ in 0..4 {
            match c.lookup(&key(), UnixMillis(now)) {
                Lookup::Fetch(t) => tickets.push(t),
                Lookup::Wait(w) => waits.push(w),
                other => panic!("a 30 s token is never the cache's own: {other:?}"),
            }
        }
        now += 50;
        for t in tickets {
            requests += 1;
            c.complete(t, Ok(token("short", now + 15_000, now + 30_000)), UnixMillis(now)).unwrap();
        }
        for w in waits {
            let WaitOutcome::Ready(Ok(t)) = c.poll_wait(&w, UnixMillis(now)) else { panic!() };
            assert!(now < t.expires_on.0);
        }
    }
    assert_eq!(requests, 1);
}

proptest! {
    /// Issue 13 item 8: with lifetimes from 1 ms to 60 s (short ones shared through `Wait`),
    /// no caller ever gets an expired token, by lookup or by a wait polled at any later time,
    /// and the cache's own tokens still keep their last 30 s.
    #[test]
    fn short_lifetimes_never_serve_expired(steps in proptest::collection::vec((0u64..5_000, any::<bool>(), 1u64..60_000, 0u64..40_000), 1..60)) {
        let mut c = TokenCache::new();
        let mut now = 0u64;
        let mut outstanding: Option<FetchTicket> = None;
        for (dt, ok, life, poll_later) in steps {
            now += dt;
            match c.lookup(&key(), UnixMillis(now)) {
                Lookup::Fresh(t) | Lookup::Stale(t, None) => {
                    prop_assert!(now < t.expires_on.0.saturating_sub(30_000))
                }
                Lookup::Stale(t, Some(ticket)) => {
                    prop_assert!(now < t.expires_on.0.saturating_sub(30_000));
                    prop_assert!(outstanding.replace(ticket).is_none() || now >= 120_000);
                }
                Lookup::Fetch(ticket) => {
                    prop_assert!(outstanding.replace(ticket).is_none() || now >= 120_000)
                }
                Lookup::Wait(w) => {
                    let at = now + poll_later;
                    if let WaitOutcome::Ready(Ok(t)) = c.poll_wait(&w, UnixMillis(at)) {
                        prop_assert!(at < t.expires_on.0, "expired token handed to a waiter");
                    }
                }
            }
            if let Some(ticket) = outstanding.take() {
                let result = if ok {
                    Ok(token("t", now + life / 2, now + life))
                } else {
                    Err(TokenError::new(SourceKind::Imds, ErrorKind::Throttled { retry_after: None }))
                };
                let _ = c.complete(ticket, result, UnixMillis(now));
            }
        }
    }

}
