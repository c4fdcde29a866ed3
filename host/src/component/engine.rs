//! The component as an engine of the one credential and ARM client (`crate::engine`): its cache,
//! its token and ARM flows with the core's API, and every failure of the component turned into
//! the core's error types (kind `Engine`).

use std::sync::Arc;

use azmi_core::{
    AccessToken, Action, ArmAction, ArmError, CacheKey, FileFailure, RequestId, SourceKind,
    TokenError, UnixMillis, WaitOutcome, WaitReason,
};

use super::flows::{
    ComponentArmFlow, ComponentCache, ComponentFetchTicket, ComponentLookup, ComponentWaitTicket,
};
use super::runtime::ComponentInstance;
use super::{ComponentError, ComponentTokenFlow};
use crate::drive::{Answer, ArmSteps, TokenSteps};
use crate::engine::cache::{Found, Ticket, WaitFor};

/// A credential's cache in the component. The cache lives in the instance's store; a trap
/// replaces the store, and with it the cache, so the slot makes a new one when the instance's
/// generation moves on.
#[derive(Debug)]
pub(crate) struct CacheSlot {
    instance: Arc<ComponentInstance>,
    /// The credential's source, for the errors of this cache.
    source: SourceKind,
    cache: Option<ComponentCache>,
}

impl CacheSlot {
    pub(crate) fn new(instance: Arc<ComponentInstance>, source: SourceKind) -> Self {
        CacheSlot { instance, source, cache: None }
    }

    /// The cache of the instance's current store, made on first use and after a trap.
    fn current(&mut self) -> Result<&mut ComponentCache, ComponentError> {
        let generation = self.instance.generation();
        if self.cache.as_ref().is_none_or(|c| c.generation() != generation) {
            self.cache = None;
            self.cache = Some(ComponentCache::new(&self.instance)?);
        }
        Ok(self.cache.as_mut().expect("set above"))
    }

    fn failed(&self, e: ComponentError) -> TokenError {
        e.into_token_error(self.source)
    }

    pub(crate) fn lookup(&mut self, key: &CacheKey, now: UnixMillis) -> Result<Found, TokenError> {
        let found = self.current().and_then(|c| c.lookup(key, now));
        Ok(match found.map_err(|e| self.failed(e))? {
            ComponentLookup::Fresh(t) => Found::Fresh(t),
            ComponentLookup::Stale(t, ticket) => Found::Stale(t, ticket.map(Ticket::Component)),
            ComponentLookup::Fetch(ticket) => Found::Fetch(Ticket::Component(ticket)),
            ComponentLookup::Wait(wait) => Found::Wait(WaitFor::Component(wait)),
        })
    }

    pub(crate) fn peek(&mut self, key: &CacheKey, now: UnixMillis) -> Option<Arc<AccessToken>> {
        self.current().and_then(|c| c.peek(key, now)).ok().flatten()
    }

    pub(crate) fn complete(
        &mut self,
        ticket: ComponentFetchTicket,
        result: Result<AccessToken, TokenError>,
        now: UnixMillis,
    ) -> Result<Arc<AccessToken>, TokenError> {
        match self.current().and_then(|c| c.complete(ticket, &result, now)) {
            Ok(shared) => shared,
            // The store that handed out the ticket is gone (restarted, or trapped just now),
            // and its waiters are told `Abandoned` by the next one: the fetcher keeps what it
            // fetched, which the cache's failure does not make any less valid.
            Err(e) => {
                tracing::warn!(error = %e, "the component lost a completed fetch");
                result.map(Arc::new)
            }
        }
    }

    pub(crate) fn abandon(&mut self, ticket: ComponentFetchTicket) {
        if let Err(e) = self.current().and_then(|c| c.abandon(ticket)) {
            // Restarted: the ticket died with its store, and its waiters are told `Abandoned`.
            tracing::debug!(error = %e, "giving a ticket back to the component");
        }
    }

    pub(crate) fn poll_wait(&mut self, wait: &ComponentWaitTicket, now: UnixMillis) -> WaitOutcome {
        // A failure (the store was replaced) means the fetch is lost: look up again.
        self.current().and_then(|c| c.poll_wait(wait, now)).unwrap_or(WaitOutcome::Abandoned)
    }

    pub(crate) fn invalidate(&mut self, key: &CacheKey) {
        if let Err(e) = self.current().and_then(|c| c.invalidate(key)) {
            // A trap took the whole cache, this token included.
            tracing::debug!(error = %e, "invalidating in the component");
        }
    }
}

/// A token flow in the component, failures labelled with the credential's source.
pub(crate) struct ComponentTokenSteps {
    pub(crate) flow: ComponentTokenFlow,
    pub(crate) source: SourceKind,
}

impl TokenSteps for ComponentTokenSteps {
    fn poll(&mut self, now: UnixMillis) -> Result<Action, TokenError> {
        self.flow.poll(now).map_err(|e| e.into_token_error(self.source))
    }

    fn wait_reason(&self) -> Option<WaitReason> {
        // Only logs and progress use it: a failed call leaves the reason out, and the next
        // `poll` reports the failure itself.
        self.flow.wait_reason().unwrap_or_else(|e| {
            tracing::debug!(error = %e, "no wait reason from the component");
            None
        })
    }

    fn answer(&mut self, id: RequestId, answer: Answer, now: UnixMillis) -> Result<(), TokenError> {
        let result = match answer {
            Ok(resp) => self.flow.handle_response(id, &resp, now),
            Err(e) => self.flow.handle_transport_error(id, &e, now),
        };
        result.map_err(|e| e.into_token_error(self.source))
    }

    fn file(
        &mut self,
        id: RequestId,
        contents: Result<Vec<u8>, FileFailure>,
        now: UnixMillis,
    ) -> Result<(), TokenError> {
        let result = self.flow.handle_file(id, contents, now);
        result.map_err(|e| e.into_token_error(self.source))
    }
}

impl ArmSteps for ComponentArmFlow {
    fn poll(&mut self, now: UnixMillis) -> Result<ArmAction, ArmError> {
        ComponentArmFlow::poll(self, now).map_err(ComponentError::into_arm_error)
    }

    fn wait_reason(&self) -> Option<WaitReason> {
        // As for token flows: a failed call leaves the reason out; `poll` reports it.
        ComponentArmFlow::wait_reason(self).unwrap_or_else(|e| {
            tracing::debug!(error = %e, "no wait reason from the component");
            None
        })
    }

    fn answer(&mut self, id: RequestId, answer: Answer, now: UnixMillis) -> Result<(), ArmError> {
        let result = match answer {
            Ok(resp) => self.handle_response(id, &resp, now),
            Err(e) => self.handle_transport_error(id, &e, now),
        };
        result.map_err(ComponentError::into_arm_error)
    }

    fn token(
        &mut self,
        token: Result<AccessToken, TokenError>,
        now: UnixMillis,
    ) -> Result<(), ArmError> {
        self.handle_token(&token, now).map_err(ComponentError::into_arm_error)
    }
}
