//! `ManagedIdentityCredential`: @azure/core-auth's `TokenCredential` over the host credential.

use std::cell::RefCell;
use std::sync::Arc;

use azmi_core::{Naming, Resource};
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::errors::{aborted, config_failure, throw, token_failure, Failure};
use crate::options;
use crate::own;
use crate::thread::{spawn_settlement, Settlement};

/// The options a credential takes, camelCase (the TypeScript shape; the core's `Options` reads
/// them and refuses any other key). At most one identity selector.
#[napi(object)]
pub struct ManagedIdentityCredentialOptions {
    /// A user-assigned identity's client id.
    pub client_id: Option<String>,
    /// A user-assigned identity's object (principal) id.
    pub object_id: Option<String>,
    /// A user-assigned identity's ARM resource id.
    pub resource_id: Option<String>,
    /// Force a source (`imds`, `app_service`, ... see `sources()`) instead of detecting it.
    pub source: Option<String>,
    /// The legacy VM extension's port (with `source: "legacy_vm_extension"`).
    pub legacy_port: Option<u32>,
    /// The overall budget of one token request, in milliseconds.
    pub deadline_ms: Option<f64>,
    /// The budget of one attempt, in milliseconds.
    pub attempt_timeout_ms: Option<f64>,
    /// The budget of connecting, in milliseconds.
    pub connect_timeout_ms: Option<f64>,
    /// The budget of connecting on the first contact with IMDS, in milliseconds.
    pub probe_timeout_ms: Option<f64>,
    /// Retries after the first attempt.
    pub max_retries: Option<u32>,
    /// The backoff before the first retry, in milliseconds.
    pub initial_delay_ms: Option<f64>,
    /// The largest backoff, in milliseconds.
    pub max_delay_ms: Option<f64>,
    /// The fraction of each backoff shaved off at random, in `[0, 1]`.
    pub jitter: Option<f64>,
    /// The seed of that randomness (the same seed replays the same waits).
    pub seed: Option<f64>,
    /// @azure/identity's retry options, as `maxRetries`, `initialDelayMs` and `maxDelayMs`.
    /// (Its other options, `loggingOptions`, `authorityHost`, `httpClient`, ..., throw with the
    /// reason.)
    #[napi(
        ts_type = "{ maxRetries?: number; retryDelayInMs?: number; maxRetryDelayInMs?: number }"
    )]
    pub retry_options: Option<serde_json::Value>,
}

/// @azure/core-auth's `GetTokenOptions` (the parts a managed identity uses).
#[napi(object)]
pub struct GetTokenOptions {
    /// Abandons the wait: the promise rejects with an `AbortError`, and the request stops
    /// (before its next attempt or during a wait) unless other calls still wait for it.
    #[napi(
        ts_type = "{ readonly aborted: boolean; addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void; removeEventListener(type: 'abort', listener: () => void): void }"
    )]
    pub abort_signal: Option<serde_json::Value>,
    /// Claims from a challenge: the cached token was refused, so a new one is fetched.
    pub claims: Option<String>,
    /// Ignored (a managed identity has one tenant).
    pub tenant_id: Option<String>,
    /// Ignored: `attemptTimeoutMs`, `probeTimeoutMs` and `deadlineMs` bound the requests
    /// (@azure/identity reads `timeout` only for its IMDS probe).
    #[napi(ts_type = "{ timeout?: number }")]
    pub request_options: Option<serde_json::Value>,
    /// Ignored (azmi's events go to @azure/logger, not to tracing spans).
    #[napi(ts_type = "{ tracingContext?: unknown }")]
    pub tracing_options: Option<serde_json::Value>,
    /// Ignored: the endpoints issue the same token either way.
    pub enable_cae: Option<bool>,
}

/// A managed identity credential (@azure/identity compatible). The source (IMDS, App Service,
/// ...) is detected from the environment when it is created; the environment's values are read
/// again for each request (App Service rotates its secret header). Concurrent requests for one
/// scope share one endpoint request.
#[napi(custom_finalize)]
pub struct ManagedIdentityCredential {
    pub(crate) inner: azmi_host::ManagedIdentityCredential,
    /// The last scope's resource (SDK clients ask the same string again and again).
    last_scope: RefCell<Option<(String, Resource)>>,
    /// Per resource, the promise handed out for the token the cache gave for it: while the
    /// cache keeps giving that same token, callers get that same settled promise, whatever
    /// the form of the call. A new token object per cached call would cost native memory that
    /// napi frees only when the event loop turns (a tight `await` loop never lets it), so
    /// alternating scopes, the array form and `getTokenFor` share these too. The cache alone
    /// decides which token is served.
    served: RefCell<Vec<Served>>,
}

