//! The WebAssembly component (`component/azmi.wasm`, built by `scripts/build-component`):
//! it imports nothing and validates; every shared vector runs through it and through the native
//! core with identical results, step by step; a trap fails its call clearly and the next call
//! works on a fresh store; and `ComponentCredential` / `ComponentArmClient` get a token and list
//! subscriptions and resource groups from the emulator on 127.0.0.1.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use azmi_core::wire;
use azmi_core::{
    AccessToken, Action, ArmAction, ArmConfig, ArmError, ArmFlow, ArmOutcome, CacheKey, Cloud,
    Config, ConfigError, Detection, EnvSnapshot, FileFailure, Identity, Lookup, Outgoing,
    RequestId, Resource, SourceKind, TokenCache, TokenError, TokenFlow, TransportFailure,
    UnixMillis, WaitOutcome,
};
use azmi_emulator::{Emulator, EmulatorConfig};
use azmi_host::component::wit::{arm as wa, identity as wi};
use azmi_host::component::{
    ComponentArmClient, ComponentArmFlow, ComponentCache, ComponentCredential, ComponentError,
    ComponentInstance, ComponentLookup, ComponentRuntime, ComponentTokenFlow, FetchTicket,
    WaitTicket,
};
use azmi_host::{EnvSource, Transport};
use results::{cache_token, error_with_code};
use serde_json::Value;

#[path = "../../core/tests/support/results.rs"]
mod results;

const DEFAULT_START: u64 = 1_700_000_000_000;
const ARM: &str = "https://management.azure.com/";

fn runtime() -> Arc<ComponentRuntime> {
    ComponentRuntime::shared().unwrap_or_else(|e| panic!("{e}"))
}

fn instance() -> Arc<ComponentInstance> {
    runtime().instantiate().expect("the component instantiates")
}

// ---------------------------------------------------------------------------------------------
// The component itself

#[test]
fn the_component_imports_nothing_and_validates() {
    let path = azmi_host::component::default_component_path();
    let bytes = std::fs::read(&path).expect("the component was built");
    // Compiling from the bytes, without the on-disk cache, runs wasmtime's full validation.
    let fresh = ComponentRuntime::compile_uncached(&bytes).expect("the component validates");
    assert_eq!(fresh.imports(), Vec::<String>::new(), "the component must import nothing");
    let exports = fresh.exports();
    for name in ["types", "identity", "cache", "arm"] {
        let export = format!("azmi:identity/{name}@0.1.0");
        assert!(exports.contains(&export), "{export} missing from {exports:?}");
    }
    assert_eq!(exports.len(), 4, "{exports:?}");
    // The shared, cached runtime loads the same component.
    assert_eq!(runtime().size(), bytes.len());
    assert!(bytes.len() <= 1 << 20, "component is {} bytes, goal ≤ 1 MiB", bytes.len());
    // Not a core module: the component-model layer.
    assert_eq!(&bytes[4..8], &[0x0d, 0x00, 0x01, 0x00], "a component's version/layer header");
}

