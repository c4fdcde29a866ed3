//! The component's flows with the core's API: the same calls, the core's types in and out, and
//! `ComponentError` for what only a component can do (trap, be restarted).

use std::sync::Arc;

use azmi_core::{
    AccessToken, Action, ArmAction, ArmConfig, CacheKey, Cloud, Config, ConfigError, Detection,
    EnvSnapshot, FileFailure, RequestId, TokenError, TransportFailure, UnixMillis, WaitOutcome,
    WaitReason,
};
use wasmtime::component::ResourceAny;

use super::convert;
use super::runtime::ComponentInstance;
use super::wit::{arm as wa, cache as wc, identity as wi};
use super::ComponentError;

/// A guest resource and the store generation it lives in; dropped in the guest with it.
#[derive(Debug)]
struct Handle {
    instance: Arc<ComponentInstance>,
    resource: ResourceAny,
    generation: u64,
    /// Handed to the guest by value (a completed ticket): the guest owns it now.
    moved: bool,
}

impl Handle {
    fn call<R>(
        &self,
        call: &'static str,
        f: impl FnOnce(
            &mut wasmtime::Store<wasmtime::StoreLimits>,
            &super::bindings::Engine,
            ResourceAny,
        ) -> wasmtime::Result<R>,
    ) -> Result<R, ComponentError> {
        let resource = self.resource;
        self.instance.call(Some(self.generation), call, |s, b| f(s, b, resource)).map(|(r, _)| r)
    }
}

impl Handle {
    fn new(instance: &Arc<ComponentInstance>, resource: ResourceAny, generation: u64) -> Self {
        Handle { instance: Arc::clone(instance), resource, generation, moved: false }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        if !self.moved {
            self.instance.drop_resource(self.generation, self.resource);
        }
    }
}

fn invalid(what: &'static str) -> impl FnOnce(String) -> ComponentError {
    move |problem| ComponentError::Invalid { what, problem }
}

impl ComponentInstance {
    /// The identity for optional selectors (`Identity::from_selectors`).
    pub fn identity_from_selectors(
        &self,
        client_id: Option<&str>,
        object_id: Option<&str>,
        resource_id: Option<&str>,
    ) -> Result<azmi_core::Identity, ComponentError> {
        let selectors = wi::Selectors {
            client_id: client_id.map(str::to_owned),
            object_id: object_id.map(str::to_owned),
            resource_id: resource_id.map(str::to_owned),
        };
        let (result, _) = self.call(None, "identity-from-selectors", |s, b| {
            b.azmi_identity_identity().call_identity_from_selectors(s, &selectors)
        })?;
        result.map(convert::identity_from_wit).map_err(|e| config(e).into())
    }

    /// The environment variables the core reads (`azmi_core::VARIABLES`).
    pub fn variables(&self) -> Result<Vec<String>, ComponentError> {
        let (names, _) =
            self.call(None, "variables", |s, b| b.azmi_identity_identity().call_variables(s))?;
        Ok(names)
    }

    /// The core's default configuration (`Config::default`), as the component has it.
    pub fn default_config(&self) -> Result<Config, ComponentError> {
        let (cfg, _) = self.call(None, "default-config", |s, b| {
            b.azmi_identity_identity().call_default_config(s)
        })?;
        Ok(convert::config_from_wit(cfg))
    }

    /// Which source applies (`Detection::detect`).
    pub fn detect(
        &self,
        forced: Option<azmi_core::SourceKind>,
        env: &EnvSnapshot,
    ) -> Result<Detection, ComponentError> {
        let (forced, env) = (forced.map(convert::source_to_wit), convert::env_to_wit(env));
        let (d, _) = self
            .call(None, "detect", |s, b| b.azmi_identity_identity().call_detect(s, forced, &env))?;
        Ok(convert::detection_from_wit(d))
    }
}

fn config(e: super::wit::types::ConfigError) -> ConfigError {
    convert::config_error_from_wit(e)
}

/// `handle_response` and `handle_transport_error`, the same in every flow but for the guest's
/// resource they call (`$guest`, reached from the bindings `$b`) and the names of the calls.
macro_rules! answers {
    ($name:literal, |$b:ident| $guest:expr) => {
        /// The response to request `id`.
        pub fn handle_response(
            &mut self,
            id: RequestId,
            resp: &http::Response<Vec<u8>>,
            now: UnixMillis,
        ) -> Result<(), ComponentError> {
            let resp = convert::response_to_wit(resp);
            self.0.call(concat!($name, ".handle-response"), |s, $b, r| {
                $guest.call_handle_response(s, r, id.0, &resp, now.0)
            })
        }

        /// Request `id` got no response.
        pub fn handle_transport_error(
            &mut self,
            id: RequestId,
            err: &TransportFailure,
            now: UnixMillis,
        ) -> Result<(), ComponentError> {
            let err = convert::transport_to_wit(err);
            self.0.call(concat!($name, ".handle-transport-error"), |s, $b, r| {
                $guest.call_handle_transport_error(s, r, id.0, &err, now.0)
            })
        }
    };
}

