//! A thread-safe managed identity credential over the engine's cache.
//!
//! The core decides who fetches: of concurrent callers asking for one (source, identity,
//! resource), exactly one is told to fetch; the others block here on a condition variable until
//! that fetch completes. A token due for refresh is served at once while one background thread
//! refreshes it. A caller may give up ([`Cancel`]); the fetch itself stops only once every
//! caller waiting on it gave up (`crate::cancel`). The loop is written once for both engines (`crate::engine`): the native core
//! and the WebAssembly component make the same decisions through the same code here.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use azmi_core::{
    AccessToken, CacheKey, Config, Detection, EnvSnapshot, ErrorKind, HostOs, Resource, TokenError,
    WaitOutcome, PLATFORM_VARIABLES, VARIABLES,
};

use crate::cancel::{Cancel, Interest};
use crate::drive::{drive, now, TokenRun};
use crate::engine::cache::{EngineCache, Found, Ticket, WaitFor};
use crate::engine::Engine;
use crate::transport::Transport;

/// Where the credential's environment comes from.
#[derive(Debug, Clone)]
pub enum EnvSource {
    /// The process environment, read at every token request (App Service rotates its secret).
    Process,
    /// A fixed snapshot (tests, bindings that pass their own).
    Fixed(EnvSnapshot),
}

/// Gets managed identity tokens; clone it freely, clones share one cache.
#[derive(Debug, Clone)]
pub struct ManagedIdentityCredential {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    cfg: Config,
    env: EnvSource,
    /// Decided once per credential (the cache key needs it on every call); the environment
    /// itself is read again for every fetch, so a rotated secret header is picked up.
    detection: Detection,
    engine: Engine,
    cache: Mutex<EngineCache>,
    fetched: Condvar,
    /// The callers inside `get_token_*` per key, and whether they gave up.
    interest: Interest,
    transport: Arc<Transport>,
}

/// Builds a [`ManagedIdentityCredential`] with another environment, transport or engine
/// (from [`ManagedIdentityCredential::builder`]).
#[derive(Debug)]
#[must_use]
pub struct CredentialBuilder {
    cfg: Config,
    env: EnvSource,
    transport: Option<Arc<Transport>>,
    engine: Engine,
}

impl CredentialBuilder {
    /// Where the environment comes from (default: the process environment).
    pub fn env(mut self, env: EnvSource) -> Self {
        self.env = env;
        self
    }

    /// Shares `transport` (and its connections) with other clients (default: a new one).
    pub fn transport(mut self, transport: Arc<Transport>) -> Self {
        self.transport = Some(transport);
        self
    }

    /// Which build of the core decides (default: [`Engine::native`]).
    pub fn engine(mut self, engine: Engine) -> Self {
        self.engine = engine;
        self
    }

    /// The credential. The engine detects the source now; only the component engine can fail
    /// to (kind `Engine`, code `engine`).
    pub fn build(self) -> Result<ManagedIdentityCredential, TokenError> {
        let detection = self.engine.detect(self.cfg.source, &snapshot(&self.env))?;
        let transport = self.transport.unwrap_or_else(|| Arc::new(Transport::new()));
        Ok(ManagedIdentityCredential::assemble(
            self.cfg,
            self.env,
            transport,
            self.engine,
            detection,
        ))
    }
}

impl ManagedIdentityCredential {
    /// A credential reading the process environment.
    pub fn new(cfg: Config) -> Self {
        Self::with_env(cfg, EnvSource::Process)
    }

    /// A credential with an explicit environment source.
    pub fn with_env(cfg: Config, env: EnvSource) -> Self {
        Self::with_transport(cfg, env, Arc::new(Transport::new()))
    }

    /// A credential sharing `transport` (and its connections) with other clients.
    pub fn with_transport(cfg: Config, env: EnvSource, transport: Arc<Transport>) -> Self {
        // The native engine's detection cannot fail.
        let detection = Detection::detect(cfg.source, &snapshot(&env));
        Self::assemble(cfg, env, transport, Engine::native(), detection)
    }

    /// A builder, for another engine (the WebAssembly component) or transport.
    pub fn builder(cfg: Config) -> CredentialBuilder {
        CredentialBuilder {
            cfg,
            env: EnvSource::Process,
            transport: None,
            engine: Engine::native(),
        }
    }

