//! `ComponentCredential` and `ComponentArmClient`: the native credential's and ARM client's API,
//! with every decision (cache, single-flight, requests, parsing, retries, ARM paging and
//! polling) made by the component, and the native transport and drive loop doing the I/O.

use std::cell::RefCell;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use azmi_core::{
    AccessToken, Action, ArmAction, ArmConfig, ArmOutcome, CacheKey, Cloud, Config, Detection,
    EnvSnapshot, ErrorKind, FileFailure, RequestId, Resource, SourceKind, TokenError,
    TransportFailure, UnixMillis, WaitOutcome,
};
use serde_json::Value;

use super::flows::{ComponentArmFlow, ComponentCache, ComponentLookup, FetchTicket, WaitTicket};
use super::runtime::{ComponentInstance, ComponentRuntime};
use super::wit::{arm as wa, identity as wi};
use super::{ComponentError, ComponentTokenFlow};
use crate::drive::{drive, now, Drivable, Progress, Step};
use crate::{EnvSource, Transport};

/// Gets managed identity tokens through the component; clone it freely, clones share one cache
/// and one instance. The API mirrors `ManagedIdentityCredential`.
#[derive(Debug, Clone)]
pub struct ComponentCredential {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    cfg: Config,
    env: EnvSource,
    detection: Detection,
    instance: Arc<ComponentInstance>,
    /// The cache lives in the instance; a trap replaces the instance's store, and with it the
    /// cache, so the slot is rebuilt when the generation moves on.
    cache: Mutex<Option<ComponentCache>>,
    fetched: Condvar,
    transport: Arc<Transport>,
}

impl ComponentCredential {
    /// A credential reading the process environment, on the shared component
    /// (`AZMI_COMPONENT`, else this repository's build output).
    pub fn new(cfg: Config) -> Result<Self, ComponentError> {
        Self::with_env(cfg, EnvSource::Process)
    }

    /// A credential with an explicit environment source.
    pub fn with_env(cfg: Config, env: EnvSource) -> Result<Self, ComponentError> {
        let instance = ComponentRuntime::shared()?.instantiate()?;
        Self::with_instance(cfg, env, instance, Arc::new(Transport::new()))
    }

    /// A credential on `instance`, sending with `transport`.
    pub fn with_instance(
        cfg: Config,
        env: EnvSource,
        instance: Arc<ComponentInstance>,
        transport: Arc<Transport>,
    ) -> Result<Self, ComponentError> {
        let detection = instance.detect(cfg.source, &snapshot(&env))?;
        let inner = Inner {
            cfg,
            env,
            detection,
            instance,
            cache: Mutex::new(None),
            fetched: Condvar::new(),
            transport,
        };
        Ok(ComponentCredential { inner: Arc::new(inner) })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.cfg
    }

    /// The transport this credential sends with.
    pub fn transport(&self) -> &Arc<Transport> {
        &self.inner.transport
    }

    /// The component instance this credential runs in.
    pub fn instance(&self) -> &Arc<ComponentInstance> {
        &self.inner.instance
    }

    /// The environment as the credential sees it now.
    pub fn snapshot(&self) -> EnvSnapshot {
        snapshot(&self.inner.env)
    }

    /// Which source this credential uses, and why (decided when it was created).
    pub fn detection(&self) -> Detection {
        self.inner.detection.clone()
    }

    /// A token for exactly one scope (a trailing `/.default` is removed).
    pub fn get_token(&self, scopes: &[&str]) -> Result<Arc<AccessToken>, ComponentError> {
        let resource = Resource::from_scopes(scopes)
            .map_err(|e| TokenError::new(self.inner.detection.source, ErrorKind::Config(e)))?;
        self.get_token_for(&resource)
    }

    /// A token for `resource`, from the component's cache when it is fresh.
    pub fn get_token_for(&self, resource: &Resource) -> Result<Arc<AccessToken>, ComponentError> {
        let key = self.inner.key(resource);
        loop {
            match self.inner.lookup(&key)? {
                ComponentLookup::Fresh(token) | ComponentLookup::Stale(token, None) => {
                    return Ok(token)
                }
                ComponentLookup::Stale(token, Some(ticket)) => {
                    let inner = Arc::clone(&self.inner);
                    let resource = resource.clone();
                    std::thread::spawn(move || inner.fetch_and_complete(ticket, &resource));
                    return Ok(token);
                }
                ComponentLookup::Fetch(ticket) => {
                    return self.inner.fetch_and_complete(ticket, resource)
                }
                ComponentLookup::Wait(wait) => {
                    if let Some(result) = self.inner.wait_for(&wait) {
                        return result;
                    }
                }
            }
        }
    }