#[test]
fn the_precompiled_artefact_is_cached_on_disk_by_hash() {
    let dir = tempdir("precompiled");
    let bytes = std::fs::read(azmi_host::component::default_component_path()).unwrap();
    let first = ComponentRuntime::from_bytes_cached_in(&bytes, &dir).unwrap();
    let files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1, "one artefact: {files:?}");
    let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.ends_with(".cwasm") && name.len() > 64, "keyed by the SHA-256: {name}");
    let modified = std::fs::metadata(&files[0]).unwrap().modified().unwrap();
    // A second load reuses it (no rewrite), and the instance works.
    let second = ComponentRuntime::from_bytes_cached_in(&bytes, &dir).unwrap();
    assert_eq!(std::fs::metadata(&files[0]).unwrap().modified().unwrap(), modified);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    let variables = Arc::new(second).instantiate().unwrap().variables().unwrap();
    assert!(variables.iter().any(|v| v == "IDENTITY_ENDPOINT"), "{variables:?}");
    // A corrupt artefact is recompiled, not trusted.
    std::fs::write(&files[0], b"not a compiled component").unwrap();
    let third = ComponentRuntime::from_bytes_cached_in(&bytes, &dir).unwrap();
    assert!(Arc::new(third).instantiate().is_ok());
    assert!(std::fs::read(&files[0]).unwrap().len() > 1000, "rewritten");
    drop(first);
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempdir(what: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("azmi-component-{what}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

// ---------------------------------------------------------------------------------------------
// Traps

/// A 4 MiB linear memory cannot take an 8 MiB response: the guest's allocator fails, which
/// traps. The call fails with a clear error, the flow is gone, and the next flow works.
#[test]
fn a_trap_fails_that_call_and_the_next_call_uses_a_fresh_store() {
    let instance = runtime().instantiate_with_memory_limit(4 << 20).unwrap();
    assert_eq!(instance.generation(), 0);
    let env = EnvSnapshot::from_vars([("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9")]);
    let audience = wi::Audience::Resource(ARM.to_owned());
    let now = UnixMillis(DEFAULT_START);
    let cfg = Config::default();
    let mut flow = ComponentTokenFlow::start(&instance, &cfg, &env, &audience, now).unwrap();
    let Action::Send(out) = flow.poll(now).unwrap() else { panic!("expected Send") };
    let huge = http::Response::new(vec![b'x'; 8 << 20]);
    let err = flow.handle_response(out.id, &huge, now).unwrap_err();
    let ComponentError::Trap { call, message } = &err else { panic!("expected a trap: {err:?}") };
    assert_eq!(*call, "token-flow.handle-response");
    assert!(!message.is_empty());
    let text = err.to_string();
    assert!(text.contains("trapped in token-flow.handle-response"), "{text}");
    assert!(text.contains("fresh instance"), "{text}");
    assert_eq!(err.code(), "component_trap");
    assert_eq!(instance.generation(), 1, "the store was replaced");
    // The flow died with its store, and says so.
    let err = flow.poll(now).unwrap_err();
    assert_eq!(err, ComponentError::Restarted);
    assert!(err.to_string().contains("start the request again"), "{err}");
    drop(flow);
    // The next call, on the fresh store, works: a whole flow to a token.
    let mut flow = ComponentTokenFlow::start(&instance, &cfg, &env, &audience, now).unwrap();
    let Action::Send(out) = flow.poll(now).unwrap() else { panic!("expected Send") };
    let body = format!(r#"{{"access_token":"t1","expires_in":3600,"resource":"{ARM}"}}"#);
    flow.handle_response(out.id, &http::Response::new(body.into_bytes()), now).unwrap();
    let Action::Done(Ok(token)) = flow.poll(now).unwrap() else { panic!("expected a token") };
    assert_eq!(token.secret(), "t1");
    assert_eq!(instance.generation(), 1);
}

/// The credential rebuilds its cache in the fresh store after a trap and goes on serving.
#[test]
fn a_credential_keeps_working_after_its_instance_trapped() {
    let emu = emulator();
    let instance = runtime().instantiate_with_memory_limit(4 << 20).unwrap();
    let cred = credential_on(&emu, Arc::clone(&instance));
    let resource = Resource::new(ARM).unwrap();
    let first = cred.get_token_for(&resource).unwrap();
    // Trap the shared instance through another flow.
    let env = EnvSnapshot::from_vars(emu.env_for("imds"));
    let audience = wi::Audience::Resource(ARM.to_owned());
    let now = azmi_host::now();
    let mut flow =
        ComponentTokenFlow::start(&instance, &Config::default(), &env, &audience, now).unwrap();
    let Action::Send(out) = flow.poll(now).unwrap() else { panic!("expected Send") };
    let err = flow.handle_response(out.id, &http::Response::new(vec![0; 8 << 20]), now);
    assert!(matches!(err, Err(ComponentError::Trap { .. })), "{err:?}");
    // The cache died with the store: the next call fetches again, through the fresh store.
    let second = cred.get_token_for(&resource).unwrap();
    assert!(!second.secret().is_empty());
    assert_eq!(requests_to(&emu, "imds"), 2);
    let third = cred.get_token_for(&resource).unwrap();
    assert_eq!(third.secret(), second.secret(), "cached again");
    assert_eq!(requests_to(&emu, "imds"), 2);
    drop(first);
}

/// A fetch that ends in a component failure (here: its flow died with a store replaced by
/// another caller's trap) releases the callers waiting for it at once; they must not sleep out
/// the fetch's 120 s lease. Bounded: a waiter that is not back within 30 s was never woken.
#[test]
fn a_failed_fetch_in_the_component_wakes_its_waiters() {
    let emu = emulator();
    emu.inject("imds", vec![azmi_emulator::Fault::Latency(Duration::from_millis(2000))]);
    let instance = runtime().instantiate_with_memory_limit(4 << 20).unwrap();
    let cred = credential_on(&emu, Arc::clone(&instance));
    let resource = Resource::new(ARM).unwrap();
    // The fetcher: its request is held by the emulator for 2 s.
    let (fetcher, waiter) = (cred.clone(), cred.clone());
    let (r1, r2) = (resource.clone(), resource.clone());
    let fetch = std::thread::spawn(move || fetcher.get_token_for(&r1));
    std::thread::sleep(Duration::from_millis(300));
    // The waiter: the same key, behind the fetch.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(waiter.get_token_for(&r2));
    });
    std::thread::sleep(Duration::from_millis(300));
    // Another flow traps the shared instance while the fetch is under way: the fetch's flow
    // dies with the old store.
    let env = EnvSnapshot::from_vars(emu.env_for("imds"));
    let audience = wi::Audience::Resource(ARM.to_owned());
    let now = azmi_host::now();
    let mut flow =
        ComponentTokenFlow::start(&instance, &Config::default(), &env, &audience, now).unwrap();
    let Action::Send(out) = flow.poll(now).unwrap() else { panic!("expected Send") };
    let err = flow.handle_response(out.id, &http::Response::new(vec![0; 8 << 20]), now);
    assert!(matches!(err, Err(ComponentError::Trap { .. })), "{err:?}");
    drop(flow);
    let fetched = fetch.join().unwrap();
    assert_eq!(fetched.unwrap_err(), ComponentError::Restarted);
    // The waiter is woken, looks up again in the fresh store and fetches there.
    let waited = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the waiter was not woken when the fetch it waited for failed");
    assert!(!waited.unwrap().secret().is_empty());
    assert_eq!(requests_to(&emu, "imds"), 2);
}

// ---------------------------------------------------------------------------------------------
// The emulator end to end

fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig::default()).expect("emulator starts on loopback")
}