    fn assemble(
        cfg: Config,
        env: EnvSource,
        transport: Arc<Transport>,
        engine: Engine,
        detection: Detection,
    ) -> Self {
        let incomplete = detection.incomplete(&snapshot(&env));
        let incomplete: Vec<String> = incomplete.iter().map(ToString::to_string).collect();
        tracing::info!(
            source = detection.source.as_str(),
            why = %detection.explain(),
            incomplete = %incomplete.join("; "),
            engine = engine.name(),
            "managed identity source chosen"
        );
        let cache = Mutex::new(engine.cache(detection.source));
        let fetched = Condvar::new();
        let interest = Interest::default();
        let inner = Inner { cfg, env, detection, engine, cache, fetched, interest, transport };
        ManagedIdentityCredential { inner: Arc::new(inner) }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.cfg
    }

    /// The transport this credential sends with.
    pub fn transport(&self) -> &Arc<Transport> {
        &self.inner.transport
    }

    /// The engine that makes this credential's decisions (its `ArmClient` uses it too).
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The environment as the credential sees it now.
    pub fn snapshot(&self) -> EnvSnapshot {
        self.inner.snapshot()
    }

    /// Which source this credential uses, and why (decided when it was created).
    pub fn detection(&self) -> Detection {
        self.inner.detection.clone()
    }

    /// A token for exactly one scope (a trailing `/.default` is removed).
    pub fn get_token(&self, scopes: &[&str]) -> Result<Arc<AccessToken>, TokenError> {
        let resource = Resource::from_scopes(scopes)
            .map_err(|e| TokenError::new(self.inner.detection.source, ErrorKind::Config(e)))?;
        self.get_token_for(&resource)
    }

    /// A token for `resource`, from the cache when it is fresh.
    pub fn get_token_for(&self, resource: &Resource) -> Result<Arc<AccessToken>, TokenError> {
        let key = self.key(resource);
        if let Some(token) = self.inner.fresh(&key) {
            return Ok(token);
        }
        // Nobody cancels this caller: the result is always there.
        let cancel = Cancel::new();
        let _registered = self.inner.interest.register(&key, &cancel);
        loop {
            if let Some(result) = self.attempt(&key, resource, &cancel) {
                return result;
            }
        }
    }

    /// [`get_token_for`](Self::get_token_for) that gives up when `cancel` fires: `None` then,
    /// within about 50 ms while the call waits (an attempt under way runs to its own
    /// timeout). The fetch itself stops only when every caller waiting on it gave up; a token
    /// that arrives is cached either way.
    pub fn get_token_cancellable(
        &self,
        resource: &Resource,
        cancel: &Cancel,
    ) -> Option<Result<Arc<AccessToken>, TokenError>> {
        let key = self.key(resource);
        if let Some(token) = self.inner.fresh(&key) {
            return Some(Ok(token));
        }
        let _registered = self.inner.interest.register(&key, cancel);
        while !cancel.is_cancelled() {
            if let Some(result) = self.attempt(&key, resource, cancel) {
                return Some(result);
            }
        }
        None
    }

    /// One look at the cache and what it says to do; `None`: look again (a fetch waited on was
    /// abandoned, or this caller cancelled).
    fn attempt(
        &self,
        key: &CacheKey,
        resource: &Resource,
        cancel: &Cancel,
    ) -> Option<Result<Arc<AccessToken>, TokenError>> {
        let found = match self.inner.lock().lookup(key, now()) {
            Ok(found) => found,
            Err(e) => return Some(Err(e)),
        };
        match found {
            Found::Fresh(token) | Found::Stale(token, None) => Some(Ok(token)),
            Found::Stale(token, Some(ticket)) => {
                Owed::new(&self.inner, ticket).spawn(resource);
                Some(Ok(token))
            }
            Found::Fetch(ticket) => {
                Owed::new(&self.inner, ticket).run(&self.inner.snapshot(), key, resource)
            }
            Found::Wait(wait) => self.inner.wait_for(&wait, cancel),
        }
    }

    /// The token for `resource` when the cache can serve one without waiting: fresh, or still
    /// valid while a refresh runs (a due refresh starts in the background, as in
    /// `get_token_for`). `None` when a fetch is needed or under way; then `get_token_for` does
    /// or awaits it. Never blocks on I/O: event-loop hosts (Node) call it on their loop thread.
    pub fn cached(&self, resource: &Resource) -> Option<Arc<AccessToken>> {
        let key = self.key(resource);
        let now = now();
        let mut cache = self.inner.lock();
        let token = cache.peek(&key, now)?;
        if now >= token.refresh_on {
            // Due for refresh: the full lookup decides whether this caller starts it. Under the
            // same lock as the peek, a usable token exists, so it never says fetch or wait.
            if let Ok(Found::Stale(_, Some(ticket))) = cache.lookup(&key, now) {
                drop(cache);
                Owed::new(&self.inner, ticket).spawn(resource);
            }
        }
        Some(token)
    }