/// At most this many resources keep a served promise (the least recently replaced goes).
const SERVED_MAX: usize = 16;

struct Served {
    resource: Resource,
    token: Arc<azmi_core::AccessToken>,
    promise: ObjectRef<false>,
}

impl ObjectFinalize for ManagedIdentityCredential {
    fn finalize(self, env: Env) -> Result<()> {
        for served in self.served.into_inner() {
            served.promise.unref(&env)?;
        }
        Ok(())
    }
}

#[napi]
impl ManagedIdentityCredential {
    /// `new ManagedIdentityCredential()`, `(clientId, options?)` or `(options)`. A key the core
    /// does not know, a bad value or two selectors throw (`code` `config`).
    #[napi(
        constructor,
        catch_unwind,
        ts_args_type = "clientIdOrOptions?: string | ManagedIdentityCredentialOptions, options?: Omit<ManagedIdentityCredentialOptions, 'clientId' | 'objectId' | 'resourceId'>"
    )]
    pub fn new(
        env: Env,
        client_id_or_options: Option<Either<String, Unknown>>,
        options: Option<Unknown>,
    ) -> Result<Self> {
        let cfg = (|| {
            let first = match client_id_or_options {
                Some(Either::B(object)) => Some(Either::B(options::credential_options(object)?)),
                Some(Either::A(client_id)) => Some(Either::A(client_id)),
                None => None,
            };
            let second = options.map(options::credential_options).transpose()?;
            options::credential(first, second)?.config()
        })()
        .map_err(|e| throw(&env, config_failure(&e)))?;
        let inner = azmi_host::ManagedIdentityCredential::new(cfg);
        Ok(ManagedIdentityCredential {
            inner,
            last_scope: RefCell::new(None),
            served: RefCell::new(Vec::new()),
        })
    }

    /// A token for exactly one scope. A fresh cached token resolves at once; otherwise the
    /// request runs on a worker thread.
    #[napi(
        catch_unwind,
        ts_args_type = "scopes: string | string[], options?: GetTokenOptions",
        ts_return_type = "Promise<AccessToken>"
    )]
    pub fn get_token<'env>(
        &self,
        env: &'env Env,
        scopes: Unknown<'env>,
        options: Option<Object<'env>>,
    ) -> Result<PromiseRaw<'env, TokenValue>> {
        let Some(scopes) = scope_list(env, scopes) else {
            let e = azmi_core::ConfigError::InvalidOption {
                key: "scopes".into(),
                problem: "must be a string or an array of strings, such as \
                          https://management.azure.com/.default"
                    .into(),
            };
            return PromiseRaw::reject(env, config_failure(&e).into_error(env));
        };
        let claims = match &options {
            Some(o) => o.get_named_property::<Option<String>>("claims").unwrap_or(None),
            None => None,
        };
        let signal = match &options {
            Some(o) => o.get_named_property::<Option<Object>>("abortSignal").unwrap_or(None),
            None => None,
        };
        let resource = match scopes {
            Either::A(scope) => match self.resource_for(&scope) {
                Ok(r) => r,
                Err(f) => return PromiseRaw::reject(env, f.into_error(env)),
            },
            Either::B(scopes) => match Resource::from_scopes(&scopes) {
                Ok(r) => r,
                Err(e) => return PromiseRaw::reject(env, config_failure(&e).into_error(env)),
            },
        };
        self.inner.apply_claims(&resource, claims.as_deref());
        self.served_or_fetch(env, resource, signal)
    }

    /// A token for a resource (audience), such as `https://management.azure.com/`.
    #[napi(catch_unwind, ts_return_type = "Promise<AccessToken>")]
    pub fn get_token_for<'env>(
        &self,
        env: &'env Env,
        resource: String,
    ) -> Result<PromiseRaw<'env, TokenValue>> {
        match Resource::new(&resource) {
            Ok(r) => self.served_or_fetch(env, r, None),
            Err(e) => PromiseRaw::reject(env, config_failure(&e).into_error(env)),
        }
    }

    /// The source in use (`imds`, `app_service`, ...).
    #[napi(getter)]
    pub fn source(&self) -> &'static str {
        self.inner.detection().source.as_str()
    }

    /// Which source, and why, in one sentence (no secret in it).
    #[napi(catch_unwind)]
    pub fn explain(&self) -> String {
        self.inner.detection().explain()
    }

    /// `clientId`, `objectId`, `resourceId`, or null for the system-assigned identity.
    #[napi(getter)]
    pub fn selector(&self) -> Option<String> {
        let selector = self.inner.config().identity.selector()?;
        Some(Naming::Camel.spell(selector))
    }

    /// Forgets the cached token for a resource (the next request fetches).
    #[napi(catch_unwind)]
    pub fn invalidate(&self, env: Env, resource: String) -> Result<()> {
        let resource = Resource::new(&resource).map_err(|e| throw(&env, config_failure(&e)))?;
        self.inner.invalidate(&resource);
        Ok(())
    }

    /// What `JSON.stringify` shows: the source and selector, never a secret.
    #[napi(js_name = "toJSON")]
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "source": self.source(),
            "selector": self.selector(),
        })
    }
}

