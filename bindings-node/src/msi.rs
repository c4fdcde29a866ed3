//! ms-rest-nodeauth's `loginWithVmMSI` / `loginWithAppServiceMSI`: credentials with
//! `getToken()` (a token response with `tokenType` and `accessToken`) and
//! `signRequest(webResource)` (sets `authorization` on an ms-rest-js `WebResource`). Unlike
//! ms-rest-nodeauth, tokens are cached (and shared by concurrent callers) by the core.

use std::sync::Arc;

use azmi_core::compat::nodeauth;
use azmi_core::{ConfigError, Naming, Options, Resource};
use azmi_host::EnvSource;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::{Map, Value};

use crate::credential::fetch;
use crate::errors::{config_failure, token_failure, Failure};
use crate::json::from_js;
use crate::options::{only, text};
use crate::own;

/// ms-rest-nodeauth's `MSIVmOptions` (the TypeScript shape; other keys are refused).
/// `apiVersion`, `httpMethod` and `httpClient` are accepted and ignored: azmi's core decides the
/// request.
#[napi(object)]
pub struct MsiVmOptions {
    /// The audience; default `https://management.azure.com/`.
    pub resource: Option<String>,
    /// Only IMDS's own URL is accepted (set `AZURE_POD_IDENTITY_AUTHORITY_HOST` to move IMDS).
    pub msi_endpoint: Option<String>,
    /// Ignored.
    pub api_version: Option<String>,
    /// Ignored.
    pub http_method: Option<String>,
    /// Ignored.
    #[napi(ts_type = "unknown")]
    pub http_client: Option<Value>,
    /// A user-assigned identity's client id.
    pub client_id: Option<String>,
    /// A user-assigned identity's object id.
    pub object_id: Option<String>,
    /// A user-assigned identity's ARM resource id.
    pub identity_id: Option<String>,
}

/// ms-rest-nodeauth's `MSIAppServiceOptions` (the TypeScript shape; other keys are refused).
/// Without `msiEndpoint` / `msiSecret` the environment is read at each request (App Service 2019
/// `IDENTITY_ENDPOINT` / `IDENTITY_HEADER`, or 2017 `MSI_ENDPOINT` / `MSI_SECRET`);
/// `msiApiVersion` and `httpClient` are ignored.
#[napi(object)]
pub struct MsiAppServiceOptions {
    /// The audience; default `https://management.azure.com/`.
    pub resource: Option<String>,
    /// The 2017-09-01 endpoint (instead of `MSI_ENDPOINT`).
    pub msi_endpoint: Option<String>,
    /// Its secret (instead of `MSI_SECRET`).
    pub msi_secret: Option<String>,
    /// Ignored.
    pub msi_api_version: Option<String>,
    /// Ignored.
    #[napi(ts_type = "unknown")]
    pub http_client: Option<Value>,
    /// A user-assigned identity's client id.
    pub client_id: Option<String>,
}

/// ms-rest-nodeauth's keys for `loginWithVmMSI` (snake_case; `identityId` is its name for the
/// core's `resourceId`).
const VM_KEYS: &[&str] = &[
    "resource",
    "msi_endpoint",
    "api_version",
    "http_method",
    "http_client",
    "client_id",
    "object_id",
    "identity_id",
];
/// ms-rest-nodeauth's keys for `loginWithAppServiceMSI`.
const APP_SERVICE_KEYS: &[&str] =
    &["resource", "msi_endpoint", "msi_secret", "msi_api_version", "http_client", "client_id"];

/// Logs in with the VM's managed identity (IMDS): fetches a token, then resolves to credentials
/// (and calls `callback` with them, ms-rest-nodeauth's other form, when one is given).
#[napi(
    js_name = "loginWithVmMSI",
    catch_unwind,
    ts_args_type = "options?: MsiVmOptions | ((error: Error | null, credentials?: MSIVmTokenCredentials) => void), callback?: (error: Error | null, credentials?: MSIVmTokenCredentials) => void",
    ts_return_type = "Promise<MSIVmTokenCredentials>"
)]
pub fn login_with_vm_msi<'env>(
    env: &'env Env,
    options: Option<Unknown<'env>>,
) -> Result<PromiseRaw<'env, MsiTokenCredentials>> {
    login(env, login_options(options).and_then(vm_credentials))
}