    /// Forgets the cached token for `resource`, so the next request fetches a new one (ARM
    /// answered 401 to it).
    pub fn invalidate(&self, resource: &Resource) {
        self.inner.lock().invalidate(&self.key(resource));
    }

    /// A claims challenge: the cached token for `resource` was refused. A non-empty `claims`
    /// string forgets it, so the next call fetches; `None` or an empty string changes nothing
    /// (azure-core passes `claims` only with a challenge).
    pub fn apply_claims(&self, resource: &Resource, claims: Option<&str>) {
        if claims.is_some_and(|c| !c.is_empty()) {
            self.invalidate(resource);
        }
    }

    fn key(&self, resource: &Resource) -> CacheKey {
        self.inner.key(resource)
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, EngineCache> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn snapshot(&self) -> EnvSnapshot {
        snapshot(&self.env)
    }

    fn key(&self, resource: &Resource) -> CacheKey {
        let identity = self.cfg.identity.clone();
        CacheKey { source: self.detection.source, identity, resource: resource.clone() }
    }

    /// The common case: a fresh token, served without building a full answer.
    fn fresh(&self, key: &CacheKey) -> Option<Arc<AccessToken>> {
        let at = now();
        self.lock().peek(key, at).filter(|t| at < t.refresh_on)
    }

    /// Blocks until the fetch `wait` is behind completes; `None` when it was abandoned or
    /// `cancel` fired (looked at every [`CANCEL_CHECK`]).
    fn wait_for(
        &self,
        wait: &WaitFor,
        cancel: &Cancel,
    ) -> Option<Result<Arc<AccessToken>, TokenError>> {
        let mut cache = self.lock();
        loop {
            match cache.poll_wait(wait, now()) {
                WaitOutcome::Ready(result) => return Some(result),
                WaitOutcome::Abandoned => return None,
                WaitOutcome::Pending if cancel.is_cancelled() => return None,
                WaitOutcome::Pending => {
                    let lease_until = wait.lease_until();
                    let left = Duration::from_millis(lease_until.0.saturating_sub(now().0).max(1))
                        .min(CANCEL_CHECK);
                    cache =
                        self.fetched.wait_timeout(cache, left).unwrap_or_else(|e| e.into_inner()).0;
                }
            }
        }
    }
}

/// How often a waiting caller looks whether it was cancelled.
const CANCEL_CHECK: Duration = Duration::from_millis(50);

/// A fetch the core told this credential to make, owed to the callers waiting on its ticket.
/// `run` makes it and records the result; dropped unfinished (a panic during the fetch, a refresh
/// thread that could not start) it gives the ticket back, so the waiters look up again at once
/// instead of sleeping out the fetch's lease. The same for both engines.
struct Owed {
    inner: Arc<Inner>,
    ticket: Option<Ticket>,
}

impl Owed {
    fn new(inner: &Arc<Inner>, ticket: Ticket) -> Self {
        Owed { inner: Arc::clone(inner), ticket: Some(ticket) }
    }

    /// Refreshes in a background thread (the caller is served the still-valid token).
    fn spawn(self, resource: &Resource) {
        let resource = resource.clone();
        // When no thread can start, the closure and this fetch are dropped: the ticket goes back.
        let _ = std::thread::Builder::new().name("azmi-refresh".into()).spawn(move || {
            let env = self.inner.snapshot();
            let key = self.inner.key(&resource);
            // Owed to whoever asks later: nobody cancels a refresh.
            let inner = Arc::clone(&self.inner);
            let _registered = inner.interest.register(&key, &Cancel::new());
            self.run(&env, &key, &resource)
        });
    }

