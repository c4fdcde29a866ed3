//! ms-rest-nodeauth's `loginWithVmMSI` / `loginWithAppServiceMSI`: credentials with
//! `getToken()` (a token response with `tokenType` and `accessToken`) and
//! `signRequest(webResource)` (sets `authorization` on an ms-rest-js `WebResource`). Unlike
//! ms-rest-nodeauth, tokens are cached (and shared by concurrent callers) by the core.

use std::sync::Arc;

use azmi_core::{Config, Identity, Resource, SourceKind};
use azmi_host::EnvSource;
use napi::bindgen_prelude::*;
use napi::ScopedTask;
use napi_derive::napi;

use crate::errors::{config_failure, guard, token_failure, Failure};

/// ms-rest-nodeauth's default audience for both login functions.
const DEFAULT_RESOURCE: &str = "https://management.azure.com/";
/// The only `msiEndpoint` `loginWithVmMSI` takes: IMDS's own (azmi moves IMDS with
/// `AZURE_POD_IDENTITY_AUTHORITY_HOST`, as @azure/identity does).
const IMDS_TOKEN_URL: &str = "http://169.254.169.254/metadata/identity/oauth2/token";

/// ms-rest-nodeauth's `MSIVmOptions`. `apiVersion`, `httpMethod` and `httpClient` are accepted
/// and ignored: azmi's core decides the request.
#[napi(object)]
#[derive(Default)]
pub struct MsiVmOptions {
    /// The audience; default `https://management.azure.com/`.
    pub resource: Option<String>,
    /// Only IMDS's own URL is accepted (set `AZURE_POD_IDENTITY_AUTHORITY_HOST` to move IMDS).
    pub msi_endpoint: Option<String>,
    /// Ignored.
    pub api_version: Option<String>,
    /// Ignored.
    pub http_method: Option<String>,
    /// A user-assigned identity's client id.
    pub client_id: Option<String>,
    /// A user-assigned identity's object id.
    pub object_id: Option<String>,
    /// A user-assigned identity's ARM resource id.
    pub identity_id: Option<String>,
}

/// ms-rest-nodeauth's `MSIAppServiceOptions`. Without `msiEndpoint` / `msiSecret` the
/// environment is read at each request (App Service 2019 `IDENTITY_ENDPOINT` /
/// `IDENTITY_HEADER`, or 2017 `MSI_ENDPOINT` / `MSI_SECRET`); `msiApiVersion` is ignored.
#[napi(object)]
#[derive(Default)]
pub struct MsiAppServiceOptions {
    /// The audience; default `https://management.azure.com/`.
    pub resource: Option<String>,
    /// The 2017-09-01 endpoint (instead of `MSI_ENDPOINT`).
    pub msi_endpoint: Option<String>,
    /// Its secret (instead of `MSI_SECRET`).
    pub msi_secret: Option<String>,
    /// Ignored.
    pub msi_api_version: Option<String>,
    /// A user-assigned identity's client id.
    pub client_id: Option<String>,
}

/// Logs in with the VM's managed identity (IMDS): fetches a token, then resolves to credentials.
#[napi(
    js_name = "loginWithVmMSI",
    catch_unwind,
    ts_args_type = "options?: MsiVmOptions",
    ts_return_type = "Promise<MsiTokenCredentials>"
)]
pub fn login_with_vm_msi<'env>(
    env: &'env Env,
    options: Option<MsiVmOptions>,
) -> Result<PromiseRaw<'env, MsiTokenCredentials>> {
    let o = options.unwrap_or_default();
    let built = (|| {
        if let Some(endpoint) = o.msi_endpoint.as_deref() {
            if endpoint.trim_end_matches('/') != IMDS_TOKEN_URL {
                return Err(Failure::new(
                    "Error",
                    "config",
                    format!("msiEndpoint {endpoint:?} is not IMDS; to reach IMDS elsewhere set AZURE_POD_IDENTITY_AUTHORITY_HOST"),
                ));
            }
        }
        let identity = Identity::from_selectors(
            o.client_id.as_deref(),
            o.object_id.as_deref(),
            o.identity_id.as_deref(),
        )
        .map_err(|e| config_failure(&e).named("Error"))?;
        let mut cfg = Config::default();
        cfg.identity = identity;
        cfg.source = Some(SourceKind::Imds);
        cfg.validate().map_err(|e| config_failure(&e).named("Error"))?;
        Ok((azmi_host::ManagedIdentityCredential::new(cfg), resource(o.resource.as_deref())?))
    })();
    login(env, built)
}

