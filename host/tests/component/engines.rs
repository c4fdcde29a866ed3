//! The flows of each engine behind one interface, and what they show in comparable form, for
//! the vector runner (`vectors`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use azmi_core::wire;
use azmi_core::{
    AccessToken, Action, ArmAction, ArmConfig, ArmError, ArmFlow, ArmOutcome, CacheKey, Cloud,
    Config, ConfigError, Detection, EnvSnapshot, FileFailure, Lookup, Outgoing, RequestId,
    Resource, SourceKind, TokenCache, TokenError, TokenFlow, TransportFailure, UnixMillis,
    WaitOutcome,
};
use azmi_host::component::wit::identity as wi;
use azmi_host::component::{
    ComponentArmFlow, ComponentCache, ComponentError, ComponentFetchTicket, ComponentInstance,
    ComponentLookup, ComponentTokenFlow, ComponentWaitTicket,
};
use serde_json::Value;

use crate::vectors::wit_request;

/// Everything a flow shows its caller, in comparable form.
#[derive(Debug, PartialEq)]
pub(crate) enum Seen {
    Config(ConfigError),
    Detected(Detection),
    Send(Req),
    Wait(UnixMillis),
    ReadFile(RequestId, String, u64),
    Done(Result<Tok, TokenError>),
    Lookup(&'static str, Option<Tok>, Option<UnixMillis>),
    Completed(Result<Tok, TokenError>),
    Waited(Option<Result<Tok, TokenError>>, bool),
    ArmRefused(ArmError),
    NeedToken(Resource, bool),
    Continuation(Option<String>),
    ArmDone(Result<ArmOutcome, ArmError>),
}

/// An `AccessToken` with every field, secret included (its `Debug` hides them).
#[derive(Debug, PartialEq)]
pub(crate) struct Tok {
    pub(crate) secret: String,
    token_type: String,
    expires_on: UnixMillis,
    refresh_on: UnixMillis,
    not_before: Option<UnixMillis>,
    resource: Option<String>,
    raw_response: Option<String>,
}

pub(crate) fn tok(t: &AccessToken) -> Tok {
    Tok {
        secret: t.secret().to_owned(),
        token_type: t.token_type.clone(),
        expires_on: t.expires_on,
        refresh_on: t.refresh_on,
        not_before: t.not_before,
        resource: t.resource.clone(),
        raw_response: t.raw_response().map(str::to_owned),
    }
}

fn waited(outcome: WaitOutcome) -> Seen {
    match outcome {
        WaitOutcome::Pending => Seen::Waited(None, false),
        WaitOutcome::Abandoned => Seen::Waited(None, true),
        WaitOutcome::Ready(r) => Seen::Waited(Some(r.map(|t| tok(&t))), false),
    }
}

/// An `Outgoing` with every field (`http::Request` has no `PartialEq`).
#[derive(Debug, PartialEq)]
pub(crate) struct Req {
    id: RequestId,
    method: String,
    uri: String,
    headers: Vec<(String, Vec<u8>, bool)>,
    body: Vec<u8>,
    timeout: Duration,
    connect_timeout: Duration,
    max_response_bytes: usize,
    tls_pin: Option<String>,
    bypass_proxy: bool,
}

fn req(out: &Outgoing) -> Req {
    let r = &out.request;
    let headers = r.headers().iter();
    Req {
        id: out.id,
        method: r.method().to_string(),
        uri: r.uri().to_string(),
        headers: headers
            .map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec(), v.is_sensitive()))
            .collect(),
        body: r.body().clone(),
        timeout: out.timeout,
        connect_timeout: out.connect_timeout,
        max_response_bytes: out.max_response_bytes,
        tls_pin: out.tls_pin.clone(),
        bypass_proxy: out.bypass_proxy,
    }
}

pub(crate) fn seen_action(action: Action) -> Seen {
    match action {
        Action::Send(out) => Seen::Send(req(&out)),
        Action::WaitUntil(t) => Seen::Wait(t),
        Action::ReadFile { id, path, max_bytes } => Seen::ReadFile(id, path, max_bytes),
        Action::Done(result) => Seen::Done(result.map(|t| tok(&t))),
    }
}