/// `azmi_core::TokenFlow` in the component.
#[derive(Debug)]
pub struct ComponentTokenFlow(Handle);

impl ComponentTokenFlow {
    /// Starts a token request (`TokenFlow::new`); `audience` is a resource or scopes, checked by
    /// the core in the component.
    pub fn start(
        instance: &Arc<ComponentInstance>,
        cfg: &Config,
        env: &EnvSnapshot,
        audience: &wi::Audience,
        now: UnixMillis,
    ) -> Result<Self, ComponentError> {
        let (cfg, env) = (convert::config_to_wit(cfg), convert::env_to_wit(env));
        let (result, generation) = instance.call(None, "token-flow.start", |s, b| {
            b.azmi_identity_identity().token_flow().call_start(s, &cfg, &env, audience, now.0)
        })?;
        let resource = result.map_err(config)?;
        Ok(ComponentTokenFlow(Handle::new(instance, resource, generation)))
    }

    /// The source this flow uses.
    pub fn detection(&self) -> Result<Detection, ComponentError> {
        let d = self.0.call("token-flow.detection", |s, b, r| {
            b.azmi_identity_identity().token_flow().call_detection(s, r)
        })?;
        Ok(convert::detection_from_wit(d))
    }

    /// What to do next (`TokenFlow::poll`).
    pub fn poll(&mut self, now: UnixMillis) -> Result<Action, ComponentError> {
        let action = self.0.call("token-flow.poll", |s, b, r| {
            b.azmi_identity_identity().token_flow().call_poll(s, r, now.0)
        })?;
        convert::action_from_wit(action).map_err(invalid("action"))
    }

    /// Why the flow waits (`TokenFlow::wait_reason`).
    pub fn wait_reason(&self) -> Result<Option<WaitReason>, ComponentError> {
        let reason = self.0.call("token-flow.wait-reason", |s, b, r| {
            b.azmi_identity_identity().token_flow().call_wait_reason(s, r)
        })?;
        Ok(reason.map(convert::wait_reason_from_wit))
    }

    answers!("token-flow", |b| b.azmi_identity_identity().token_flow());

    /// The contents of file read `id`, or why there are none.
    pub fn handle_file(
        &mut self,
        id: RequestId,
        contents: Result<Vec<u8>, FileFailure>,
        now: UnixMillis,
    ) -> Result<(), ComponentError> {
        let contents = contents.map_err(|e| convert::file_to_wit(&e));
        self.0.call("token-flow.handle-file", |s, b, r| {
            b.azmi_identity_identity().token_flow().call_handle_file(
                s,
                r,
                id.0,
                contents.as_deref(),
                now.0,
            )
        })
    }

    /// A fresh environment snapshot (a rotated secret header).
    pub fn handle_env(&mut self, env: &EnvSnapshot) -> Result<(), ComponentError> {
        let env = convert::env_to_wit(env);
        self.0.call("token-flow.handle-env", |s, b, r| {
            b.azmi_identity_identity().token_flow().call_handle_env(s, r, &env)
        })
    }
}

/// `azmi_core::ArmFlow` in the component.
#[derive(Debug)]
pub struct ComponentArmFlow(Handle);

impl ComponentArmFlow {
    /// Starts an ARM operation (`ArmFlow::new`).
    pub fn start(
        instance: &Arc<ComponentInstance>,
        cfg: &ArmConfig,
        cloud: &Cloud,
        request: &wa::ArmRequest,
        now: UnixMillis,
    ) -> Result<Self, ComponentError> {
        Self::open(instance, "arm-flow.start", cfg, cloud, |s, b, cfg, cloud| {
            b.azmi_identity_arm().arm_flow().call_start(s, cfg, cloud, request, now.0)
        })
    }

    /// Goes on polling a long-running operation (`ArmFlow::resume`).
    pub fn resume(
        instance: &Arc<ComponentInstance>,
        cfg: &ArmConfig,
        cloud: &Cloud,
        continuation: &str,
        now: UnixMillis,
    ) -> Result<Self, ComponentError> {
        Self::open(instance, "arm-flow.resume", cfg, cloud, |s, b, cfg, cloud| {
            b.azmi_identity_arm().arm_flow().call_resume(s, cfg, cloud, continuation, now.0)
        })
    }

