//! The core's sans-IO flows through `azmi_core::wire`, with JSON text in and out: a JVM or
//! Ruby program with its own HTTP client (and the shared-vector runners) drives the same
//! decisions as the native credential. Conversion only; uniffi objects are shared, so each
//! flow sits behind a mutex.

use std::sync::{Mutex, MutexGuard};

use azmi_core::wire::{self, JsonArmFlow, JsonCache, JsonTokenFlow};
use serde_json::Value;

use crate::errors::AzmiError;

fn json(what: &str, text: &str) -> Result<Value, AzmiError> {
    Ok(wire::parse(what, text)?)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// One token acquisition; `poll(now_ms)` returns the next action as JSON (`{"send": ...}`,
/// `{"wait_until_ms": ...}`, `{"read_file": ...}` or `{"done": ...}`).
#[derive(uniffi::Object)]
pub struct TokenFlow {
    inner: Mutex<JsonTokenFlow>,
}

#[uniffi::export]
impl TokenFlow {
    /// A flow for a configuration (JSON: `resource` or `scopes`, selectors, `source`, ...) and an
    /// environment (JSON object: variable → value).
    #[uniffi::constructor(default(arc_agent_installed = false))]
    pub fn new(
        config: String,
        vars: String,
        now_ms: u64,
        arc_agent_installed: bool,
    ) -> Result<std::sync::Arc<Self>, AzmiError> {
        let (config, vars) = (json("config", &config)?, json("vars", &vars)?);
        let inner = JsonTokenFlow::new(&config, &vars, arc_agent_installed, now_ms)?;
        Ok(std::sync::Arc::new(TokenFlow { inner: Mutex::new(inner) }))
    }

    /// The next action (JSON).
    pub fn poll(&self, now_ms: u64) -> String {
        lock(&self.inner).poll(now_ms).to_string()
    }

    /// The answer to a `send` (JSON `{"status", "headers", "body"}`).
    pub fn handle_response(&self, id: u64, response: String, now_ms: u64) -> Result<(), AzmiError> {
        let response = json("response", &response)?;
        Ok(lock(&self.inner).handle_response(id, &response, now_ms)?)
    }

    /// A `send` that failed (`connect`, `timeout`, `tls`, ...).
    pub fn handle_transport_error(&self, id: u64, kind: String, now_ms: u64) {
        lock(&self.inner).handle_transport_error(id, &kind, now_ms)
    }

    /// The answer to a `read_file`: its contents, or an error name (`not_found`, ...); exactly
    /// one of them.
    #[uniffi::method(default(contents = None, error = None))]
    pub fn handle_file(
        &self,
        id: u64,
        now_ms: u64,
        contents: Option<String>,
        error: Option<String>,
    ) -> Result<(), AzmiError> {
        let result = match (&contents, &error) {
            (Some(c), None) => Ok(c.as_bytes().to_vec()),
            (None, Some(e)) => Err(e.as_str()),
            _ => {
                let message = "give exactly one of contents and error".to_owned();
                return Err(AzmiError::coded("input", "bad_input", message));
            }
        };
        lock(&self.inner).handle_file(id, result, now_ms);
        Ok(())
    }

    /// A new environment (JSON object: the host saw the variables change).
    #[uniffi::method(default(arc_agent_installed = false))]
    pub fn handle_env(&self, vars: String, arc_agent_installed: bool) -> Result<(), AzmiError> {
        let vars = json("vars", &vars)?;
        lock(&self.inner).handle_env(&vars, arc_agent_installed);
        Ok(())
    }
}

/// Which source a configuration and environment (JSON) choose, and why (JSON).
#[uniffi::export(default(arc_agent_installed = false))]
pub fn detect(
    config: String,
    vars: String,
    arc_agent_installed: bool,
) -> Result<String, AzmiError> {
    let (config, vars) = (json("config", &config)?, json("vars", &vars)?);
    Ok(wire::detect(&config, &vars, arc_agent_installed)?.to_string())
}

/// The token cache with single-flight; tickets and waiters are numbers, keys and answers JSON.
#[derive(uniffi::Object)]
pub struct TokenCache {
    inner: Mutex<JsonCache>,
}

#[uniffi::export]
impl TokenCache {
    /// An empty cache.
    #[uniffi::constructor]
    pub fn new() -> std::sync::Arc<Self> {
        std::sync::Arc::new(TokenCache { inner: Mutex::new(JsonCache::new()) })
    }

    /// What a caller asking for `key` should do (`{"fresh"}`, `{"stale"}`, `{"fetch"}`,
    /// `{"wait"}`).
    pub fn lookup(&self, key: String, now_ms: u64) -> Result<String, AzmiError> {
        let key = json("key", &key)?;
        Ok(lock(&self.inner).lookup(&key, now_ms)?.to_string())
    }

    /// Ends a fetch with `{"token"}` or `{"error"}`.
    pub fn complete(&self, ticket: u64, result: String, now_ms: u64) -> Result<(), AzmiError> {
        let result = json("result", &result)?;
        Ok(lock(&self.inner).complete(ticket, &result, now_ms)?)
    }

    /// Gives a ticket back unfetched.
    pub fn abandon(&self, ticket: u64) -> Result<(), AzmiError> {
        Ok(lock(&self.inner).abandon(ticket)?)
    }

    /// Where a waiter stands (JSON).
    pub fn poll_wait(&self, waiter: u64, now_ms: u64) -> Result<String, AzmiError> {
        Ok(lock(&self.inner).poll_wait(waiter, now_ms)?.to_string())
    }

    /// Forgets the token for a key.
    pub fn invalidate(&self, key: String) -> Result<(), AzmiError> {
        let key = json("key", &key)?;
        Ok(lock(&self.inner).invalidate(&key)?)
    }
}

/// One ARM operation; `poll(now_ms)` returns the next action as JSON (`{"need_token"}`,
/// `{"send"}`, `{"wait_until_ms"}` or `{"done"}`).
#[derive(uniffi::Object)]
pub struct ArmFlow {
    inner: Mutex<JsonArmFlow>,
}

#[uniffi::export]
impl ArmFlow {
    /// A flow for an operation (the core's JSON: `{"op": "list_subscriptions"}`, ...), with an
    /// ARM config (JSON, `{}` by default) and cloud (JSON, `null`: the core's choice).
    #[uniffi::constructor(default(config = None, cloud = None))]
    pub fn new(
        operation: String,
        now_ms: u64,
        config: Option<String>,
        cloud: Option<String>,
    ) -> Result<std::sync::Arc<Self>, AzmiError> {
        let operation = json("operation", &operation)?;
        let (config, cloud) = arm_context(config, cloud)?;
        let inner = JsonArmFlow::new(&config, &cloud, &operation, now_ms)?;
        Ok(std::sync::Arc::new(ArmFlow { inner: Mutex::new(inner) }))
    }

    /// Goes on with a long-running operation from its continuation token.
    #[uniffi::constructor(default(config = None, cloud = None))]
    pub fn resume(
        token: String,
        now_ms: u64,
        config: Option<String>,
        cloud: Option<String>,
    ) -> Result<std::sync::Arc<Self>, AzmiError> {
        let (config, cloud) = arm_context(config, cloud)?;
        let inner = JsonArmFlow::resume(&config, &cloud, &token, now_ms)?;
        Ok(std::sync::Arc::new(ArmFlow { inner: Mutex::new(inner) }))
    }

    /// The next action (JSON).
    pub fn poll(&self, now_ms: u64) -> String {
        lock(&self.inner).poll(now_ms).to_string()
    }

    /// The answer to `need_token`: `{"token"}` or `{"error"}`.
    pub fn handle_token(&self, result: String, now_ms: u64) -> Result<(), AzmiError> {
        let result = json("result", &result)?;
        Ok(lock(&self.inner).handle_token(&result, now_ms)?)
    }

    /// The answer to a `send` (JSON `{"status", "headers", "body"}`).
    pub fn handle_response(&self, id: u64, response: String, now_ms: u64) -> Result<(), AzmiError> {
        let response = json("response", &response)?;
        Ok(lock(&self.inner).handle_response(id, &response, now_ms)?)
    }

    /// A `send` that failed (`connect`, `timeout`, `tls`, ...).
    pub fn handle_transport_error(&self, id: u64, kind: String, now_ms: u64) {
        lock(&self.inner).handle_transport_error(id, &kind, now_ms)
    }

    /// The continuation token of a long-running operation under way.
    pub fn continuation_token(&self) -> Option<String> {
        lock(&self.inner).continuation_token()
    }
}

fn arm_context(config: Option<String>, cloud: Option<String>) -> Result<(Value, Value), AzmiError> {
    let config = match config {
        Some(c) => json("config", &c)?,
        None => Value::Object(Default::default()),
    };
    let cloud = match cloud {
        Some(c) => json("cloud", &c)?,
        None => Value::Null,
    };
    Ok((config, cloud))
}
