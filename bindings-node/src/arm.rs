//! `ArmClient`: Azure Resource Manager over the core's ARM flows (paging, long-running
//! operations, throttling and 401 refresh decided there), on worker threads.

use azmi_core::{ArmOperation, ArmOutcome, ArmRequest};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::{Map, Value};

use crate::credential::ManagedIdentityCredential;
use crate::errors::{arm_failure, config_failure};
use crate::json::{from_js, Json};
use crate::options;
use crate::thread::spawn_settled;

/// Which Resource Manager (the TypeScript shape; the core's `Options` reads it and refuses any
/// other key): a cloud by name, or an endpoint with its token audience (the emulator's, a private
/// cloud's). None: `AZMI_ARM_ENDPOINT` from the credential's environment, else the public
/// cloud.
#[napi(object)]
pub struct ArmClientOptions {
    /// `public`, `us_government` or `china`.
    pub cloud: Option<String>,
    /// Resource Manager's URL (https, or http on loopback); with `armResource`.
    pub arm_endpoint: Option<String>,
    /// The token audience for `armEndpoint`.
    pub arm_resource: Option<String>,
}

/// Calls Azure Resource Manager as a managed identity. Results are plain JSON values.
#[napi]
pub struct ArmClient {
    inner: azmi_host::ArmClient,
}

#[napi]
impl ArmClient {
    /// A client for a cloud, with tokens from `credential` (its cache is shared).
    #[napi(
        constructor,
        catch_unwind,
        ts_args_type = "credential: ManagedIdentityCredential, options?: ArmClientOptions"
    )]
    pub fn new(
        env: Env,
        credential: &ManagedIdentityCredential,
        options: Option<Value>,
    ) -> Result<Self> {
        let cloud = options::arm(options)
            .and_then(|o| o.cloud(&credential.inner.snapshot()))
            .map_err(|e| config_failure(&e).named("Error").into_error(&env))?;
        Ok(ArmClient { inner: azmi_host::ArmClient::new(credential.inner.clone(), cloud) })
    }

    /// Every subscription the identity can see.
    #[napi(catch_unwind, ts_return_type = "Promise<any[]>")]
    pub fn list_subscriptions<'env>(&self, env: &'env Env) -> Result<Object<'env>> {
        self.call(env, ArmOperation::ListSubscriptions {})
    }

    /// Every resource group of a subscription.
    #[napi(catch_unwind, ts_return_type = "Promise<any[]>")]
    pub fn list_resource_groups<'env>(
        &self,
        env: &'env Env,
        subscription_id: String,
    ) -> Result<Object<'env>> {
        let operation =
            ArmOperation::ListResourceGroups { subscription_id, filter: None, top: None };
        self.call(env, operation)
    }

    /// Creates or updates a resource group; resolves to it.
    #[napi(catch_unwind, ts_return_type = "Promise<any>")]
    pub fn create_resource_group<'env>(
        &self,
        env: &'env Env,
        subscription_id: String,
        name: String,
        location: String,
        tags: Option<Map<String, Value>>,
    ) -> Result<Object<'env>> {
        let tags = tags.map(|t| t.into_iter().map(|(k, v)| (k, from_js(v))).collect());
        let operation =
            ArmOperation::CreateOrUpdateResourceGroup { subscription_id, name, location, tags };
        self.call(env, operation)
    }

    /// Deletes a resource group and waits until ARM says it is gone; resolves to ARM's last
    /// answer (the operation's final status, when ARM sends one).
    #[napi(catch_unwind, ts_return_type = "Promise<any>")]
    pub fn delete_resource_group<'env>(
        &self,
        env: &'env Env,
        subscription_id: String,
        name: String,
    ) -> Result<Object<'env>> {
        let operation =
            ArmOperation::DeleteResourceGroup { subscription_id, name, force_deletion_types: None };
        self.call(env, operation)
    }

    /// Any single ARM request: `method` on `path` (from `/subscriptions/...`) with
    /// `api-version`; resolves to the response body.
    #[napi(catch_unwind, ts_return_type = "Promise<any>")]
    pub fn request<'env>(
        &self,
        env: &'env Env,
        method: String,
        path: String,
        api_version: String,
        body: Option<Value>,
    ) -> Result<Object<'env>> {
        let body = body.map(from_js);
        let operation = ArmOperation::Generic {
            method,
            path,
            api_version,
            body,
            paged: false,
            long_running: false,
        };
        self.call(env, operation)
    }

    /// Runs `operation` on a thread of its own (ARM operations may poll for long); the promise
    /// settles on the event loop with the outcome's natural value (`ArmOutcome::into_value`,
    /// the same on every surface).
    fn call<'env>(&self, env: &'env Env, operation: ArmOperation) -> Result<Object<'env>> {
        let client = self.inner.clone();
        let work = move || {
            ArmRequest::new(operation)
                .and_then(|request| client.execute(&request))
                .map(ArmOutcome::into_value)
                .map_err(|e| arm_failure(&e))
        };
        let promise = spawn_settled(env, "azmi-arm", "ARM", work, |env, outcome| {
            outcome.map(Json).map_err(|f| f.into_error(env))
        })?;
        Ok(Object::from_raw(env.raw(), promise.raw()))
    }
}