/// Logs in with an App Service (or Functions) managed identity: fetches a token, then resolves to
/// credentials (and calls `callback` with them when one is given).
#[napi(
    js_name = "loginWithAppServiceMSI",
    catch_unwind,
    ts_args_type = "options?: MsiAppServiceOptions | ((error: Error | null, credentials?: MSIAppServiceTokenCredentials) => void), callback?: (error: Error | null, credentials?: MSIAppServiceTokenCredentials) => void",
    ts_return_type = "Promise<MSIAppServiceTokenCredentials>"
)]
pub fn login_with_app_service_msi<'env>(
    env: &'env Env,
    options: Option<Unknown<'env>>,
) -> Result<PromiseRaw<'env, MsiTokenCredentials>> {
    login(env, login_options(options).and_then(app_service_credentials))
}

/// `new MSIVmTokenCredentials(options?)` (index.js gives it its class): the credentials
/// `loginWithVmMSI` resolves to, built without a request.
#[napi(js_name = "msiVmCredentials", catch_unwind, skip_typescript)]
pub fn msi_vm_credentials(env: &Env, options: Option<Unknown<'_>>) -> Result<MsiTokenCredentials> {
    login_options(options).and_then(vm_credentials).map_err(|f| f.into_error(env))
}

/// `new MSIAppServiceTokenCredentials(options?)`: throws, as ms-rest-nodeauth's constructor
/// did, where no App Service endpoint is given or set.
#[napi(js_name = "msiAppServiceCredentials", catch_unwind, skip_typescript)]
pub fn msi_app_service_credentials(
    env: &Env,
    options: Option<Unknown<'_>>,
) -> Result<MsiTokenCredentials> {
    login_options(options).and_then(app_service_credentials).map_err(|f| f.into_error(env))
}

/// `loginWithVmMSI`'s credentials: ms-rest-nodeauth's VM options, read by the core.
fn vm_credentials(options: Value) -> std::result::Result<MsiTokenCredentials, Failure> {
    let built = (|| {
        let (mut base, extra) = nodeauth_options(options, VM_KEYS)?;
        // ms-rest-nodeauth's name for the ARM resource id selector.
        base.resource_id = text(&extra, "identity_id")?;
        let msi_endpoint = text(&extra, "msi_endpoint")?;
        let cfg = nodeauth::vm_options(msi_endpoint.as_deref(), base)?.config()?;
        let credential = azmi_host::ManagedIdentityCredential::new(cfg);
        Ok(MsiTokenCredentials { credential, resource: resource(&extra)? })
    })();
    built.map_err(|e: ConfigError| config_failure(&e))
}

/// `loginWithAppServiceMSI`'s credentials, where the environment or the options give an App
/// Service endpoint (else `unavailable`).
fn app_service_credentials(options: Value) -> std::result::Result<MsiTokenCredentials, Failure> {
    let built = (|| {
        let (base, extra) = nodeauth_options(options, APP_SERVICE_KEYS)?;
        let (endpoint, secret) = (text(&extra, "msi_endpoint")?, text(&extra, "msi_secret")?);
        let (options, fixed) = nodeauth::app_service_options(
            endpoint.as_deref(),
            secret.as_deref(),
            azmi_host::process_env(),
            base,
        )?;
        let env = fixed.map_or(EnvSource::Process, EnvSource::Fixed);
        let credential = azmi_host::ManagedIdentityCredential::with_env(options.config()?, env);
        Ok(MsiTokenCredentials { credential, resource: resource(&extra)? })
    })();
    let credentials = built.map_err(|e: ConfigError| config_failure(&e))?;
    nodeauth::check_app_service(&credentials.credential.detection())
        .map_err(|e| token_failure(&e))?;
    Ok(credentials)
}

/// A login's options object as JSON. `httpClient` (an ms-rest-js `HttpClient`, an object with
/// methods, which JSON cannot hold) is left out: azmi's core makes the requests.
fn login_options(options: Option<Unknown<'_>>) -> std::result::Result<Value, Failure> {
    let Some(options) = options else { return Ok(Value::Null) };
    crate::options::from_js_options(options, &["httpClient"]).map_err(|e| config_failure(&e))
}

