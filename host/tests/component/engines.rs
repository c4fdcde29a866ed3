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
    WaitOutcome, WaitReason,
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
    WaitReason(Option<WaitReason>),
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

/// Either engine, behind one interface (the test's own, not `azmi_host::Engine`): each call
/// goes to the native core or to the component, and a failure of the component fails the test.
pub(crate) enum Engine {
    Native,
    Wasm(Arc<ComponentInstance>),
}

/// A token flow of either engine.
pub(crate) enum TokenFlows {
    Native(Box<TokenFlow>),
    Wasm(ComponentTokenFlow),
}

/// An ARM flow of either engine.
pub(crate) enum ArmFlows {
    Native(Box<ArmFlow>),
    Wasm(ComponentArmFlow),
}

/// A cache of either engine, with tickets kept by the names the vector gives them.
pub(crate) enum Caches {
    Native(TokenCache, Named<azmi_core::FetchTicket, azmi_core::WaitTicket>),
    Wasm(ComponentCache, Named<ComponentFetchTicket, ComponentWaitTicket>),
}

pub(crate) type Answer = Result<http::Response<Vec<u8>>, TransportFailure>;

impl Engine {
    pub(crate) fn detect(&self, forced: Option<SourceKind>, env: &EnvSnapshot) -> Detection {
        match self {
            Engine::Native => Detection::detect(forced, env),
            Engine::Wasm(i) => ok(i.detect(forced, env)),
        }
    }

    pub(crate) fn token_flow(
        &self,
        cfg: &Config,
        env: &EnvSnapshot,
        audience: &wi::Audience,
        now: UnixMillis,
    ) -> Result<TokenFlows, ConfigError> {
        Ok(match self {
            Engine::Native => {
                let resource = match audience {
                    wi::Audience::Resource(r) => Resource::new(r),
                    wi::Audience::Scopes(s) => Resource::from_scopes(s),
                }?;
                TokenFlows::Native(Box::new(TokenFlow::new(cfg, env, &resource, now)?))
            }
            Engine::Wasm(i) => {
                let flow = ComponentTokenFlow::start(i, cfg, env, audience, now);
                TokenFlows::Wasm(flow.map_err(config_refused)?)
            }
        })
    }

    pub(crate) fn cache(&self) -> Caches {
        match self {
            Engine::Native => Caches::Native(TokenCache::new(), Named::new()),
            Engine::Wasm(i) => Caches::Wasm(ok(ComponentCache::new(i)), Named::new()),
        }
    }

    pub(crate) fn arm_flow(
        &self,
        cfg: &ArmConfig,
        cloud: &Cloud,
        op: &Value,
        now: UnixMillis,
    ) -> Result<ArmFlows, ArmError> {
        Ok(match self {
            Engine::Native => {
                let flow = ArmFlow::new(cfg, cloud, &wire::arm_request(op)?, now);
                ArmFlows::Native(Box::new(flow?))
            }
            Engine::Wasm(i) => {
                let flow = ComponentArmFlow::start(i, cfg, cloud, &wit_request(op), now);
                ArmFlows::Wasm(flow.map_err(arm_refused)?)
            }
        })
    }

    pub(crate) fn arm_resume(
        &self,
        cfg: &ArmConfig,
        cloud: &Cloud,
        token: &str,
        now: UnixMillis,
    ) -> Result<ArmFlows, ArmError> {
        Ok(match self {
            Engine::Native => ArmFlows::Native(Box::new(ArmFlow::resume(cfg, cloud, token, now)?)),
            Engine::Wasm(i) => {
                let flow = ComponentArmFlow::resume(i, cfg, cloud, token, now);
                ArmFlows::Wasm(flow.map_err(arm_refused)?)
            }
        })
    }
}

impl TokenFlows {
    pub(crate) fn detection(&self) -> Detection {
        match self {
            TokenFlows::Native(f) => f.detection().clone(),
            TokenFlows::Wasm(f) => ok(f.detection()),
        }
    }

    pub(crate) fn poll(&mut self, now: UnixMillis) -> Action {
        match self {
            TokenFlows::Native(f) => f.poll(now),
            TokenFlows::Wasm(f) => ok(f.poll(now)),
        }
    }

    pub(crate) fn wait_reason(&self) -> Option<WaitReason> {
        match self {
            TokenFlows::Native(f) => f.wait_reason().cloned(),
            TokenFlows::Wasm(f) => ok(f.wait_reason()),
        }
    }

    pub(crate) fn answer(&mut self, id: RequestId, answer: Answer, now: UnixMillis) {
        match (self, answer) {
            (TokenFlows::Native(f), Ok(resp)) => f.handle_response(id, resp, now),
            (TokenFlows::Native(f), Err(e)) => f.handle_transport_error(id, e, now),
            (TokenFlows::Wasm(f), Ok(resp)) => ok(f.handle_response(id, &resp, now)),
            (TokenFlows::Wasm(f), Err(e)) => ok(f.handle_transport_error(id, &e, now)),
        }
    }

    pub(crate) fn file(
        &mut self,
        id: RequestId,
        contents: Result<Vec<u8>, FileFailure>,
        now: UnixMillis,
    ) {
        match self {
            TokenFlows::Native(f) => f.handle_file(id, contents, now),
            TokenFlows::Wasm(f) => ok(f.handle_file(id, contents, now)),
        }
    }

