//! `ArmClient`: Azure Resource Manager over the core's ARM flows (paging, long-running
//! operations, throttling and 401 refresh decided there), on worker threads.

use azmi_core::{ArmOutcome, ArmRequest};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;

use crate::credential::ManagedIdentityCredential;
use crate::errors::{arm_failure, config_failure, guard, Failure};
use crate::json::{from_js, Json};
use crate::options;

/// Which Resource Manager (the TypeScript shape; the core's `Options` reads it and refuses any
/// other key): a cloud by name, or an endpoint with its token audience (the emulator's, a private
/// cloud's). None: the public cloud.
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
            .and_then(|o| o.cloud())
            .map_err(|e| config_failure(&e).named("Error").into_error(&env))?;
        Ok(ArmClient { inner: azmi_host::ArmClient::new(credential.inner.clone(), cloud) })
    }

    /// Every subscription the identity can see.
    #[napi(catch_unwind, ts_return_type = "Promise<any[]>")]
    pub fn list_subscriptions<'env>(&self, env: &'env Env) -> Result<Object<'env>> {
        self.call(env, Op::Subscriptions)
    }

    /// Every resource group of a subscription.
    #[napi(catch_unwind, ts_return_type = "Promise<any[]>")]
    pub fn list_resource_groups<'env>(
        &self,
        env: &'env Env,
        subscription_id: String,
    ) -> Result<Object<'env>> {
        self.call(env, Op::Groups(subscription_id))
    }

    /// Creates or updates a resource group; resolves to it.
    #[napi(catch_unwind, ts_return_type = "Promise<any>")]
    pub fn create_resource_group<'env>(
        &self,
        env: &'env Env,
        subscription_id: String,
        name: String,
        location: String,
        tags: Option<serde_json::Map<String, Value>>,
    ) -> Result<Object<'env>> {
        self.call(env, Op::Create { subscription_id, name, location, tags })
    }

    /// Deletes a resource group and waits until ARM says it is gone.
    #[napi(catch_unwind, ts_return_type = "Promise<void>")]
    pub fn delete_resource_group<'env>(
        &self,
        env: &'env Env,
        subscription_id: String,
        name: String,
    ) -> Result<Object<'env>> {
        self.call(env, Op::Delete { subscription_id, name })
    }

    /// Any ARM request: `method` on `path` (from `/subscriptions/...`) with `api-version`; lists
    /// resolve to their items (every page), others to the response body.
    #[napi(catch_unwind, ts_return_type = "Promise<any>")]
    pub fn request<'env>(
        &self,
        env: &'env Env,
        method: String,
        path: String,
        api_version: String,
        body: Option<Value>,
    ) -> Result<Object<'env>> {
        self.call(env, Op::Generic { method, path, api_version, body: body.map(from_js) })
    }

    /// Runs `op` on a thread of its own (ARM operations are few and may poll for long, so they
    /// do not hold libuv's small worker pool); the promise settles on the event loop.
    fn call<'env>(&self, env: &'env Env, op: Op) -> Result<Object<'env>> {
        let (deferred, promise) = env.create_deferred::<Json, Settle>()?;
        let client = self.inner.clone();
        std::thread::Builder::new()
            .name("azmi-arm".into())
            .spawn(move || {
                let result = guard(|| run(&client, &op));
                deferred
                    .resolve(Box::new(move |env| result.map(Json).map_err(|f| f.into_error(&env))));
            })
            .map_err(|e| Error::from_reason(format!("cannot start a thread for ARM: {e}")))?;
        Ok(promise)
    }
}

type Settle = Box<dyn FnOnce(Env) -> Result<Json> + Send>;

enum Op {
    Subscriptions,
    Groups(String),
    Create {
        subscription_id: String,
        name: String,
        location: String,
        tags: Option<serde_json::Map<String, Value>>,
    },
    Delete {
        subscription_id: String,
        name: String,
    },
    Generic {
        method: String,
        path: String,
        api_version: String,
        body: Option<Value>,
    },
}

fn run(c: &azmi_host::ArmClient, op: &Op) -> std::result::Result<Value, Failure> {
    let result = match op {
        Op::Subscriptions => c.list_subscriptions().map(Value::Array),
        Op::Groups(sub) => c.list_resource_groups(sub).map(Value::Array),
        Op::Create { subscription_id, name, location, tags } => {
            c.create_resource_group(subscription_id, name, location, tags.as_ref())
        }
        Op::Delete { subscription_id, name } => {
            c.delete_resource_group(subscription_id, name, |_| {}).map(|_| Value::Null)
        }
        Op::Generic { method, path, api_version, body } => {
            ArmRequest::generic(method, path, api_version, body.clone())
                .and_then(|r| c.execute(&r))
                .map(outcome)
        }
    };
    result.map_err(|e| arm_failure(&e))
}

fn outcome(o: ArmOutcome) -> Value {
    match o {
        ArmOutcome::Response(r) => r.body,
        ArmOutcome::Items { items, .. } => Value::Array(items),
        ArmOutcome::Exists { exists, .. } => Value::Bool(exists),
        other => Value::String(format!("{other:?}")),
    }
}