pub(crate) fn seen_arm_action(action: ArmAction) -> Seen {
    match action {
        ArmAction::Send(out) => Seen::Send(req(&out)),
        ArmAction::WaitUntil(t) => Seen::Wait(t),
        ArmAction::NeedToken { resource, refresh } => Seen::NeedToken(resource, refresh),
        ArmAction::Done(result) => Seen::ArmDone(result),
    }
}

/// The flows of one engine, behind one interface (the test's own, not `azmi_host::Engine`).
pub(crate) trait Flows {
    fn detect(&self, forced: Option<SourceKind>, env: &EnvSnapshot) -> Detection;
    fn token_flow(
        &self,
        cfg: &Config,
        env: &EnvSnapshot,
        audience: &wi::Audience,
        now: UnixMillis,
    ) -> Result<Box<dyn TokenFlowApi>, ConfigError>;
    fn cache(&self) -> Box<dyn CacheApi>;
    fn arm_flow(
        &self,
        cfg: &ArmConfig,
        cloud: &Cloud,
        op: &Value,
        now: UnixMillis,
    ) -> Result<Box<dyn ArmFlowApi>, ArmError>;
    fn arm_resume(
        &self,
        cfg: &ArmConfig,
        cloud: &Cloud,
        token: &str,
        now: UnixMillis,
    ) -> Result<Box<dyn ArmFlowApi>, ArmError>;
}

pub(crate) trait TokenFlowApi {
    fn detection(&self) -> Detection;
    fn poll(&mut self, now: UnixMillis) -> Action;
    fn answer(&mut self, id: RequestId, answer: Answer, now: UnixMillis);
    fn file(&mut self, id: RequestId, contents: Result<Vec<u8>, FileFailure>, now: UnixMillis);
    fn env(&mut self, env: &EnvSnapshot);
}

pub(crate) trait ArmFlowApi {
    fn poll(&mut self, now: UnixMillis) -> ArmAction;
    fn answer(&mut self, id: RequestId, answer: Answer, now: UnixMillis);
    fn token(&mut self, token: Result<AccessToken, TokenError>, now: UnixMillis);
    fn continuation(&self) -> Option<String>;
}

/// The cache, with tickets kept by the names the vector gives them.
pub(crate) trait CacheApi {
    fn lookup(&mut self, key: &CacheKey, now: UnixMillis, ticket: Option<&str>) -> Seen;
    fn complete(
        &mut self,
        ticket: &str,
        result: Result<AccessToken, TokenError>,
        now: UnixMillis,
    ) -> Seen;
    fn poll_wait(&mut self, waiter: &str, now: UnixMillis) -> Seen;
}

pub(crate) type Answer = Result<http::Response<Vec<u8>>, TransportFailure>;

// The native core.

pub(crate) struct Native;

impl Flows for Native {
    fn detect(&self, forced: Option<SourceKind>, env: &EnvSnapshot) -> Detection {
        Detection::detect(forced, env)
    }
    fn token_flow(
        &self,
        cfg: &Config,
        env: &EnvSnapshot,
        audience: &wi::Audience,
        now: UnixMillis,
    ) -> Result<Box<dyn TokenFlowApi>, ConfigError> {
        let resource = match audience {
            wi::Audience::Resource(r) => Resource::new(r),
            wi::Audience::Scopes(s) => Resource::from_scopes(s),
        }?;
        Ok(Box::new(TokenFlow::new(cfg, env, &resource, now)?))
    }
    fn cache(&self) -> Box<dyn CacheApi> {
        Box::new(NativeCache {
            cache: TokenCache::new(),
            tickets: BTreeMap::new(),
            waiters: BTreeMap::new(),
        })
    }
    fn arm_flow(
        &self,
        cfg: &ArmConfig,
        cloud: &Cloud,
        op: &Value,
        now: UnixMillis,
    ) -> Result<Box<dyn ArmFlowApi>, ArmError> {
        Ok(Box::new(ArmFlow::new(cfg, cloud, &wire::arm_request(op)?, now)?))
    }
    fn arm_resume(
        &self,
        cfg: &ArmConfig,
        cloud: &Cloud,
        token: &str,
        now: UnixMillis,
    ) -> Result<Box<dyn ArmFlowApi>, ArmError> {
        Ok(Box::new(ArmFlow::resume(cfg, cloud, token, now)?))
    }
}

