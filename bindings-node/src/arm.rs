//! `ArmClient`: Azure Resource Manager over the core's ARM flows (paging, long-running
//! operations, throttling and 401 refresh decided there), on worker threads.

use std::ops::ControlFlow;

use azmi_core::{ArmOperation, ArmOutcome, ArmRequest};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::{Map, Value};

use crate::credential::ManagedIdentityCredential;
use crate::errors::{arm_failure, config_failure};
use crate::json::{from_js, Json};
use crate::options;
use crate::progress::{self, Reporter};
use crate::thread::spawn_settled;

/// Which Resource Manager (the TypeScript shape; the core's `Options` reads it and refuses any
/// other key): a cloud by name, or an endpoint with its token audience (the emulator's, a private
/// cloud's). None: `AZMI_ARM_ENDPOINT` from the credential's environment, else the public
/// cloud. `deadlineMs` bounds each operation, polling included.
#[napi(object)]
pub struct ArmClientOptions {
    /// `public`, `us_government` or `china`.
    pub cloud: Option<String>,
    /// Resource Manager's URL (https, or http on loopback); with `armResource`.
    pub arm_endpoint: Option<String>,
    /// The token audience for `armEndpoint`.
    pub arm_resource: Option<String>,
    /// Each operation's overall deadline in milliseconds, polling of a long-running one
    /// included (600,000 by default; at most a day).
    pub deadline_ms: Option<f64>,
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
        options: Option<Unknown>,
    ) -> Result<Self> {
        let (cloud, limits) = options
            .map(|o| options::from_js_options(o, &[]))
            .transpose()
            .and_then(options::arm)
            .and_then(|o| Ok((o.cloud(&credential.inner.snapshot())?, options::arm_limits(&o)?)))
            .map_err(|e| config_failure(&e).into_error(&env))?;
        let inner = azmi_host::ArmClient::new(credential.inner.clone(), cloud).with_config(limits);
        Ok(ArmClient { inner })
    }

    /// Every subscription the identity can see.
    #[napi(catch_unwind, ts_return_type = "Promise<any[]>")]
    pub fn list_subscriptions<'env>(&self, env: &'env Env) -> Result<Object<'env>> {
        self.call(env, ArmOperation::ListSubscriptions {}, None)
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
        self.call(env, operation, None)
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
        self.call(env, operation, None)
    }

    /// Deletes a resource group and waits until ARM says it is gone; resolves to ARM's last
    /// answer (the operation's final status, when ARM sends one). `onProgress` hears each poll.
    #[napi(
        catch_unwind,
        ts_args_type = "subscriptionId: string, name: string, options?: ArmOperationOptions",
        ts_return_type = "Promise<any>"
    )]
    pub fn delete_resource_group<'env>(
        &self,
        env: &'env Env,
        subscription_id: String,
        name: String,
        options: Option<Object<'env>>,
    ) -> Result<Object<'env>> {
        let operation =
            ArmOperation::DeleteResourceGroup { subscription_id, name, force_deletion_types: None };
        self.call(env, operation, progress::from_options(options.as_ref())?)
    }

    /// Any ARM request: `method` on `path` (from `/subscriptions/...`, with a query if needed,
    /// or a full URL on the client's endpoint) with `api-version`; resolves to the response
    /// body, with `paged` to every item of every page (following `nextLink`), with `lro` to the
    /// end of a long-running operation (`onProgress` hears each poll).
    #[napi(
        catch_unwind,
        ts_args_type = "method: string, path: string, apiVersion: string, body?: any, options?: ArmRequestOptions",
        ts_return_type = "Promise<any>"
    )]
    pub fn request<'env>(
        &self,
        env: &'env Env,
        method: String,
        path: String,
        api_version: String,
        body: Option<Value>,
        options: Option<Object<'env>>,
    ) -> Result<Object<'env>> {
        let flag = |key: &str| -> Result<bool> {
            let Some(o) = options.as_ref() else { return Ok(false) };
            Ok(o.get_named_property::<Option<bool>>(key)?.unwrap_or(false))
        };
        let operation = ArmOperation::Generic {
            method,
            path,
            api_version,
            body: body.map(from_js),
            paged: flag("paged")?,
            long_running: flag("lro")?,
        };
        self.call(env, operation, progress::from_options(options.as_ref())?)
    }

    /// Runs `operation` on a thread of its own (ARM operations may poll for long), telling
    /// `progress` about each poll; the promise settles on the event loop with the outcome's
    /// natural value (`ArmOutcome::into_value`, the same on every surface).
    fn call<'env>(
        &self,
        env: &'env Env,
        operation: ArmOperation,
        progress: Option<progress::Callback>,
    ) -> Result<Object<'env>> {
        let client = self.inner.clone();
        let work = move || {
            let request = ArmRequest::new(operation).map_err(|e| arm_failure(&e))?;
            let outcome = match progress {
                None => client.execute(&request),
                Some(callback) => {
                    let mut reporter = Reporter::new(callback);
                    match client.execute_observed(&request, |p| reporter.hear(p)) {
                        ControlFlow::Continue(outcome) => outcome,
                        ControlFlow::Break(()) => return Err(progress::stopped()),
                    }
                }
            };
            outcome.map(ArmOutcome::into_value).map_err(|e| arm_failure(&e))
        };
        let promise = spawn_settled(env, "azmi-arm", "ARM", work, |env, outcome| {
            outcome.map(Json).map_err(|f| f.into_error(env))
        })?;
        Ok(Object::from_raw(env.raw(), promise.raw()))
    }
}

/// The options of a long-running operation (the TypeScript shape).
#[napi(object)]
pub struct ArmOperationOptions {
    /// Called after each poll, before the wait for the next; what it throws stops the operation
    /// (no further request) and the call rejects with it.
    #[napi(ts_type = "(progress: ArmProgress) => void")]
    pub on_progress: Option<Value>,
}

/// The options of `request` (the TypeScript shape).
#[napi(object)]
pub struct ArmRequestOptions {
    /// A list: resolve to every item of every page (ARM's `value` arrays, following `nextLink`)
    /// instead of the first page's body.
    pub paged: Option<bool>,
    /// A long-running operation (`PUT`, `PATCH`, `POST`, `DELETE` answered 201/202): poll it to
    /// its end and resolve to the final answer.
    pub lro: Option<bool>,
    /// With `lro`: called after each poll, as for `deleteResourceGroup`.
    #[napi(ts_type = "(progress: ArmProgress) => void")]
    pub on_progress: Option<Value>,
}