    /// Forgets the cached token for `resource` (ARM answered 401 to it).
    pub fn invalidate(&self, resource: &Resource) -> Result<(), ComponentError> {
        let key = self.inner.key(resource);
        let mut slot = self.inner.lock();
        self.inner.cache(&mut slot)?.invalidate(&key)
    }
}

impl Inner {
    fn key(&self, resource: &Resource) -> CacheKey {
        CacheKey {
            source: self.detection.source,
            identity: self.cfg.identity.clone(),
            resource: resource.clone(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Option<ComponentCache>> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The cache of the instance's current store, created on first use and after a trap.
    fn cache<'a>(
        &self,
        slot: &'a mut Option<ComponentCache>,
    ) -> Result<&'a mut ComponentCache, ComponentError> {
        let generation = self.instance.generation();
        if slot.as_ref().is_none_or(|c| c.generation() != generation) {
            *slot = Some(ComponentCache::new(&self.instance)?);
        }
        Ok(slot.as_mut().expect("set above"))
    }

    fn lookup(&self, key: &CacheKey) -> Result<ComponentLookup, ComponentError> {
        let mut slot = self.lock();
        self.cache(&mut slot)?.lookup(key, now())
    }

    /// Runs the fetch of `ticket` and records its result in the cache. Waiters are woken
    /// whatever the outcome: after a failure (a trap, a replaced store) they look up again
    /// instead of sleeping out the fetch's lease.
    fn fetch_and_complete(
        &self,
        ticket: FetchTicket,
        resource: &Resource,
    ) -> Result<Arc<AccessToken>, ComponentError> {
        let result = self.fetch(resource);
        let mut slot = self.lock();
        let shared = match (self.cache(&mut slot), result) {
            (Ok(cache), Ok(token)) => cache.complete(ticket, &Ok(token), now()),
            (Ok(cache), Err(ComponentError::Token(e))) => cache.complete(ticket, &Err(e), now()),
            // Not the endpoint's answer (a trap, a configuration error): nothing to share.
            (Ok(cache), Err(other)) => {
                let _ = cache.abandon(ticket);
                Err(other)
            }
            (Err(e), _) => Err(e),
        };
        drop(slot);
        self.fetched.notify_all();
        Ok(shared??)
    }

    fn fetch(&self, resource: &Resource) -> Result<AccessToken, ComponentError> {
        // The credential keeps the source it detected (its cache key); the fresh snapshot only
        // supplies current values, such as a rotated secret header.
        let mut cfg = self.cfg.clone();
        cfg.source = Some(self.detection.source);
        let audience = wi::Audience::Resource(resource.as_str().to_owned());
        let flow =
            ComponentTokenFlow::start(&self.instance, &cfg, &self.snapshot(), &audience, now())
                .map_err(|e| match e {
                    ComponentError::Config(e) => {
                        TokenError::new(self.detection.source, ErrorKind::Config(e)).into()
                    }
                    other => other,
                })?;
        let span = tracing::info_span!(
            "token",
            source = self.detection.source.as_str(),
            resource = resource.as_str(),
            engine = "component"
        );
        let _entered = span.enter();
        tracing::info!(why = %self.detection.explain(), "fetching a managed identity token");
        let mut driven = Driven::new(flow);
        let result =
            drive(&mut driven, &self.transport, &mut |_, _| no_nested_token(), &mut |_| {});
        if let Err(e) = &result {
            tracing::warn!(code = e.code(), error = %e, "token request failed");
        }
        result
    }

    fn snapshot(&self) -> EnvSnapshot {
        snapshot(&self.env)
    }

    /// Blocks until the fetch `wait` is behind completes; `None` when it was abandoned (or its
    /// store was replaced).
    fn wait_for(&self, wait: &WaitTicket) -> Option<Result<Arc<AccessToken>, ComponentError>> {
        let mut slot = self.lock();
        loop {
            let outcome = match self.cache(&mut slot) {
                Ok(cache) => cache.poll_wait(wait, now()),
                Err(e) => return Some(Err(e)),
            };
            match outcome {
                Ok(WaitOutcome::Ready(result)) => return Some(result.map_err(Into::into)),
                Ok(WaitOutcome::Abandoned) | Err(ComponentError::Restarted) => return None,
                Err(e) => return Some(Err(e)),
                Ok(WaitOutcome::Pending) => {
                    let left = wait.lease_until.0.saturating_sub(now().0).max(1);
                    slot = self
                        .fetched
                        .wait_timeout(slot, Duration::from_millis(left))
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
            }
        }
    }
}

fn snapshot(env: &EnvSource) -> EnvSnapshot {
    match env {
        EnvSource::Fixed(env) => env.clone(),
        EnvSource::Process => crate::process_env(),
    }
}

/// Token flows never ask for tokens; the drive loop's token hook is unused for them.
fn no_nested_token() -> Result<AccessToken, TokenError> {
    let reason = "no nested token requests".to_owned();
    Err(TokenError::new(SourceKind::Imds, ErrorKind::Unavailable { reason }))
}

/// Calls ARM as a managed identity through the component; the API mirrors `ArmClient`.
#[derive(Debug, Clone)]
pub struct ComponentArmClient {
    credential: ComponentCredential,
    cloud: Cloud,
    cfg: ArmConfig,
}

impl ComponentArmClient {
    /// A client for `cloud`, sharing the credential's instance and transport.
    pub fn new(credential: ComponentCredential, cloud: Cloud) -> Self {
        ComponentArmClient { credential, cloud, cfg: ArmConfig::default() }
    }

    /// Replaces the limits (deadline, retries, poll delay).
    pub fn with_config(mut self, cfg: ArmConfig) -> Self {
        self.cfg = cfg;
        self
    }

    /// The cloud.
    pub fn cloud(&self) -> &Cloud {
        &self.cloud
    }

    /// Runs any request to its end, telling `progress` about each wait.
    pub fn execute_with_progress(
        &self,
        request: &wa::ArmRequest,
        progress: impl FnMut(Progress),
    ) -> Result<ArmOutcome, ComponentError> {
        let instance = self.credential.instance();
        let flow = ComponentArmFlow::start(instance, &self.cfg, &self.cloud, request, now())?;
        self.run(flow, progress)
    }

    /// Runs any request to its end.
    pub fn execute(&self, request: &wa::ArmRequest) -> Result<ArmOutcome, ComponentError> {
        self.execute_with_progress(request, |_| {})
    }

    /// Goes on polling a long-running operation from a continuation token.
    pub fn resume(
        &self,
        continuation: &str,
        progress: impl FnMut(Progress),
    ) -> Result<ArmOutcome, ComponentError> {
        let instance = self.credential.instance();
        let flow = ComponentArmFlow::resume(instance, &self.cfg, &self.cloud, continuation, now())?;
        self.run(flow, progress)
    }

    /// Every subscription the identity can see.
    pub fn list_subscriptions(&self) -> Result<Vec<Value>, ComponentError> {
        items(self.execute(&request(wa::ArmOperation::ListSubscriptions))?)
    }

    /// Every resource group of a subscription.
    pub fn list_resource_groups(
        &self,
        subscription_id: &str,
    ) -> Result<Vec<Value>, ComponentError> {
        let op = wa::ArmOperation::ListResourceGroups(wa::ListResourceGroups {
            subscription_id: subscription_id.to_owned(),
            filter: None,
            top: None,
        });
        items(self.execute(&request(op))?)
    }

    /// Creates or updates a resource group; returns it.
    pub fn create_resource_group(
        &self,
        subscription_id: &str,
        name: &str,
        location: &str,
        tags: Option<&serde_json::Map<String, Value>>,
    ) -> Result<Value, ComponentError> {
        let op = wa::ArmOperation::CreateOrUpdateResourceGroup(wa::CreateResourceGroup {
            subscription_id: subscription_id.to_owned(),
            name: name.to_owned(),
            location: location.to_owned(),
            tags_json: tags.map(|t| Value::Object(t.clone()).to_string()),
        });
        match self.execute(&request(op))? {
            ArmOutcome::Response(r) => Ok(r.body),
            other => Err(unexpected(other)),
        }
    }

    /// Deletes a resource group, polling until ARM says it is gone.
    pub fn delete_resource_group(
        &self,
        subscription_id: &str,
        name: &str,
        progress: impl FnMut(Progress),
    ) -> Result<(), ComponentError> {
        let op = wa::ArmOperation::DeleteResourceGroup(wa::DeleteResourceGroup {
            subscription_id: subscription_id.to_owned(),
            name: name.to_owned(),
            force_deletion_types: None,
        });
        self.execute_with_progress(&request(op), progress).map(|_| ())
    }

    fn run(
        &self,
        flow: ComponentArmFlow,
        mut progress: impl FnMut(Progress),
    ) -> Result<ArmOutcome, ComponentError> {
        let span =
            tracing::info_span!("arm", endpoint = self.cloud.endpoint(), engine = "component");
        let _entered = span.enter();
        // A component failure while fetching a token ends the ARM flow; it is reported as itself.
        let failure = RefCell::new(None);
        let mut tokens = |resource: &Resource, refresh: bool| {
            let token = (|| {
                if refresh {
                    self.credential.invalidate(resource)?;
                }
                self.credential.get_token_for(resource)
            })();
            match token {
                Ok(t) => Ok((*t).clone()),
                Err(ComponentError::Token(e)) => Err(e),
                Err(other) => {
                    let reason = other.to_string();
                    failure.replace(Some(other));
                    Err(TokenError::new(SourceKind::Imds, ErrorKind::Unavailable { reason }))
                }
            }
        };
        let transport = Arc::clone(self.credential.transport());
        let result = drive(&mut Driven::new(flow), &transport, &mut tokens, &mut progress);
        match failure.into_inner() {
            Some(e) => Err(e),
            None => result,
        }
    }
}

/// A request for `operation` with its default api-version.
fn request(operation: wa::ArmOperation) -> wa::ArmRequest {
    wa::ArmRequest { operation, api_version: None, query: Vec::new() }
}

fn items(outcome: ArmOutcome) -> Result<Vec<Value>, ComponentError> {
    match outcome {
        ArmOutcome::Items { items, .. } => Ok(items),
        other => Err(unexpected(other)),
    }
}

fn unexpected(outcome: ArmOutcome) -> ComponentError {
    ComponentError::Invalid { what: "ARM outcome", problem: format!("{outcome:?}") }
}

/// A component flow in the drive loop: a call that fails (a trap) ends the flow at the next step.
struct Driven<F> {
    flow: F,
    failed: Option<ComponentError>,
}

impl<F> Driven<F> {
    fn new(flow: F) -> Self {
        Driven { flow, failed: None }
    }

    fn note(&mut self, result: Result<(), ComponentError>) {
        if let Err(e) = result {
            self.failed.get_or_insert(e);
        }
    }
}

impl Drivable for Driven<ComponentTokenFlow> {
    type Output = Result<AccessToken, ComponentError>;

    fn step(&mut self, now: UnixMillis) -> Step<Self::Output> {
        if let Some(e) = self.failed.take() {
            return Step::Done(Err(e));
        }
        match self.flow.poll(now) {
            Ok(Action::Send(out)) => Step::Send(out),
            Ok(Action::WaitUntil(t)) => Step::Wait(t),
            Ok(Action::ReadFile { id, path, max_bytes }) => Step::ReadFile { id, path, max_bytes },
            Ok(Action::Done(result)) => Step::Done(result.map_err(Into::into)),
            Err(e) => Step::Done(Err(e)),
        }
    }

    fn answer(
        &mut self,
        id: RequestId,
        answer: Result<http::Response<Vec<u8>>, TransportFailure>,
        now: UnixMillis,
    ) {
        let result = match answer {
            Ok(resp) => self.flow.handle_response(id, &resp, now),
            Err(e) => self.flow.handle_transport_error(id, &e, now),
        };
        self.note(result);
    }

    fn file(&mut self, id: RequestId, contents: Result<Vec<u8>, FileFailure>, now: UnixMillis) {
        let result = self.flow.handle_file(id, contents, now);
        self.note(result);
    }

    fn token(&mut self, _: Result<AccessToken, TokenError>, _: UnixMillis) {}
}

impl Drivable for Driven<ComponentArmFlow> {
    type Output = Result<ArmOutcome, ComponentError>;

    fn step(&mut self, now: UnixMillis) -> Step<Self::Output> {
        if let Some(e) = self.failed.take() {
            return Step::Done(Err(e));
        }
        match self.flow.poll(now) {
            Ok(ArmAction::Send(out)) => Step::Send(out),
            Ok(ArmAction::WaitUntil(t)) => Step::Wait(t),
            Ok(ArmAction::NeedToken { resource, refresh }) => Step::NeedToken { resource, refresh },
            Ok(ArmAction::Done(result)) => Step::Done(result.map_err(Into::into)),
            Err(e) => Step::Done(Err(e)),
        }
    }

    fn answer(
        &mut self,
        id: RequestId,
        answer: Result<http::Response<Vec<u8>>, TransportFailure>,
        now: UnixMillis,
    ) {
        let result = match answer {
            Ok(resp) => self.flow.handle_response(id, &resp, now),
            Err(e) => self.flow.handle_transport_error(id, &e, now),
        };
        self.note(result);
    }

    fn file(&mut self, _: RequestId, _: Result<Vec<u8>, FileFailure>, _: UnixMillis) {}

    fn token(&mut self, token: Result<AccessToken, TokenError>, now: UnixMillis) {
        let result = self.flow.handle_token(&token, now);
        self.note(result);
    }
}
