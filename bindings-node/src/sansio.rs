//! The core's sans-IO flows through `azmi_core::wire`: JavaScript values in and out, so a Node
//! app with its own HTTP client (and the shared-vector runner) drives the same decisions as the
//! native credential. Conversion only.

use azmi_core::wire::{self, JsonArmFlow, JsonCache, JsonTokenFlow, WireError};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;

use crate::errors::Failure;
use crate::json::{from_js, Json};

fn wire_error(env: &Env, e: WireError) -> Error {
    let name = if e.code == "bad_input" { "TypeError" } else { "Error" };
    Failure::new(name, e.code, e.message).into_error(env)
}

/// One token acquisition; `poll(nowMs)` returns the next action
/// (`{send}`, `{wait_until_ms}`, `{read_file}` or `{done}`).
#[napi]
pub struct TokenFlow {
    inner: JsonTokenFlow,
}

#[napi]
impl TokenFlow {
    /// A flow for a configuration (`resource` or `scopes`, selectors, `source`, ...) and an
    /// environment (variable → value).
    #[napi(constructor, catch_unwind)]
    pub fn new(
        env: Env,
        config: Value,
        vars: Value,
        now_ms: i64,
        arc_agent_installed: Option<bool>,
    ) -> Result<Self> {
        JsonTokenFlow::new(
            &from_js(config),
            &from_js(vars),
            arc_agent_installed.unwrap_or(false),
            ms(now_ms),
        )
        .map(|inner| TokenFlow { inner })
        .map_err(|e| wire_error(&env, e))
    }

    /// The answer to a `read_file`: its contents, or an error name (`not_found`, ...).
    #[napi(catch_unwind)]
    pub fn handle_file(
        &mut self,
        env: Env,
        id: i64,
        now_ms: i64,
        contents: Option<String>,
        error: Option<String>,
    ) -> Result<()> {
        let result = match (&contents, &error) {
            (Some(c), None) => Ok(c.as_bytes().to_vec()),
            (None, Some(e)) => Err(e.as_str()),
            _ => {
                return Err(Failure::new(
                    "TypeError",
                    "bad_input",
                    "give exactly one of contents and error".into(),
                )
                .into_error(&env))
            }
        };
        self.inner.handle_file(ms(id), result, ms(now_ms));
        Ok(())
    }

    /// A new environment (the host saw the variables change).
    #[napi(catch_unwind)]
    pub fn handle_env(&mut self, vars: Value, arc_agent_installed: Option<bool>) {
        self.inner.handle_env(&from_js(vars), arc_agent_installed.unwrap_or(false))
    }
}

/// Which source a configuration and environment choose, and why.
#[napi(catch_unwind, ts_return_type = "any")]
pub fn detect(
    env: Env,
    config: Value,
    vars: Value,
    arc_agent_installed: Option<bool>,
) -> Result<Json> {
    wire::detect(&from_js(config), &from_js(vars), arc_agent_installed.unwrap_or(false))
        .map(Json)
        .map_err(|e| wire_error(&env, e))
}

/// The token cache with single-flight; tickets and waiters are numbers.
#[napi]
pub struct TokenCache {
    inner: JsonCache,
}

#[napi]
impl TokenCache {
    /// An empty cache.
    #[napi(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        TokenCache { inner: JsonCache::new() }
    }

    /// What a caller asking for `key` should do (`{fresh}`, `{stale}`, `{fetch}`, `{wait}`).
    #[napi(catch_unwind, ts_return_type = "any")]
    pub fn lookup(&mut self, env: Env, key: Value, now_ms: i64) -> Result<Json> {
        self.inner.lookup(&from_js(key), ms(now_ms)).map(Json).map_err(|e| wire_error(&env, e))
    }

    /// Ends a fetch with `{token}` or `{error}`.
    #[napi(catch_unwind)]
    pub fn complete(&mut self, env: Env, ticket: i64, result: Value, now_ms: i64) -> Result<()> {
        self.inner
            .complete(ms(ticket), &from_js(result), ms(now_ms))
            .map_err(|e| wire_error(&env, e))
    }

    /// Gives a ticket back unfetched.
    #[napi(catch_unwind)]
    pub fn abandon(&mut self, env: Env, ticket: i64) -> Result<()> {
        self.inner.abandon(ms(ticket)).map_err(|e| wire_error(&env, e))
    }

    /// Where a waiter stands.
    #[napi(catch_unwind, ts_return_type = "any")]
    pub fn poll_wait(&mut self, env: Env, waiter: i64, now_ms: i64) -> Result<Json> {
        self.inner.poll_wait(ms(waiter), ms(now_ms)).map(Json).map_err(|e| wire_error(&env, e))
    }

    /// Forgets the token for a key.
    #[napi(catch_unwind)]
    pub fn invalidate(&mut self, env: Env, key: Value) -> Result<()> {
        self.inner.invalidate(&from_js(key)).map_err(|e| wire_error(&env, e))
    }
}