impl TokenFlowApi for TokenFlow {
    fn detection(&self) -> Detection {
        TokenFlow::detection(self).clone()
    }
    fn poll(&mut self, now: UnixMillis) -> Action {
        TokenFlow::poll(self, now)
    }
    fn answer(&mut self, id: RequestId, answer: Answer, now: UnixMillis) {
        match answer {
            Ok(resp) => self.handle_response(id, resp, now),
            Err(e) => self.handle_transport_error(id, e, now),
        }
    }
    fn file(&mut self, id: RequestId, contents: Result<Vec<u8>, FileFailure>, now: UnixMillis) {
        self.handle_file(id, contents, now)
    }
    fn env(&mut self, env: &EnvSnapshot) {
        self.handle_env(env)
    }
}

impl ArmFlowApi for ArmFlow {
    fn poll(&mut self, now: UnixMillis) -> ArmAction {
        ArmFlow::poll(self, now)
    }
    fn answer(&mut self, id: RequestId, answer: Answer, now: UnixMillis) {
        match answer {
            Ok(resp) => self.handle_response(id, resp, now),
            Err(e) => self.handle_transport_error(id, e, now),
        }
    }
    fn token(&mut self, token: Result<AccessToken, TokenError>, now: UnixMillis) {
        self.handle_token(token, now)
    }
    fn continuation(&self) -> Option<String> {
        self.continuation_token()
    }
}

struct NativeCache {
    cache: TokenCache,
    tickets: BTreeMap<String, azmi_core::FetchTicket>,
    waiters: BTreeMap<String, azmi_core::WaitTicket>,
}

impl CacheApi for NativeCache {
    fn lookup(&mut self, key: &CacheKey, now: UnixMillis, name: Option<&str>) -> Seen {
        let name = name.unwrap_or("-").to_owned();
        match self.cache.lookup(key, now) {
            Lookup::Fresh(t) => Seen::Lookup("fresh", Some(tok(&t)), None),
            Lookup::Stale(t, None) => Seen::Lookup("stale", Some(tok(&t)), None),
            Lookup::Stale(t, Some(ticket)) => {
                self.tickets.insert(name, ticket);
                Seen::Lookup("stale_refresh", Some(tok(&t)), None)
            }
            Lookup::Fetch(ticket) => {
                self.tickets.insert(name, ticket);
                Seen::Lookup("fetch", None, None)
            }
            Lookup::Wait(w) => {
                let lease = w.lease_until;
                self.waiters.insert(name, w);
                Seen::Lookup("wait", None, Some(lease))
            }
        }
    }
    fn complete(
        &mut self,
        ticket: &str,
        result: Result<AccessToken, TokenError>,
        now: UnixMillis,
    ) -> Seen {
        let ticket = self.tickets.remove(ticket).expect("a known ticket");
        Seen::Completed(self.cache.complete(ticket, result, now).map(|t| tok(&t)))
    }
    fn poll_wait(&mut self, waiter: &str, now: UnixMillis) -> Seen {
        waited(self.cache.poll_wait(&self.waiters[waiter], now))
    }
}

// The component.

pub(crate) struct Wasm(pub(crate) Arc<ComponentInstance>);

/// A component failure is a test failure; it names the call.
fn ok<T>(result: Result<T, ComponentError>) -> T {
    result.unwrap_or_else(|e| panic!("the component failed: {e}"))
}