    /// A flow made in the guest by `open` (start or resume), from `cfg` and `cloud` as the guest
    /// has them.
    fn open(
        instance: &Arc<ComponentInstance>,
        call: &'static str,
        cfg: &ArmConfig,
        cloud: &Cloud,
        open: impl FnOnce(
            &mut wasmtime::Store<wasmtime::StoreLimits>,
            &super::bindings::Engine,
            wa::ArmConfig,
            &wa::Cloud,
        ) -> wasmtime::Result<Result<ResourceAny, wa::ArmError>>,
    ) -> Result<Self, ComponentError> {
        let (cfg, cloud) = (convert::arm_config_to_wit(cfg), convert::cloud_to_wit(cloud));
        let (result, generation) = instance.call(None, call, |s, b| open(s, b, cfg, &cloud))?;
        let resource = result.map_err(convert::arm_error_from_wit)?;
        Ok(ComponentArmFlow(Handle::new(instance, resource, generation)))
    }

    /// A token to resume polling elsewhere, while a long-running operation is polled.
    pub fn continuation_token(&self) -> Result<Option<String>, ComponentError> {
        self.0.call("arm-flow.continuation-token", |s, b, r| {
            b.azmi_identity_arm().arm_flow().call_continuation_token(s, r)
        })
    }

    /// What to do next (`ArmFlow::poll`).
    pub fn poll(&mut self, now: UnixMillis) -> Result<ArmAction, ComponentError> {
        let action = self.0.call("arm-flow.poll", |s, b, r| {
            b.azmi_identity_arm().arm_flow().call_poll(s, r, now.0)
        })?;
        convert::arm_action_from_wit(action).map_err(invalid("ARM action"))
    }

    /// Why the flow waits (`ArmFlow::wait_reason`).
    pub fn wait_reason(&self) -> Result<Option<WaitReason>, ComponentError> {
        let reason = self.0.call("arm-flow.wait-reason", |s, b, r| {
            b.azmi_identity_arm().arm_flow().call_wait_reason(s, r)
        })?;
        Ok(reason.map(convert::wait_reason_from_wit))
    }

    /// The token asked for by `NeedToken`, or why there is none.
    pub fn handle_token(
        &mut self,
        token: &Result<AccessToken, TokenError>,
        now: UnixMillis,
    ) -> Result<(), ComponentError> {
        let token = convert::token_result_to_wit(token);
        self.0.call("arm-flow.handle-token", |s, b, r| {
            b.azmi_identity_arm().arm_flow().call_handle_token(s, r, token.as_ref(), now.0)
        })
    }

    answers!("arm-flow", |b| b.azmi_identity_arm().arm_flow());
}

/// `azmi_core::TokenCache` in the component. Not thread-safe by itself, like the core's.
#[derive(Debug)]
pub struct ComponentCache(Handle);

/// The right to fetch: hand it to [`ComponentCache::complete`] or [`ComponentCache::abandon`].
#[derive(Debug)]
#[must_use]
pub struct ComponentFetchTicket(Handle);

/// A place in line behind another caller's fetch.
#[derive(Debug)]
pub struct ComponentWaitTicket {
    handle: Handle,
    /// When the fetch's lease runs out; poll again by then at the latest.
    pub lease_until: UnixMillis,
}

/// What [`ComponentCache::lookup`] tells a caller (`azmi_core::Lookup`).
#[derive(Debug)]
#[must_use]
pub enum ComponentLookup {
    /// Use this token.
    Fresh(Arc<AccessToken>),
    /// Use this still-valid token; with a ticket, this caller also refreshes it.
    Stale(Arc<AccessToken>, Option<ComponentFetchTicket>),
    /// No usable token: fetch one and complete the ticket.
    Fetch(ComponentFetchTicket),
    /// Another caller is fetching: wait for it.
    Wait(ComponentWaitTicket),
}

impl ComponentCache {
    /// An empty cache in `instance`.
    pub fn new(instance: &Arc<ComponentInstance>) -> Result<Self, ComponentError> {
        let (resource, generation) = instance.call(None, "token-cache.constructor", |s, b| {
            b.azmi_identity_cache().token_cache().call_constructor(s)
        })?;
        Ok(ComponentCache(Handle::new(instance, resource, generation)))
    }

    /// The store generation this cache lives in.
    pub fn generation(&self) -> u64 {
        self.0.generation
    }

    /// What the caller asking for `key` at `now` should do.
    pub fn lookup(
        &mut self,
        key: &CacheKey,
        now: UnixMillis,
    ) -> Result<ComponentLookup, ComponentError> {
        let key = cache_key(key);
        let lookup = self.0.call("token-cache.lookup", |s, b, r| {
            b.azmi_identity_cache().token_cache().call_lookup(s, r, &key, now.0)
        })?;
        let lookup = lookup.map_err(config)?;
        let ticket = |resource| self.ticket(resource);
        let token = |t| Arc::new(convert::token_from_wit(t));
        Ok(match lookup {
            wc::Lookup::Fresh(t) => ComponentLookup::Fresh(token(t)),
            wc::Lookup::Stale(s) => ComponentLookup::Stale(token(s.token), s.refresh.map(ticket)),
            wc::Lookup::Fetch(t) => ComponentLookup::Fetch(ticket(t)),
            wc::Lookup::Wait(w) => self.wait_ticket(w)?,
        })
    }