    /// Makes the fetch with `env` and records the result for every waiter; `None` when every
    /// caller interested in `key` gave up first (the ticket goes back: the next caller fetches).
    fn run(
        mut self,
        env: &EnvSnapshot,
        key: &CacheKey,
        resource: &Resource,
    ) -> Option<Result<Arc<AccessToken>, TokenError>> {
        // The credential keeps the source it detected (its cache key); the fresh snapshot only
        // supplies current values, such as a rotated secret header.
        let (detection, engine) = (&self.inner.detection, &self.inner.engine);
        let mut cfg = self.inner.cfg.clone();
        cfg.source = Some(detection.source);
        // A configuration that cannot work: dropping `self` gives the ticket back, and every
        // caller hits the same error itself.
        let steps = match engine.token_flow(&cfg, env, resource, now(), detection.source) {
            Ok(steps) => steps,
            Err(e) => return Some(Err(e)),
        };
        let span = tracing::info_span!(
            "token",
            source = detection.source.as_str(),
            resource = resource.as_str(),
            engine = engine.name()
        );
        let _entered = span.enter();
        tracing::info!(why = %detection.explain(), "fetching a managed identity token");
        let abandoned = || self.inner.interest.abandoned(key);
        let mut run = TokenRun::new(steps, detection.source, &abandoned);
        let Some(result) = drive(&mut run, &self.inner.transport, &mut |_| {}) else {
            tracing::info!("token request stopped: every caller gave up");
            return None;
        };
        if let Err(e) = &result {
            tracing::warn!(code = e.code(), error = %e, "token request failed");
        }
        let Some(ticket) = self.ticket.take() else {
            return Some(result.map(Arc::new)); // never: only `run` takes the ticket, once
        };
        let shared = self.inner.lock().complete(ticket, result, now());
        self.inner.fetched.notify_all();
        Some(shared)
    }
}

impl Drop for Owed {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket.take() {
            self.inner.lock().abandon(ticket);
            self.inner.fetched.notify_all();
        }
    }
}

fn snapshot(env: &EnvSource) -> EnvSnapshot {
    match env {
        EnvSource::Fixed(env) => env.clone(),
        EnvSource::Process => process_env(),
    }
}

/// The variables the core reads, from the process environment, the platform this runs on, and
/// whether the Arc agent is installed (the core says where its binary would be).
pub fn process_env() -> EnvSnapshot {
    let os = HostOs::compiled();
    let platform = if os == HostOs::Windows { PLATFORM_VARIABLES } else { &[] };
    let names = VARIABLES.iter().chain(platform);
    let vars = names.filter_map(|name| std::env::var(name).ok().map(|v| (*name, v)));
    let env = EnvSnapshot::from_vars(vars).with_os(os);
    let installed = env.arc_agent_path().is_some_and(|p| std::path::Path::new(&p).exists());
    env.with_arc_agent_installed(installed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A credential whose IMDS is a closed loopback port (nothing here sends a request).
    fn credential() -> ManagedIdentityCredential {
        let env =
            EnvSnapshot::from_vars([("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9")]);
        ManagedIdentityCredential::with_env(Config::default(), EnvSource::Fixed(env))
    }

    fn arm() -> Resource {
        Resource::new("https://management.azure.com/").unwrap()
    }

    #[test]
    fn a_fetch_that_panics_gives_its_ticket_back_to_the_waiters() {
        let cred = credential();
        let key = cred.key(&arm());
        let Ok(Found::Fetch(ticket)) = cred.inner.lock().lookup(&key, now()) else {
            panic!("the first caller fetches")
        };
        let Ok(Found::Wait(wait)) = cred.inner.lock().lookup(&key, now()) else {
            panic!("the second caller waits")
        };
        let owed = Owed::new(&cred.inner, ticket);
        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            let _owed = owed;
            panic!("a fetch that dies midway");
        }));
        assert!(unwound.is_err());
        // Without the ticket back, the waiter would be `Pending` until the 120 s lease ends.
        let outcome = cred.inner.lock().poll_wait(&wait, now());
        assert!(matches!(outcome, WaitOutcome::Abandoned), "{outcome:?}");
        assert!(matches!(cred.inner.lock().lookup(&key, now()), Ok(Found::Fetch(_))));
    }

    /// A miss seen by `cached` takes no ticket: the next caller is told to fetch, not to wait.
    #[test]
    fn a_miss_in_cached_takes_no_ticket() {
        let cred = credential();
        assert!(cred.cached(&arm()).is_none());
        assert!(matches!(cred.inner.lock().lookup(&cred.key(&arm()), now()), Ok(Found::Fetch(_))));
    }

    #[test]
    fn claims_forget_the_cached_token_only_when_there_are_some() {
        let cred = credential();
        let key = cred.key(&arm());
        let Ok(Found::Fetch(ticket)) = cred.inner.lock().lookup(&key, now()) else { panic!() };
        let (at, hour) = (now(), Duration::from_secs(3600));
        let token = AccessToken::new("t", "Bearer", at.plus(hour), at.plus(hour / 2));
        cred.inner.lock().complete(ticket, Ok(token), at).unwrap();
        cred.apply_claims(&arm(), None);
        cred.apply_claims(&arm(), Some(""));
        assert_eq!(cred.cached(&arm()).unwrap().secret(), "t");
        cred.apply_claims(&arm(), Some(r#"{"access_token":{"nbf":{"essential":true}}}"#));
        assert!(cred.cached(&arm()).is_none());
    }
}