/// One ARM operation; `poll(nowMs)` returns the next action (`{need_token}`, `{send}`,
/// `{wait_until_ms}` or `{done}`).
#[napi]
pub struct ArmFlow {
    inner: JsonArmFlow,
}

#[napi]
impl ArmFlow {
    /// A flow for an operation (the core's `ArmRequest` JSON: `{"op": "list_subscriptions"}`,
    /// ...), with optional ARM config and cloud.
    #[napi(constructor, catch_unwind)]
    pub fn new(
        env: Env,
        operation: Value,
        now_ms: i64,
        config: Option<Value>,
        cloud: Option<Value>,
    ) -> Result<Self> {
        let operation = from_js(operation);
        arm_flow(&env, config, cloud, |cfg, cloud| {
            JsonArmFlow::new(cfg, cloud, &operation, ms(now_ms))
        })
    }

    /// Goes on with a long-running operation from its continuation token.
    #[napi(factory, catch_unwind)]
    pub fn resume(
        env: Env,
        token: String,
        now_ms: i64,
        config: Option<Value>,
        cloud: Option<Value>,
    ) -> Result<Self> {
        arm_flow(&env, config, cloud, |cfg, cloud| {
            JsonArmFlow::resume(cfg, cloud, &token, ms(now_ms))
        })
    }

    /// The answer to `need_token`: `{token}` or `{error}`.
    #[napi(catch_unwind)]
    pub fn handle_token(&mut self, env: Env, result: Value, now_ms: i64) -> Result<()> {
        self.inner.handle_token(&from_js(result), ms(now_ms)).map_err(|e| wire_error(&env, e))
    }

    /// The continuation token of a long-running operation under way.
    #[napi(catch_unwind)]
    pub fn continuation_token(&self) -> Option<String> {
        self.inner.continuation_token()
    }
}

/// An `ArmFlow` started by `start` from the optional ARM config (default `{}`) and cloud
/// (default `null`, the core's choice).
fn arm_flow(
    env: &Env,
    config: Option<Value>,
    cloud: Option<Value>,
    start: impl FnOnce(&Value, &Value) -> std::result::Result<JsonArmFlow, WireError>,
) -> Result<ArmFlow> {
    let config = from_js(config.unwrap_or_else(|| Value::Object(Default::default())));
    let cloud = from_js(cloud.unwrap_or(Value::Null));
    start(&config, &cloud).map(|inner| ArmFlow { inner }).map_err(|e| wire_error(env, e))
}

/// The methods the two flows share, written once: `poll` and the answers to a `send`, over the
/// core's methods of the same names on `JsonTokenFlow` and `JsonArmFlow`.
macro_rules! send_methods {
    ($flow:ident) => {
        #[napi]
        impl $flow {
            /// The next action.
            #[napi(catch_unwind, ts_return_type = "any")]
            pub fn poll(&mut self, now_ms: i64) -> Json {
                Json(self.inner.poll(ms(now_ms)))
            }

            /// The answer to a `send` (`{status, headers, body}`).
            #[napi(catch_unwind)]
            pub fn handle_response(
                &mut self,
                env: Env,
                id: i64,
                response: Value,
                now_ms: i64,
            ) -> Result<()> {
                self.inner
                    .handle_response(ms(id), &from_js(response), ms(now_ms))
                    .map_err(|e| wire_error(&env, e))
            }

            /// A `send` that failed (`connect`, `timeout`, `tls`, ...).
            #[napi(catch_unwind)]
            pub fn handle_transport_error(&mut self, id: i64, kind: String, now_ms: i64) {
                self.inner.handle_transport_error(ms(id), &kind, ms(now_ms))
            }
        }
    };
}

send_methods!(TokenFlow);
send_methods!(ArmFlow);

/// JavaScript numbers are doubles: a negative time or id is taken as 0.
fn ms(v: i64) -> u64 {
    v.max(0) as u64
}