    pub(crate) fn env(&mut self, env: &EnvSnapshot) {
        match self {
            TokenFlows::Native(f) => f.handle_env(env),
            TokenFlows::Wasm(f) => ok(f.handle_env(env)),
        }
    }
}

impl ArmFlows {
    pub(crate) fn poll(&mut self, now: UnixMillis) -> ArmAction {
        match self {
            ArmFlows::Native(f) => f.poll(now),
            ArmFlows::Wasm(f) => ok(f.poll(now)),
        }
    }

    pub(crate) fn wait_reason(&self) -> Option<WaitReason> {
        match self {
            ArmFlows::Native(f) => f.wait_reason().cloned(),
            ArmFlows::Wasm(f) => ok(f.wait_reason()),
        }
    }

    pub(crate) fn answer(&mut self, id: RequestId, answer: Answer, now: UnixMillis) {
        match (self, answer) {
            (ArmFlows::Native(f), Ok(resp)) => f.handle_response(id, resp, now),
            (ArmFlows::Native(f), Err(e)) => f.handle_transport_error(id, e, now),
            (ArmFlows::Wasm(f), Ok(resp)) => ok(f.handle_response(id, &resp, now)),
            (ArmFlows::Wasm(f), Err(e)) => ok(f.handle_transport_error(id, &e, now)),
        }
    }

    pub(crate) fn token(&mut self, token: Result<AccessToken, TokenError>, now: UnixMillis) {
        match self {
            ArmFlows::Native(f) => f.handle_token(token, now),
            ArmFlows::Wasm(f) => ok(f.handle_token(&token, now)),
        }
    }

    pub(crate) fn continuation(&self) -> Option<String> {
        match self {
            ArmFlows::Native(f) => f.continuation_token(),
            ArmFlows::Wasm(f) => ok(f.continuation_token()),
        }
    }
}

/// The tickets a cache handed out, by the names the vector gives them.
pub(crate) struct Named<F, W> {
    tickets: BTreeMap<String, F>,
    waiters: BTreeMap<String, W>,
}

impl<F, W> Named<F, W> {
    fn new() -> Self {
        Named { tickets: BTreeMap::new(), waiters: BTreeMap::new() }
    }

    fn take(&mut self, name: &str) -> F {
        self.tickets.remove(name).expect("a known ticket")
    }

    fn ticket(&mut self, name: &str, ticket: F) {
        self.tickets.insert(name.to_owned(), ticket);
    }

    fn wait(&mut self, name: &str, wait: W, lease: UnixMillis) -> Seen {
        self.waiters.insert(name.to_owned(), wait);
        Seen::Lookup("wait", None, Some(lease))
    }
}

/// What a lookup shows, its tickets kept under `name`. `Lookup` and `ComponentLookup` have the
/// same variants with other ticket types: one body serves both.
macro_rules! seen_lookup {
    ($kind:ident, $lookup:expr, $named:expr, $name:expr) => {{
        let name = $name.unwrap_or("-");
        match $lookup {
            $kind::Fresh(t) => Seen::Lookup("fresh", Some(tok(&t)), None),
            $kind::Stale(t, None) => Seen::Lookup("stale", Some(tok(&t)), None),
            $kind::Stale(t, Some(ticket)) => {
                $named.ticket(name, ticket);
                Seen::Lookup("stale_refresh", Some(tok(&t)), None)
            }
            $kind::Fetch(ticket) => {
                $named.ticket(name, ticket);
                Seen::Lookup("fetch", None, None)
            }
            $kind::Wait(w) => {
                let lease = w.lease_until;
                $named.wait(name, w, lease)
            }
        }
    }};
}

impl Caches {
    pub(crate) fn lookup(&mut self, key: &CacheKey, now: UnixMillis, name: Option<&str>) -> Seen {
        match self {
            Caches::Native(c, named) => seen_lookup!(Lookup, c.lookup(key, now), named, name),
            Caches::Wasm(c, named) => {
                seen_lookup!(ComponentLookup, ok(c.lookup(key, now)), named, name)
            }
        }
    }

    pub(crate) fn complete(
        &mut self,
        ticket: &str,
        result: Result<AccessToken, TokenError>,
        now: UnixMillis,
    ) -> Seen {
        let shared = match self {
            Caches::Native(c, named) => c.complete(named.take(ticket), result, now),
            Caches::Wasm(c, named) => ok(c.complete(named.take(ticket), &result, now)),
        };
        Seen::Completed(shared.map(|t| tok(&t)))
    }

    pub(crate) fn poll_wait(&mut self, waiter: &str, now: UnixMillis) -> Seen {
        waited(match self {
            Caches::Native(c, named) => c.poll_wait(&named.waiters[waiter], now),
            Caches::Wasm(c, named) => ok(c.poll_wait(&named.waiters[waiter], now)),
        })
    }
}

/// A component failure is a test failure; it names the call.
fn ok<T>(result: Result<T, ComponentError>) -> T {
    result.unwrap_or_else(|e| panic!("the component failed: {e}"))
}

/// The core's refusal to start a flow, which the component passes on; any other failure of the
/// component fails the test.
fn config_refused(e: ComponentError) -> ConfigError {
    match e {
        ComponentError::Config(e) => e,
        e => panic!("the component failed: {e}"),
    }
}

fn arm_refused(e: ComponentError) -> ArmError {
    match e {
        ComponentError::Arm(e) => e,
        e => panic!("the component failed: {e}"),
    }
}