/// Logs in with an App Service (or Functions) managed identity: fetches a token, then resolves to
/// credentials.
#[napi(
    js_name = "loginWithAppServiceMSI",
    catch_unwind,
    ts_args_type = "options?: MsiAppServiceOptions",
    ts_return_type = "Promise<MsiTokenCredentials>"
)]
pub fn login_with_app_service_msi<'env>(
    env: &'env Env,
    options: Option<MsiAppServiceOptions>,
) -> Result<PromiseRaw<'env, MsiTokenCredentials>> {
    let o = options.unwrap_or_default();
    let built = (|| {
        let identity = Identity::from_selectors(o.client_id.as_deref(), None, None)
            .map_err(|e| config_failure(&e).named("Error"))?;
        let mut cfg = Config::default();
        cfg.identity = identity;
        let env = if o.msi_endpoint.is_some() || o.msi_secret.is_some() {
            // Explicit values: the 2017 protocol they belong to, with the rest of the process
            // environment.
            let mut snapshot = azmi_host::process_env();
            for (name, value) in [("MSI_ENDPOINT", &o.msi_endpoint), ("MSI_SECRET", &o.msi_secret)]
            {
                if let Some(v) = value {
                    snapshot.set(name, v.as_str());
                }
            }
            cfg.source = Some(SourceKind::AppService2017);
            EnvSource::Fixed(snapshot)
        } else {
            EnvSource::Process
        };
        cfg.validate().map_err(|e| config_failure(&e).named("Error"))?;
        let credential = azmi_host::ManagedIdentityCredential::with_env(cfg, env);
        let source = credential.detection().source;
        if !matches!(source, SourceKind::AppService | SourceKind::AppService2017) {
            return Err(Failure::new(
                "CredentialUnavailableError",
                "unavailable",
                format!("loginWithAppServiceMSI found no App Service endpoint (the environment selects {}); set IDENTITY_ENDPOINT and IDENTITY_HEADER, or MSI_ENDPOINT and MSI_SECRET, or pass msiEndpoint and msiSecret", source.as_str()),
            ));
        }
        Ok((credential, resource(o.resource.as_deref())?))
    })();
    login(env, built)
}

fn resource(given: Option<&str>) -> std::result::Result<Resource, Failure> {
    Resource::new(given.unwrap_or(DEFAULT_RESOURCE)).map_err(|e| config_failure(&e).named("Error"))
}

fn login<'env>(
    env: &'env Env,
    built: std::result::Result<(azmi_host::ManagedIdentityCredential, Resource), Failure>,
) -> Result<PromiseRaw<'env, MsiTokenCredentials>> {
    match built {
        Ok((credential, resource)) => {
            Ok(env.spawn(Login { credential, resource })?.promise_object())
        }
        Err(f) => PromiseRaw::reject(env, f.into_error(env)),
    }
}

/// The first token of a login, on a worker thread.
struct Login {
    credential: azmi_host::ManagedIdentityCredential,
    resource: Resource,
}

impl Task for Login {
    type Output = std::result::Result<(), Failure>;
    type JsValue = MsiTokenCredentials;

    fn compute(&mut self) -> Result<Self::Output> {
        Ok(guard(|| {
            self.credential.get_token_for(&self.resource).map(|_| ()).map_err(|e| token_failure(&e))
        }))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<MsiTokenCredentials> {
        output.map_err(|f| f.into_error(&env))?;
        Ok(MsiTokenCredentials {
            credential: self.credential.clone(),
            resource: self.resource.clone(),
        })
    }
}

/// ms-rest-nodeauth's `MSIVmTokenCredentials` / `MSIAppServiceTokenCredentials`.
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
    pub fn get_token<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, MsiTokenResponse>> {
        if let Some(inner) = self.credential.cached(&self.resource) {
            return PromiseRaw::resolve(env, MsiTokenResponse { inner });
        }
        let task = Fetch { credential: self.credential.clone(), resource: self.resource.clone() };
        Ok(env.spawn(task)?.promise_object())
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
    ) -> Result<PromiseRaw<'env, Object<'env>>> {
        if let Some(token) = self.credential.cached(&self.resource) {
            authorize(&web_resource, &token)?;
            return PromiseRaw::resolve(env, web_resource);
        }
        let task = Sign {
            credential: self.credential.clone(),
            resource: self.resource.clone(),
            web_resource: web_resource.create_ref()?,
        };
        Ok(env.spawn(task)?.promise_object())
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

struct Fetch {
    credential: azmi_host::ManagedIdentityCredential,
    resource: Resource,
}

impl Task for Fetch {
    type Output = std::result::Result<Arc<azmi_core::AccessToken>, Failure>;
    type JsValue = MsiTokenResponse;

    fn compute(&mut self) -> Result<Self::Output> {
        Ok(guard(|| self.credential.get_token_for(&self.resource).map_err(|e| token_failure(&e))))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<MsiTokenResponse> {
        output.map(|inner| MsiTokenResponse { inner }).map_err(|f| f.into_error(&env))
    }
}

struct Sign {
    credential: azmi_host::ManagedIdentityCredential,
    resource: Resource,
    web_resource: ObjectRef,
}

impl<'task> ScopedTask<'task> for Sign {
    type Output = std::result::Result<Arc<azmi_core::AccessToken>, Failure>;
    type JsValue = Object<'task>;

    fn compute(&mut self) -> Result<Self::Output> {
        Ok(guard(|| self.credential.get_token_for(&self.resource).map_err(|e| token_failure(&e))))
    }

    fn resolve(&mut self, env: &'task Env, output: Self::Output) -> Result<Object<'task>> {
        let token = output.map_err(|f| f.into_error(env))?;
        let web_resource = self.web_resource.get_value(env)?;
        authorize(&web_resource, &token)?;
        Ok(web_resource)
    }
}

/// ms-rest-nodeauth's token response. Only `accessToken` gives the secret; `toJSON` and
/// `util.inspect` leave it out.
#[napi]
pub struct MsiTokenResponse {
    inner: Arc<azmi_core::AccessToken>,
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

    /// When the token stops working, unix seconds.
    #[napi(getter)]
    pub fn expires_on(&self) -> f64 {
        (self.inner.expires_on.0 / 1000) as f64
    }

    /// The audience.
    #[napi(getter)]
    pub fn resource(&self) -> Option<String> {
        self.inner.resource.clone()
    }

    /// Everything but the secret.
    #[napi(js_name = "toJSON")]
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "accessToken": "***",
            "tokenType": self.inner.token_type,
            "expiresOn": self.inner.expires_on.0 / 1000,
            "resource": self.inner.resource,
        })
    }
}