/// The core's options from a login's options object (only `keys`, ms-rest-nodeauth's), and the
/// keys the core's options do not have, apart.
fn nodeauth_options(
    options: Value,
    keys: &[&'static str],
) -> std::result::Result<(Options, Map<String, Value>), ConfigError> {
    let object = from_js(options);
    only(&object, keys)?;
    let extra: Vec<&'static str> =
        keys.iter().copied().filter(|k| !Options::KEYS.contains(k)).collect();
    Options::from_json_with(object, Naming::Camel, &extra)
}

fn resource(extra: &Map<String, Value>) -> std::result::Result<Resource, ConfigError> {
    let given = text(extra, "resource")?;
    Resource::new(given.as_deref().unwrap_or(nodeauth::DEFAULT_RESOURCE))
}

fn login<'env>(
    env: &'env Env,
    built: std::result::Result<MsiTokenCredentials, Failure>,
) -> Result<PromiseRaw<'env, MsiTokenCredentials>> {
    match built {
        // The first token is fetched now; the credentials come with it.
        Ok(credentials) => {
            let (credential, resource) =
                (credentials.credential.clone(), credentials.resource.clone());
            fetch(env, &credential, resource, None, move |env, outcome| {
                outcome.map(|_| credentials).map_err(|f| f.into_error(env))
            })
        }
        Err(f) => PromiseRaw::reject(env, f.into_error(env)),
    }
}

/// ms-rest-nodeauth's `MSITokenCredentials`: the methods of `MSIVmTokenCredentials` and
/// `MSIAppServiceTokenCredentials` (index.js's subclasses, whose prototypes its instances get).
#[napi]
pub struct MsiTokenCredentials {
    credential: azmi_host::ManagedIdentityCredential,
    resource: Resource,
}

#[napi]
impl MsiTokenCredentials {
    /// The audience tokens are requested for.
    #[napi(getter, js_name = "resource")]
    pub fn resource_name(&self) -> String {
        self.resource.as_str().to_owned()
    }

    /// A token response (`tokenType`, `accessToken`, `expiresOn`, `resource`), from the cache
    /// when it is fresh.
    #[napi(catch_unwind, ts_return_type = "Promise<MsiTokenResponse>")]
    pub fn get_token<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, ResponseValue>> {
        fetch(env, &self.credential, self.resource.clone(), None, |env, outcome| {
            outcome.map(ResponseValue).map_err(|f| f.into_error(env))
        })
    }

    /// Sets `authorization: <tokenType> <accessToken>` on an ms-rest-js `WebResource` (anything
    /// with `headers.set(name, value)`) and resolves to it.
    #[napi(
        catch_unwind,
        ts_args_type = "webResource: { headers: { set(name: string, value: string): void } }",
        ts_return_type = "Promise<any>"
    )]
    pub fn sign_request<'env>(
        &self,
        env: &'env Env,
        web_resource: Object<'env>,
    ) -> Result<PromiseRaw<'env, ObjectRef<false>>> {
        if let Some(token) = self.credential.cached(&self.resource) {
            authorize(&web_resource, &token)?;
            let promise = PromiseRaw::resolve(env, web_resource)?;
            return Ok(PromiseRaw::new(env.raw(), promise.raw()));
        }
        // Held until the request settles, then handed back (or released) on the event loop.
        let held: ObjectRef<false> = web_resource.create_ref()?;
        fetch(env, &self.credential, self.resource.clone(), None, move |env, outcome| {
            let signed = outcome
                .map_err(|f| f.into_error(env))
                .and_then(|token| authorize(&held.get_value(env)?, &token));
            match signed {
                Ok(()) => Ok(held),
                Err(e) => {
                    held.unref(env)?;
                    Err(e)
                }
            }
        })
    }

    /// What `JSON.stringify` shows: no secret.
    #[napi(js_name = "toJSON")]
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "resource": self.resource.as_str(),
            "source": self.credential.detection().source.as_str(),
        })
    }
}