    /// The token that may be served for `key` at `now`, without a ticket (`TokenCache::peek`).
    pub fn peek(
        &self,
        key: &CacheKey,
        now: UnixMillis,
    ) -> Result<Option<Arc<AccessToken>>, ComponentError> {
        let key = cache_key(key);
        let token = self.0.call("token-cache.peek", |s, b, r| {
            b.azmi_identity_cache().token_cache().call_peek(s, r, &key, now.0)
        })?;
        Ok(token.map_err(config)?.map(|t| Arc::new(convert::token_from_wit(t))))
    }

    /// Ends the fetch of `ticket` with its result, which is returned for the fetcher.
    pub fn complete(
        &mut self,
        ticket: ComponentFetchTicket,
        result: &Result<AccessToken, TokenError>,
        now: UnixMillis,
    ) -> Result<Result<Arc<AccessToken>, TokenError>, ComponentError> {
        let result = convert::token_result_to_wit(result);
        let ticket = self.take(ticket)?;
        let shared = self.0.call("token-cache.complete", |s, b, r| {
            b.azmi_identity_cache().token_cache().call_complete(
                s,
                r,
                ticket,
                result.as_ref(),
                now.0,
            )
        })?;
        Ok(convert::token_result_from_wit(shared).map(Arc::new))
    }

    /// Gives `ticket` back unfetched.
    pub fn abandon(&mut self, ticket: ComponentFetchTicket) -> Result<(), ComponentError> {
        let ticket = self.take(ticket)?;
        self.0.call("token-cache.abandon", |s, b, r| {
            b.azmi_identity_cache().token_cache().call_abandon(s, r, ticket)
        })
    }

    /// Where the fetch `wait` waits for stands.
    pub fn poll_wait(
        &mut self,
        wait: &ComponentWaitTicket,
        now: UnixMillis,
    ) -> Result<WaitOutcome, ComponentError> {
        self.same_store(&wait.handle)?;
        let w = wait.handle.resource;
        let outcome = self.0.call("token-cache.poll-wait", |s, b, r| {
            b.azmi_identity_cache().token_cache().call_poll_wait(s, r, w, now.0)
        })?;
        Ok(match outcome {
            wc::WaitOutcome::Pending => WaitOutcome::Pending,
            wc::WaitOutcome::Abandoned => WaitOutcome::Abandoned,
            wc::WaitOutcome::Ready(r) => {
                WaitOutcome::Ready(convert::token_result_from_wit(r).map(Arc::new))
            }
        })
    }

    /// Forgets the token for `key`.
    pub fn invalidate(&mut self, key: &CacheKey) -> Result<(), ComponentError> {
        let key = cache_key(key);
        let result = self.0.call("token-cache.invalidate", |s, b, r| {
            b.azmi_identity_cache().token_cache().call_invalidate(s, r, &key)
        })?;
        result.map_err(|e| config(e).into())
    }

    fn ticket(&self, resource: ResourceAny) -> ComponentFetchTicket {
        ComponentFetchTicket(self.sibling(resource))
    }

    fn wait_ticket(&self, resource: ResourceAny) -> Result<ComponentLookup, ComponentError> {
        let lease = self.0.call("wait-ticket.lease-until", |s, b, _| {
            b.azmi_identity_cache().wait_ticket().call_lease_until(s, resource)
        });
        let handle = self.sibling(resource);
        Ok(ComponentLookup::Wait(ComponentWaitTicket { handle, lease_until: UnixMillis(lease?) }))
    }

    fn sibling(&self, resource: ResourceAny) -> Handle {
        Handle::new(&self.0.instance, resource, self.0.generation)
    }

    /// The ticket's resource, handed over by value (the guest consumes it).
    fn take(&self, mut ticket: ComponentFetchTicket) -> Result<ResourceAny, ComponentError> {
        self.same_store(&ticket.0)?;
        ticket.0.moved = true;
        Ok(ticket.0.resource)
    }

    fn same_store(&self, handle: &Handle) -> Result<(), ComponentError> {
        if Arc::ptr_eq(&handle.instance, &self.0.instance) && handle.generation == self.0.generation
        {
            Ok(())
        } else {
            Err(ComponentError::Restarted)
        }
    }
}

fn cache_key(key: &CacheKey) -> wc::CacheKey {
    wc::CacheKey {
        source: convert::source_to_wit(key.source),
        identity: convert::identity_to_wit(&key.identity),
        resource: key.resource.as_str().to_owned(),
    }
}