fn requests_to(emu: &Emulator, endpoint: &str) -> usize {
    emu.requests().iter().filter(|r| r.endpoint == endpoint).count()
}

fn credential_on(emu: &Emulator, instance: Arc<ComponentInstance>) -> ComponentCredential {
    let vars = emu.env_for("imds");
    for (name, value) in &vars {
        if name.ends_with("HOST") || name.ends_with("ENDPOINT") {
            assert!(value.contains("127.0.0.1"), "{name}={value} must point at loopback");
        }
    }
    let env = EnvSource::Fixed(EnvSnapshot::from_vars(vars));
    ComponentCredential::with_instance(Config::default(), env, instance, Arc::new(Transport::new()))
        .unwrap()
}

#[test]
fn a_token_from_the_emulator_through_the_component() {
    let emu = emulator();
    let cred = credential_on(&emu, instance());
    assert_eq!(cred.detection().source, SourceKind::Imds);
    let token = cred.get_token(&["https://management.azure.com/.default"]).unwrap();
    assert_eq!(token.token_type, "Bearer");
    // The scope without `/.default`, as the endpoint echoes it.
    assert_eq!(token.resource.as_deref(), Some("https://management.azure.com"));
    assert!(token.expires_on.0 > azmi_host::now().0);
    assert_eq!(token.secret().split('.').count(), 3, "a JWT");
    // Cached in the component: no second request.
    let again = cred.get_token(&["https://management.azure.com/.default"]).unwrap();
    assert_eq!(again.secret(), token.secret());
    assert_eq!(requests_to(&emu, "imds"), 1);
    // The native credential agrees on the source and on what it sends.
    let native = azmi_host::ManagedIdentityCredential::with_env(
        Config::default(),
        EnvSource::Fixed(EnvSnapshot::from_vars(emu.env_for("imds"))),
    );
    assert_eq!(native.detection(), cred.detection());
    // Errors are the core's: two scopes is a config error, before any request.
    let err = cred.get_token(&["a/.default", "b/.default"]).unwrap_err();
    assert_eq!(err.code(), "config");
    assert_eq!(requests_to(&emu, "imds"), 1);
}