fn authorize(web_resource: &Object<'_>, token: &azmi_core::AccessToken) -> Result<()> {
    let headers: Object = web_resource.get_named_property("headers")?;
    let set: Function<FnArgs<(String, String)>, Unknown> = headers.get_named_property("set")?;
    let value = format!("{} {}", token.token_type, token.secret());
    set.apply(headers, ("authorization".to_owned(), value).into())?;
    Ok(())
}

/// ms-rest-nodeauth's token response (`MSITokenResponse`): `tokenType`, `accessToken`,
/// `expiresOn` (a `Date`: when the endpoint says the token expires), `expiresIn` (seconds left),
/// `notBefore` (unix seconds, when the endpoint said) and `resource`. Only `accessToken` gives
/// the secret; `toJSON` and `util.inspect` leave it out.
#[napi]
pub struct MsiTokenResponse {
    inner: Arc<azmi_core::AccessToken>,
}

impl own::Secret for MsiTokenResponse {
    fn secret(&self) -> &str {
        self.inner.secret()
    }
}

/// A token response as JavaScript gets it: the class instance, with its fields also as own
/// enumerable properties, as on ms-rest-nodeauth's plain object (see [`own`](crate::own));
/// `expiresIn` as at the response, as ms-rest-nodeauth gave the endpoint's.
#[doc(hidden)]
pub struct ResponseValue(Arc<azmi_core::AccessToken>);

impl ToNapiValue for ResponseValue {
    unsafe fn to_napi_value(raw_env: sys::napi_env, value: Self) -> Result<sys::napi_value> {
        let response = MsiTokenResponse { inner: value.0 };
        let env = Env::from_raw(raw_env);
        let mut fields = vec![
            ("tokenType", env.create_string(&response.inner.token_type)?.to_unknown()),
            ("expiresOn", response.expires_on(&env)?.to_unknown()),
            ("expiresIn", env.create_double(response.expires_in())?.to_unknown()),
        ];
        if let Some(not_before) = response.not_before() {
            fields.push(("notBefore", env.create_double(not_before)?.to_unknown()));
        }
        if let Some(resource) = &response.inner.resource {
            fields.push(("resource", env.create_string(resource)?.to_unknown()));
        }
        let instance = MsiTokenResponse::to_napi_value(raw_env, response)?;
        own::define::<MsiTokenResponse>(raw_env, instance, "accessToken", &fields)?;
        Ok(instance)
    }
}

#[napi]
impl MsiTokenResponse {
    /// The bearer token itself.
    #[napi(getter)]
    pub fn access_token(&self) -> &str {
        self.inner.secret()
    }

    /// `Bearer`.
    #[napi(getter)]
    pub fn token_type(&self) -> String {
        self.inner.token_type.clone()
    }

    /// When the token stops working, as the endpoint said.
    #[napi(getter, ts_return_type = "Date")]
    pub fn expires_on<'env>(&self, env: &'env Env) -> Result<napi::JsDate<'env>> {
        env.create_date(self.inner.expires_on.0 as f64)
    }

    /// Seconds until the token stops working (from now; 0 once it has).
    #[napi(getter)]
    pub fn expires_in(&self) -> f64 {
        (self.inner.expires_on.0.saturating_sub(azmi_host::now().0) / 1000) as f64
    }

    /// When the token starts working, unix seconds, if the endpoint said.
    #[napi(getter)]
    pub fn not_before(&self) -> Option<f64> {
        self.inner.not_before.map(|t| (t.0 / 1000) as f64)
    }

    /// The audience.
    #[napi(getter)]
    pub fn resource(&self) -> Option<String> {
        self.inner.resource.clone()
    }

    /// Everything but the secret (`expiresOn` as `JSON.stringify` writes a `Date`).
    #[napi(js_name = "toJSON")]
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "accessToken": "***",
            "tokenType": self.inner.token_type,
            "expiresOn": iso_8601(self.inner.expires_on.0),
            "expiresIn": self.expires_in(),
            "notBefore": self.not_before(),
            "resource": self.inner.resource,
        })
    }
}

/// `Date.prototype.toISOString`'s form of unix milliseconds (`2026-12-06T10:14:06.000Z`).
fn iso_8601(millis: u64) -> Option<String> {
    let at = chrono::DateTime::from_timestamp_millis(i64::try_from(millis).ok()?)?;
    Some(at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}