impl Flows for Wasm {
    fn detect(&self, forced: Option<SourceKind>, env: &EnvSnapshot) -> Detection {
        ok(self.0.detect(forced, env))
    }
    fn token_flow(
        &self,
        cfg: &Config,
        env: &EnvSnapshot,
        audience: &wi::Audience,
        now: UnixMillis,
    ) -> Result<Box<dyn TokenFlowApi>, ConfigError> {
        match ComponentTokenFlow::start(&self.0, cfg, env, audience, now) {
            Ok(flow) => Ok(Box::new(flow)),
            Err(ComponentError::Config(e)) => Err(e),
            Err(e) => panic!("the component failed: {e}"),
        }
    }
    fn cache(&self) -> Box<dyn CacheApi> {
        let cache = ok(ComponentCache::new(&self.0));
        Box::new(WasmCache { cache, tickets: BTreeMap::new(), waiters: BTreeMap::new() })
    }
    fn arm_flow(
        &self,
        cfg: &ArmConfig,
        cloud: &Cloud,
        op: &Value,
        now: UnixMillis,
    ) -> Result<Box<dyn ArmFlowApi>, ArmError> {
        match ComponentArmFlow::start(&self.0, cfg, cloud, &wit_request(op), now) {
            Ok(flow) => Ok(Box::new(flow)),
            Err(ComponentError::Arm(e)) => Err(e),
            Err(e) => panic!("the component failed: {e}"),
        }
    }
    fn arm_resume(
        &self,
        cfg: &ArmConfig,
        cloud: &Cloud,
        token: &str,
        now: UnixMillis,
    ) -> Result<Box<dyn ArmFlowApi>, ArmError> {
        match ComponentArmFlow::resume(&self.0, cfg, cloud, token, now) {
            Ok(flow) => Ok(Box::new(flow)),
            Err(ComponentError::Arm(e)) => Err(e),
            Err(e) => panic!("the component failed: {e}"),
        }
    }
}

impl TokenFlowApi for ComponentTokenFlow {
    fn detection(&self) -> Detection {
        ok(ComponentTokenFlow::detection(self))
    }
    fn poll(&mut self, now: UnixMillis) -> Action {
        ok(ComponentTokenFlow::poll(self, now))
    }
    fn answer(&mut self, id: RequestId, answer: Answer, now: UnixMillis) {
        ok(match answer {
            Ok(resp) => self.handle_response(id, &resp, now),
            Err(e) => self.handle_transport_error(id, &e, now),
        })
    }
    fn file(&mut self, id: RequestId, contents: Result<Vec<u8>, FileFailure>, now: UnixMillis) {
        ok(self.handle_file(id, contents, now))
    }
    fn env(&mut self, env: &EnvSnapshot) {
        ok(self.handle_env(env))
    }
}

impl ArmFlowApi for ComponentArmFlow {
    fn poll(&mut self, now: UnixMillis) -> ArmAction {
        ok(ComponentArmFlow::poll(self, now))
    }
    fn answer(&mut self, id: RequestId, answer: Answer, now: UnixMillis) {
        ok(match answer {
            Ok(resp) => self.handle_response(id, &resp, now),
            Err(e) => self.handle_transport_error(id, &e, now),
        })
    }
    fn token(&mut self, token: Result<AccessToken, TokenError>, now: UnixMillis) {
        ok(self.handle_token(&token, now))
    }
    fn continuation(&self) -> Option<String> {
        ok(self.continuation_token())
    }
}

struct WasmCache {
    cache: ComponentCache,
    tickets: BTreeMap<String, ComponentFetchTicket>,
    waiters: BTreeMap<String, ComponentWaitTicket>,
}

impl CacheApi for WasmCache {
    fn lookup(&mut self, key: &CacheKey, now: UnixMillis, name: Option<&str>) -> Seen {
        let name = name.unwrap_or("-").to_owned();
        match ok(self.cache.lookup(key, now)) {
            ComponentLookup::Fresh(t) => Seen::Lookup("fresh", Some(tok(&t)), None),
            ComponentLookup::Stale(t, None) => Seen::Lookup("stale", Some(tok(&t)), None),
            ComponentLookup::Stale(t, Some(ticket)) => {
                self.tickets.insert(name, ticket);
                Seen::Lookup("stale_refresh", Some(tok(&t)), None)
            }
            ComponentLookup::Fetch(ticket) => {
                self.tickets.insert(name, ticket);
                Seen::Lookup("fetch", None, None)
            }
            ComponentLookup::Wait(w) => {
                let lease = w.lease_until;
                self.waiters.insert(name, w);
                Seen::Lookup("wait", None, Some(lease))
            }
        }
    }
    fn complete(
        &mut self,
        ticket: &str,
        result: Result<AccessToken, TokenError>,
        now: UnixMillis,
    ) -> Seen {
        let ticket = self.tickets.remove(ticket).expect("a known ticket");
        let shared = ok(self.cache.complete(ticket, &result, now));
        Seen::Completed(shared.map(|t| tok(&t)))
    }
    fn poll_wait(&mut self, waiter: &str, now: UnixMillis) -> Seen {
        waited(ok(self.cache.poll_wait(&self.waiters[waiter], now)))
    }
}