/// `getToken`'s first argument as @azure/core-auth types it (`string | string[]`), or `None`
/// for anything else (`undefined`, a number, an array holding a non-string), which the caller
/// turns into a rejected promise as for any other bad scope.
fn scope_list(env: &Env, scopes: Unknown<'_>) -> Option<Either<String, Vec<String>>> {
    // SAFETY: the value belongs to this call's scope on `env`.
    unsafe { Either::<String, Vec<String>>::from_napi_value(env.raw(), scopes.raw()) }.ok()
}

impl ManagedIdentityCredential {
    /// The resource for one scope, remembered for the last scope asked (the same string is
    /// asked again and again by SDK clients).
    fn resource_for(&self, scope: &str) -> std::result::Result<Resource, Failure> {
        let mut last = self.last_scope.borrow_mut();
        if let Some((_, resource)) = last.as_ref().filter(|(s, _)| s == scope) {
            return Ok(resource.clone());
        }
        let resource = Resource::from_scopes(&[scope]).map_err(|e| config_failure(&e))?;
        *last = Some((scope.to_owned(), resource.clone()));
        Ok(resource)
    }

    /// The settled promise already handed out for the cached token of `resource`, a new one
    /// when the cache now gives another token, or a fetch (cancelled by `signal`) when it has
    /// none.
    fn served_or_fetch<'env>(
        &self,
        env: &'env Env,
        resource: Resource,
        signal: Option<Object<'env>>,
    ) -> Result<PromiseRaw<'env, TokenValue>> {
        let Some(token) = self.inner.cached(&resource) else {
            return fetch(env, &self.inner, resource, signal, |env, outcome| {
                outcome.map(TokenValue).map_err(|f| f.into_error(env))
            });
        };
        let mut served = self.served.borrow_mut();
        let at = served.iter().position(|s| s.resource == resource);
        if let Some(s) = at.map(|i| &served[i]).filter(|s| Arc::ptr_eq(&s.token, &token)) {
            return Ok(PromiseRaw::new(env.raw(), s.promise.get_value(env)?.raw()));
        }
        let promise = PromiseRaw::resolve(env, TokenValue(Arc::clone(&token)))?;
        let reference = Object::from_raw(env.raw(), promise.raw()).create_ref::<false>()?;
        let old = match at {
            Some(i) => Some(served.remove(i)),
            None if served.len() >= SERVED_MAX => Some(served.remove(0)),
            None => None,
        };
        served.push(Served { resource, token, promise: reference });
        if let Some(old) = old {
            old.promise.unref(env)?;
        }
        Ok(promise)
    }
}

/// What a token request came to, as JavaScript will hear it: the token, or why not (an
/// `AbortError` when its signal fired).
pub(crate) type Outcome = std::result::Result<Arc<azmi_core::AccessToken>, Failure>;

/// The one way a token request reaches JavaScript: a cached token settles at once, else the
/// request runs on a thread of its own (`spawn_settled`: not libuv's pool, never joined at
/// exit) and settles on the event loop. `settle` turns the outcome into the promise's value
/// there (an `AccessToken`, ms-rest-nodeauth's token response or credentials, a signed
/// `WebResource`); `signal`, an `AbortSignal`, cancels the request.
pub(crate) fn fetch<'env, T, S>(
    env: &'env Env,
    credential: &azmi_host::ManagedIdentityCredential,
    resource: Resource,
    signal: Option<Object<'env>>,
    settle: S,
) -> Result<PromiseRaw<'env, T>>
where
    T: ToNapiValue + 'static,
    S: FnOnce(&Env, Outcome) -> Result<T> + Send + 'static,
{
    if let Some(token) = credential.cached(&resource) {
        return match settle(env, Ok(token)) {
            Ok(value) => PromiseRaw::resolve(env, value),
            Err(e) => PromiseRaw::reject(env, e),
        };
    }
    let cancel = azmi_host::Cancel::new();
    let settlement = Settlement::new();
    let on_abort = {
        let (cancel, settlement) = (cancel.clone(), settlement.clone());
        // The host stops the fetch once every caller gave up; this caller's promise settles
        // now, so an attempt still in flight does not hold the event loop.
        move || {
            cancel.cancel();
            settlement.settle(Err(aborted()));
        }
    };
    let hook = signal.map(|s| AbortHook::attach(env, &s, on_abort)).transpose()?;
    let credential = credential.clone();
    let work = move || match credential.get_token_cancellable(&resource, &cancel) {
        Some(result) => result.map_err(|e| token_failure(&e)),
        None => Err(aborted()),
    };
    let finish = Box::new(move |env: &Env, outcome: Outcome| {
        if let Some(hook) = hook {
            hook.detach(env);
        }
        settle(env, outcome)
    });
    spawn_settlement(env, "azmi-token", "a token request", work, finish, &settlement)
}