#[test]
fn concurrent_callers_share_one_fetch_in_the_component() {
    let emu = emulator();
    let cred = credential_on(&emu, instance());
    let resource = Resource::new(ARM).unwrap();
    let tokens: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| s.spawn(|| cred.get_token_for(&resource).unwrap().secret().to_owned()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(tokens.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(requests_to(&emu, "imds"), 1);
}

#[test]
fn arm_subscriptions_and_resource_groups_through_the_component() {
    let emu = emulator();
    let cred = credential_on(&emu, instance());
    let cloud = Cloud::custom(&emu.arm_endpoint(), ARM).unwrap();
    let mut cfg = ArmConfig::default();
    cfg.deadline = Duration::from_secs(60);
    let arm = ComponentArmClient::new(cred.clone(), cloud.clone()).with_config(cfg.clone());
    let subs = arm.list_subscriptions().unwrap();
    assert!(!subs.is_empty());
    let sub = subs[0]["subscriptionId"].as_str().unwrap().to_owned();
    let groups = arm.list_resource_groups(&sub).unwrap();
    // The native client sees the same lists.
    let native_cred = azmi_host::ManagedIdentityCredential::with_env(
        Config::default(),
        EnvSource::Fixed(EnvSnapshot::from_vars(emu.env_for("imds"))),
    );
    let native = azmi_host::ArmClient::new(native_cred, cloud).with_config(cfg);
    assert_eq!(native.list_subscriptions().unwrap(), subs);
    assert_eq!(native.list_resource_groups(&sub).unwrap(), groups);
    // Create, list, delete (a long-running operation polled by the component), list again.
    let created = arm.create_resource_group(&sub, "azmi-component-rg", "westeurope", None).unwrap();
    assert_eq!(created["name"], "azmi-component-rg");
    assert_eq!(arm.list_resource_groups(&sub).unwrap().len(), groups.len() + 1);
    let mut waits = 0;
    arm.delete_resource_group(&sub, "azmi-component-rg", |_| waits += 1).unwrap();
    assert!(waits >= 1, "the delete was polled");
    assert_eq!(arm.list_resource_groups(&sub).unwrap().len(), groups.len());
    // ARM's errors come back as the core's.
    let err = arm.list_resource_groups("not a subscription").unwrap_err();
    assert_eq!(err.code(), "config", "{err}");
    // One token served the component's whole conversation (the native client fetched its own).
    assert_eq!(requests_to(&emu, "imds"), 2);
}

// ---------------------------------------------------------------------------------------------
// Every shared vector, through the native core and through the component

/// Everything a flow shows its caller, in comparable form.
#[derive(Debug, PartialEq)]
enum Seen {
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
struct Tok {
    secret: String,
    token_type: String,
    expires_on: UnixMillis,
    refresh_on: UnixMillis,
    not_before: Option<UnixMillis>,
    resource: Option<String>,
    raw_response: Option<String>,
}

fn tok(t: &AccessToken) -> Tok {
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
struct Req {
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

fn seen_action(action: Action) -> Seen {
    match action {
        Action::Send(out) => Seen::Send(req(&out)),
        Action::WaitUntil(t) => Seen::Wait(t),
        Action::ReadFile { id, path, max_bytes } => Seen::ReadFile(id, path, max_bytes),
        Action::Done(result) => Seen::Done(result.map(|t| tok(&t))),
    }
}

fn seen_arm_action(action: ArmAction) -> Seen {
    match action {
        ArmAction::Send(out) => Seen::Send(req(&out)),
        ArmAction::WaitUntil(t) => Seen::Wait(t),
        ArmAction::NeedToken { resource, refresh } => Seen::NeedToken(resource, refresh),
        ArmAction::Done(result) => Seen::ArmDone(result),
    }
}

/// The flows of one engine, behind one interface.
trait Engine {
    fn identity(
        &self,
        c: Option<&str>,
        o: Option<&str>,
        r: Option<&str>,
    ) -> Result<Identity, ConfigError>;
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

trait TokenFlowApi {
    fn detection(&self) -> Detection;
    fn poll(&mut self, now: UnixMillis) -> Action;
    fn answer(&mut self, id: RequestId, answer: Answer, now: UnixMillis);
    fn file(&mut self, id: RequestId, contents: Result<Vec<u8>, FileFailure>, now: UnixMillis);
    fn env(&mut self, env: &EnvSnapshot);
}

trait ArmFlowApi {
    fn poll(&mut self, now: UnixMillis) -> ArmAction;
    fn answer(&mut self, id: RequestId, answer: Answer, now: UnixMillis);
    fn token(&mut self, token: Result<AccessToken, TokenError>, now: UnixMillis);
    fn continuation(&self) -> Option<String>;
}

/// The cache, with tickets kept by the names the vector gives them.
trait CacheApi {
    fn lookup(&mut self, key: &CacheKey, now: UnixMillis, ticket: Option<&str>) -> Seen;
    fn complete(
        &mut self,
        ticket: &str,
        result: Result<AccessToken, TokenError>,
        now: UnixMillis,
    ) -> Seen;
    fn poll_wait(&mut self, waiter: &str, now: UnixMillis) -> Seen;
}

type Answer = Result<http::Response<Vec<u8>>, TransportFailure>;

// The native core.

struct Native;

impl Engine for Native {
    fn identity(
        &self,
        c: Option<&str>,
        o: Option<&str>,
        r: Option<&str>,
    ) -> Result<Identity, ConfigError> {
        Identity::from_selectors(c, o, r)
    }
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

struct Wasm(Arc<ComponentInstance>);

/// A component failure is a test failure; it names the call.
fn ok<T>(result: Result<T, ComponentError>) -> T {
    result.unwrap_or_else(|e| panic!("the component failed: {e}"))
}

impl Engine for Wasm {
    fn identity(
        &self,
        c: Option<&str>,
        o: Option<&str>,
        r: Option<&str>,
    ) -> Result<Identity, ConfigError> {
        match self.0.identity_from_selectors(c, o, r) {
            Err(ComponentError::Config(e)) => Err(e),
            other => Ok(ok(other)),
        }
    }
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
    tickets: BTreeMap<String, FetchTicket>,
    waiters: BTreeMap<String, WaitTicket>,
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

#[test]
fn every_shared_vector_gives_identical_results_through_the_component() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let wasm = Wasm(instance());
    let mut failures = Vec::new();
    let mut steps = 0;
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let case: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        let native = run(&Native, &case);
        let component = run(&wasm, &case);
        match (native, component) {
            (Ok(n), Ok(c)) if n == c => match check_outcome(&case, &c) {
                Ok(()) => steps += c.len(),
                Err(e) => failures.push(format!("{name}: {e}")),
            },
            (Ok(n), Ok(c)) => {
                let at = n.iter().zip(&c).position(|(a, b)| a != b).unwrap_or(n.len().min(c.len()));
                failures.push(format!(
                    "{name}: differs at step {at}: native {:?} / component {:?}",
                    n.get(at),
                    c.get(at)
                ));
            }
            (n, c) => {
                failures.push(format!("{name}: runner failed: native {n:?} / component {c:?}"))
            }
        }
    }
    println!(
        "{} vectors through the component, {} failed; {steps} observations identical to the native core",
        files.len(),
        failures.len()
    );
    assert!(files.len() >= 60, "expected at least 60 vectors, found {}", files.len());
    assert!(failures.is_empty(), "{} vectors differ:\n{}", failures.len(), failures.join("\n"));
}

/// Runs one vector through `engine`, recording everything the engine shows.
fn run(engine: &dyn Engine, case: &Value) -> Result<Vec<Seen>, String> {
    match case["kind"].as_str() {
        Some("flow") => run_flow(engine, case),
        Some("detect") => run_detect(engine, case),
        Some("cache") => run_cache(engine, case),
        Some("arm") => run_arm(engine, case),
        other => Err(format!("unknown kind {other:?}")),
    }
}

fn config(engine: &dyn Engine, case: &Value) -> Result<Config, ConfigError> {
    let c = &case["config"];
    let mut cfg = Config::default();
    let ms = |name: &str| c[name].as_u64().map(Duration::from_millis);
    cfg.source = c["source"].as_str().and_then(SourceKind::from_name);
    if let Some(port) = c["legacy_port"].as_u64() {
        cfg.legacy_port = port as u16;
    }
    cfg.deadline = ms("deadline_ms");
    cfg.attempt_timeout = ms("attempt_timeout_ms").unwrap_or(cfg.attempt_timeout);
    cfg.retry.max_retries = c["max_retries"].as_u64().map_or(cfg.retry.max_retries, |n| n as u32);
    cfg.retry.initial_delay = ms("initial_delay_ms").unwrap_or(cfg.retry.initial_delay);
    cfg.retry.max_delay = ms("max_delay_ms").unwrap_or(cfg.retry.max_delay);
    cfg.retry.jitter = c["jitter"].as_f64().unwrap_or(cfg.retry.jitter);
    cfg.retry.seed = c["seed"].as_u64().unwrap_or(cfg.retry.seed);
    let s = |name: &str| c[name].as_str();
    cfg.identity = engine.identity(s("client_id"), s("object_id"), s("resource_id"))?;
    Ok(cfg)
}

fn audience(case: &Value) -> wi::Audience {
    match (&case["config"]["resource"], &case["config"]["scopes"]) {
        (Value::String(r), _) => wi::Audience::Resource(r.clone()),
        (_, Value::Array(s)) => {
            wi::Audience::Scopes(s.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        }
        _ => wi::Audience::Scopes(Vec::new()),
    }
}

fn env(case: &Value) -> EnvSnapshot {
    wire::env(&case["env"], case["arc_agent_installed"] == true)
}

fn start(case: &Value) -> UnixMillis {
    UnixMillis(case["start_ms"].as_u64().unwrap_or(DEFAULT_START))
}

fn run_flow(engine: &dyn Engine, case: &Value) -> Result<Vec<Seen>, String> {
    let mut seen = Vec::new();
    let mut now = start(case);
    let flow = config(engine, case)
        .and_then(|cfg| engine.token_flow(&cfg, &env(case), &audience(case), now));
    let mut flow = match flow {
        Ok(flow) => flow,
        Err(e) => return Ok(vec![Seen::Config(e)]),
    };
    seen.push(Seen::Detected(flow.detection()));
    for (i, step) in case["steps"].as_array().into_iter().flatten().enumerate() {
        if let Some(vars) = step.get("env") {
            flow.env(&wire::env(vars, false));
            continue;
        }
        if let Some(ms) = step["advance_ms"].as_u64() {
            now = now.plus(Duration::from_millis(ms));
            continue;
        }
        let action = flow.poll(now);
        match (&action, step) {
            (Action::Send(out), _) if step.get("send").is_some() => {
                let id = out.id;
                now = now.plus(Duration::from_millis(step["elapsed_ms"].as_u64().unwrap_or(0)));
                flow.answer(id, answer(step)?, now);
            }
            (Action::WaitUntil(until), _) if step.get("wait_ms").is_some() => now = *until,
            (Action::ReadFile { id, .. }, _) if step.get("read_file").is_some() => {
                let contents = match (step["file"].as_str(), step["file_error"].as_str()) {
                    (Some(text), _) => Ok(text.as_bytes().to_vec()),
                    (None, Some(e)) => Err(wire::file_failure(e)),
                    _ => return Err(format!("step {i}: read_file without file or file_error")),
                };
                flow.file(*id, contents, now);
            }
            _ => return Err(format!("step {i}: {step} met {action:?}")),
        }
        seen.push(seen_action(action));
    }
    seen.push(seen_action(flow.poll(now)));
    Ok(seen)
}

fn run_detect(engine: &dyn Engine, case: &Value) -> Result<Vec<Seen>, String> {
    let cfg = match config(engine, case) {
        Ok(cfg) => cfg,
        Err(e) => return Ok(vec![Seen::Config(e)]),
    };
    let env = env(case);
    let mut seen = vec![Seen::Detected(engine.detect(cfg.source, &env))];
    // What a flow decides on top (a forced source missing its variables is a config error).
    let audience = wi::Audience::Resource(ARM.to_owned());
    match engine.token_flow(&cfg, &env, &audience, UnixMillis(DEFAULT_START)) {
        Ok(flow) => seen.push(Seen::Detected(flow.detection())),
        Err(e) => seen.push(Seen::Config(e)),
    }
    Ok(seen)
}

fn run_cache(engine: &dyn Engine, case: &Value) -> Result<Vec<Seen>, String> {
    let start = case["start_ms"].as_u64().unwrap_or(DEFAULT_START);
    let mut keys = BTreeMap::new();
    for (name, k) in case["keys"].as_object().into_iter().flatten() {
        let source = k["source"].as_str().and_then(SourceKind::from_name).ok_or("key source")?;
        let s = |f: &str| k[f].as_str();
        let identity = Identity::from_selectors(s("client_id"), s("object_id"), s("resource_id"))
            .map_err(|e| e.to_string())?;
        let resource = Resource::new(s("resource").unwrap_or("")).map_err(|e| e.to_string())?;
        keys.insert(name.clone(), CacheKey { source, identity, resource });
    }
    let mut cache = engine.cache();
    let mut seen = Vec::new();
    for op in case["ops"].as_array().into_iter().flatten() {
        let now = UnixMillis(start + op["at_ms"].as_u64().unwrap_or(0));
        if let Some(k) = op["lookup"].as_str() {
            let name = op["ticket"].as_str().or(op["waiter"].as_str());
            seen.push(cache.lookup(&keys[k], now, name));
        } else if let Some(t) = op["complete"].as_str() {
            let result = match (&op["token"], op["error"].as_str()) {
                (Value::Object(tok), _) => Ok(cache_token(tok, start, now)),
                (_, Some(code)) => Err(error_with_code(code)),
                _ => return Err(format!("complete without token or error: {op}")),
            };
            seen.push(cache.complete(t, result, now));
        } else if let Some(w) = op["poll_wait"].as_str() {
            seen.push(cache.poll_wait(w, now));
        } else {
            return Err(format!("unknown op {op}"));
        }
    }
    Ok(seen)
}

fn run_arm(engine: &dyn Engine, case: &Value) -> Result<Vec<Seen>, String> {
    let c = &case["config"];
    let mut cfg = ArmConfig::default();
    let ms = |name: &str| c[name].as_u64().map(Duration::from_millis);
    cfg.deadline = ms("deadline_ms").unwrap_or(cfg.deadline);
    cfg.attempt_timeout = ms("attempt_timeout_ms").unwrap_or(cfg.attempt_timeout);
    cfg.lro_poll_delay = ms("lro_poll_delay_ms").unwrap_or(cfg.lro_poll_delay);
    cfg.retry.initial_delay = ms("initial_delay_ms").unwrap_or(cfg.retry.initial_delay);
    cfg.retry.max_delay = ms("max_delay_ms").unwrap_or(cfg.retry.max_delay);
    cfg.retry.max_retries = c["max_retries"].as_u64().map_or(cfg.retry.max_retries, |n| n as u32);
    cfg.retry.jitter = c["jitter"].as_f64().unwrap_or(cfg.retry.jitter);
    cfg.retry.seed = c["seed"].as_u64().unwrap_or(cfg.retry.seed);
    let cloud = match &case["cloud"] {
        Value::Null => Cloud::public(),
        Value::String(name) => Cloud::from_name(name).ok_or(format!("unknown cloud {name}"))?,
        custom => {
            let endpoint = custom["arm_endpoint"].as_str().unwrap_or_default();
            match Cloud::custom(endpoint, custom["resource"].as_str().unwrap_or_default()) {
                Ok(cloud) => cloud,
                Err(e) => return Ok(vec![Seen::ArmRefused(e)]),
            }
        }
    };
    let mut now = start(case);
    let flow = match case["resume"].as_str() {
        Some(token) => engine.arm_resume(&cfg, &cloud, token, now),
        None => engine.arm_flow(&cfg, &cloud, &case["operation"], now),
    };
    let mut flow = match flow {
        Ok(flow) => flow,
        Err(e) => return Ok(vec![Seen::ArmRefused(e)]),
    };
    let mut seen = Vec::new();
    for (i, step) in case["steps"].as_array().into_iter().flatten().enumerate() {
        if let Some(ms) = step["advance_ms"].as_u64() {
            now = now.plus(Duration::from_millis(ms));
            continue;
        }
        if step.get("continuation").is_some() {
            let token = flow.continuation();
            seen.push(Seen::Continuation(token.clone()));
            let token = token.ok_or(format!("step {i}: no continuation token"))?;
            flow = match engine.arm_resume(&cfg, &cloud, &token, now) {
                Ok(flow) => flow,
                Err(e) => return Err(format!("step {i}: resume: {e}")),
            };
            continue;
        }
        let action = flow.poll(now);
        match &action {
            ArmAction::NeedToken { .. } if step.get("token").is_some() => {
                let token = match (step["give"].as_str(), step["give_error"].as_str()) {
                    (Some(t), _) => Ok(AccessToken::new(
                        t,
                        "Bearer",
                        now.plus(Duration::from_secs(3600)),
                        now.plus(Duration::from_secs(3300)),
                    )),
                    (None, Some(code)) => Err(error_with_code(code)),
                    _ => return Err(format!("step {i}: token step without give or give_error")),
                };
                flow.token(token, now);
            }
            ArmAction::Send(out) if step.get("send").is_some() => {
                let id = out.id;
                now = now.plus(Duration::from_millis(step["elapsed_ms"].as_u64().unwrap_or(0)));
                flow.answer(id, answer(step)?, now);
            }
            ArmAction::WaitUntil(until) if step.get("wait_ms").is_some() => now = *until,
            _ => return Err(format!("step {i}: {step} met {action:?}")),
        }
        seen.push(seen_arm_action(action));
    }
    seen.push(seen_arm_action(flow.poll(now)));
    Ok(seen)
}

fn wit_request(op: &Value) -> wa::ArmRequest {
    let s = |k: &str| op[k].as_str().map(str::to_owned);
    let sub = || s("subscription_id").unwrap_or_default();
    let name = || s("name").unwrap_or_default();
    let group = || wa::GroupRef { subscription_id: sub(), name: name() };
    let mut api_version = s("api_version");
    let operation = match op["op"].as_str().unwrap_or_default() {
        "discover_cloud" => wa::ArmOperation::DiscoverCloud,
        "list_subscriptions" => wa::ArmOperation::ListSubscriptions,
        "get_subscription" => wa::ArmOperation::GetSubscription(sub()),
        "list_resource_groups" => wa::ArmOperation::ListResourceGroups(wa::ListResourceGroups {
            subscription_id: sub(),
            filter: s("filter"),
            top: op["top"].as_u64().map(|t| t as u32),
        }),
        "get_resource_group" => wa::ArmOperation::GetResourceGroup(group()),
        "resource_group_exists" => wa::ArmOperation::ResourceGroupExists(group()),
        "create_or_update_resource_group" => {
            wa::ArmOperation::CreateOrUpdateResourceGroup(wa::CreateResourceGroup {
                subscription_id: sub(),
                name: name(),
                location: s("location").unwrap_or_default(),
                tags_json: op.get("tags").map(Value::to_string),
            })
        }
        "delete_resource_group" => wa::ArmOperation::DeleteResourceGroup(wa::DeleteResourceGroup {
            subscription_id: sub(),
            name: name(),
            force_deletion_types: s("force_deletion_types"),
        }),
        "request" => {
            let api = api_version.take().unwrap_or_default();
            wa::ArmOperation::Generic(wa::GenericRequest {
                method: s("method").unwrap_or_else(|| "GET".to_owned()),
                path: s("path").unwrap_or_default(),
                api_version: api,
                body_json: op.get("body").map(Value::to_string),
                paged: op["paged"] == true,
                long_running: op["lro"] == true,
            })
        }
        other => panic!("unknown ARM op {other:?}"),
    };
    wa::ArmRequest { operation, api_version, query: Vec::new() }
}

fn answer(step: &Value) -> Result<Answer, String> {
    if let Some(v) = step.get("response") {
        return wire::response(v).map(Ok).map_err(|e| e.message);
    }
    let kind = step["transport_error"].as_str().ok_or("no response or transport_error")?;
    Ok(Err(wire::transport_failure(kind)))
}

/// The vector's own expectation about the end, checked on what the component showed (so the
/// comparison above cannot pass by both engines skipping the case).
fn check_outcome(case: &Value, seen: &[Seen]) -> Result<(), String> {
    let want = &case["outcome"];
    let code = want["error"]["code"].as_str();
    let last = seen.last().ok_or("nothing seen")?;
    let ok = match (case["kind"].as_str(), last) {
        (_, Seen::Config(e)) => code == Some(e.code()),
        (Some("detect"), Seen::Detected(d)) => want["source"].as_str() == Some(d.source.as_str()),
        (_, Seen::Done(Ok(t))) => {
            want["token"].is_object()
                && want["token"]["access_token"].as_str().is_none_or(|s| s == t.secret)
        }
        (_, Seen::Done(Err(e))) => code == Some(e.code()),
        (_, Seen::ArmRefused(e)) | (_, Seen::ArmDone(Err(e))) => code == Some(e.code()),
        (_, Seen::ArmDone(Ok(_))) => code.is_none() && want.is_object(),
        (Some("cache"), _) => {
            let ops = case["ops"].as_array().ok_or("no ops")?;
            return ops.iter().zip(seen).try_for_each(|(op, s)| match (op["expect"].as_str(), s) {
                (Some(kind), Seen::Lookup(got, ..)) if op.get("lookup").is_some() => {
                    if kind == *got {
                        Ok(())
                    } else {
                        Err(format!("expected {kind}, got {got}"))
                    }
                }
                _ => Ok(()),
            });
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("expected {want}, got {last:?}"))
    }
}