/// An `abort` listener on a request's `AbortSignal` that gives the request up; removed when the
/// request settles (a long-lived signal must not collect one listener per request).
struct AbortHook {
    signal: ObjectRef<false>,
    listener: ObjectRef<false>,
}

impl AbortHook {
    fn attach(env: &Env, signal: &Object<'_>, on_abort: impl Fn() + 'static) -> Result<Self> {
        let listener = env.create_function_from_closure::<(), (), _>("cancel", move |_| {
            on_abort();
            Ok(())
        })?;
        let listener = Object::from_raw(env.raw(), listener.raw());
        let add: Function<FnArgs<(&str, Object)>, Unknown> =
            signal.get_named_property("addEventListener")?;
        add.apply(signal, ("abort", listener).into())?;
        Ok(AbortHook { signal: signal.create_ref()?, listener: listener.create_ref()? })
    }

    /// Removes the listener (as far as the signal lets it) and releases both references.
    fn detach(self, env: &Env) {
        let removed = (|| {
            let signal = self.signal.get_value(env)?;
            let listener = self.listener.get_value(env)?;
            let remove: Function<FnArgs<(&str, Object)>, Unknown> =
                signal.get_named_property("removeEventListener")?;
            remove.apply(signal, ("abort", listener).into()).map(|_| ())
        })();
        // A signal whose removeEventListener throws keeps a listener that only sets a flag.
        drop(removed);
        let _ = self.signal.unref(env);
        let _ = self.listener.unref(env);
    }
}

/// An `AccessToken` as JavaScript gets it: the class instance, with @azure/core-auth's four
/// fields also as its own enumerable properties, as on @azure/identity's plain object (see
/// [`own`](crate::own)).
#[doc(hidden)]
pub struct TokenValue(pub(crate) Arc<azmi_core::AccessToken>);

impl ToNapiValue for TokenValue {
    unsafe fn to_napi_value(raw_env: sys::napi_env, value: Self) -> Result<sys::napi_value> {
        let token = value.0;
        let instance =
            AccessToken::to_napi_value(raw_env, AccessToken { inner: Arc::clone(&token) })?;
        let env = Env::from_raw(raw_env);
        let fields = [
            ("expiresOnTimestamp", env.create_double(token.expires_on.0 as f64)?.to_unknown()),
            ("refreshAfterTimestamp", env.create_double(token.refresh_on.0 as f64)?.to_unknown()),
            ("tokenType", env.create_string(&token.token_type)?.to_unknown()),
        ];
        own::define::<AccessToken>(raw_env, instance, "token", &fields)?;
        Ok(instance)
    }
}

/// An access token (@azure/core-auth's `AccessToken`). Only `token` gives the secret; `toJSON`
/// and `util.inspect` leave it out.
#[napi]
pub struct AccessToken {
    pub(crate) inner: Arc<azmi_core::AccessToken>,
}

impl own::Secret for AccessToken {
    fn secret(&self) -> &str {
        self.inner.secret()
    }
}

#[napi]
impl AccessToken {
    /// The bearer token itself: put it in an `Authorization` header, nowhere else.
    #[napi(getter)]
    pub fn token(&self) -> &str {
        self.inner.secret()
    }

    /// When the token stops working, unix milliseconds.
    #[napi(getter)]
    pub fn expires_on_timestamp(&self) -> f64 {
        self.inner.expires_on.0 as f64
    }

    /// When a new token should be fetched, unix milliseconds.
    #[napi(getter)]
    pub fn refresh_after_timestamp(&self) -> f64 {
        self.inner.refresh_on.0 as f64
    }

    /// `Bearer`.
    #[napi(getter, ts_return_type = "'Bearer' | 'pop'")]
    pub fn token_type(&self) -> String {
        self.inner.token_type.clone()
    }

    /// The audience the endpoint says it issued the token for.
    #[napi(getter)]
    pub fn resource(&self) -> Option<String> {
        self.inner.resource.clone()
    }

    /// Everything but the secret.
    #[napi(js_name = "toJSON")]
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "token": "***",
            "expiresOnTimestamp": self.inner.expires_on.0,
            "refreshAfterTimestamp": self.inner.refresh_on.0,
            "tokenType": self.inner.token_type,
            "resource": self.inner.resource,
        })
    }
}
