//! The core's flows with JSON in and out, for language bindings (Python's and Node's sans-IO
//! APIs and their shared-vector runners).
//!
//! The shapes are those of `tests/vectors/README.md`: a configuration object (`resource` or
//! `scopes`, `client_id` / `object_id` / `resource_id`, `source`, `legacy_port`, `deadline_ms`,
//! ...), an environment object of strings, and actions:
//! - `{"send": {"id", "method", "url", "headers": {…}, "body": "…", "timeout_ms",
//!   "connect_timeout_ms", "max_response_bytes", "tls_pin", "bypass_proxy"}}`
//! - `{"wait_until_ms": t}`
//! - `{"read_file": {"id", "path", "max_bytes"}}`
//! - `{"need_token": {"resource", "refresh"}}` (ARM flows)
//! - `{"done": {"token": {…}}}` or `{"done": {"error": {"code", "message", …}}}`
//!
//! A binding converts JSON text to its own values; the decisions stay here.

mod arm;
mod cache;
mod flow;

use std::time::Duration;

use serde_json::{json, Map, Value};

pub use arm::{arm_config, request as arm_request, JsonArmFlow};
pub use cache::JsonCache;
pub use flow::{detect, JsonTokenFlow};

use crate::action::{FileFailure, Outgoing, TransportFailure};
use crate::config::{Config, Identity, Resource};
use crate::env::EnvSnapshot;
use crate::error::{AttemptResult, ErrorKind, TokenError};
use crate::source::SourceKind;
use crate::time::UnixMillis;
use crate::token::AccessToken;

/// A wrong argument to a JSON entry point, or a configuration error: `code` is a stable code
/// (`config` for configuration, `bad_input` for a malformed JSON argument).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireError {
    /// The stable code.
    pub code: &'static str,
    /// What was wrong and what to do.
    pub message: String,
}

impl WireError {
    fn input(message: impl Into<String>) -> Self {
        WireError { code: "bad_input", message: message.into() }
    }

    fn of(code: &'static str, e: impl std::fmt::Display) -> Self {
        WireError { code, message: e.to_string() }
    }
}

impl std::fmt::Display for WireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{}] {}", self.code, self.message)
    }
}

impl std::error::Error for WireError {}

/// Parses JSON text, naming the argument when it is not JSON.
pub fn parse(what: &str, text: &str) -> Result<Value, WireError> {
    serde_json::from_str(text).map_err(|e| WireError::input(format!("{what} is not JSON: {e}")))
}

/// A token configuration and its resource from the configuration object.
pub fn config(c: &Value) -> Result<(Config, Resource), WireError> {
    let mut cfg = Config::default();
    let ms = |name: &str| c[name].as_u64().map(Duration::from_millis);
    if let Some(name) = c["source"].as_str() {
        cfg.source = Some(source_kind(name)?);
    }
    if let Some(port) = c["legacy_port"].as_u64() {
        cfg.legacy_port = u16::try_from(port)
            .map_err(|_| WireError::input(format!("legacy_port {port} is not a port number")))?;
    }
    cfg.deadline = ms("deadline_ms");
    cfg.attempt_timeout = ms("attempt_timeout_ms").unwrap_or(cfg.attempt_timeout);
    cfg.connect_timeout = ms("connect_timeout_ms").unwrap_or(cfg.connect_timeout);
    retry_settings(c, &mut cfg.retry);
    let s = |name: &str| c[name].as_str();
    cfg.identity = Identity::from_selectors(s("client_id"), s("object_id"), s("resource_id"))
        .map_err(|e| WireError::of("config", e))?;
    cfg.validate().map_err(|e| WireError::of("config", e))?;
    let resource = match (&c["resource"], &c["scopes"]) {
        (Value::String(r), _) => Resource::new(r),
        (_, Value::Array(scopes)) => {
            let scopes: Vec<&str> = scopes.iter().filter_map(Value::as_str).collect();
            Resource::from_scopes(&scopes)
        }
        _ => Resource::from_scopes::<&str>(&[]),
    };
    Ok((cfg, resource.map_err(|e| WireError::of("config", e))?))
}

fn retry_settings(c: &Value, retry: &mut crate::config::RetryPolicy) {
    let ms = |name: &str| c[name].as_u64().map(Duration::from_millis);
    retry.max_retries = c["max_retries"].as_u64().map_or(retry.max_retries, |n| n as u32);
    retry.initial_delay = ms("initial_delay_ms").unwrap_or(retry.initial_delay);
    retry.max_delay = ms("max_delay_ms").unwrap_or(retry.max_delay);
    retry.jitter = c["jitter"].as_f64().unwrap_or(retry.jitter);
    retry.seed = c["seed"].as_u64().unwrap_or(retry.seed);
}

fn source_kind(name: &str) -> Result<SourceKind, WireError> {
    SourceKind::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = SourceKind::ALL.iter().map(|k| k.as_str()).collect();
        WireError::of("config", format!("unknown source {name:?}; one of {}", names.join(", ")))
    })
}

/// An environment snapshot from an object of strings (other values are ignored).
pub fn env(vars: &Value, arc_agent_installed: bool) -> EnvSnapshot {
    let vars = vars.as_object().into_iter().flatten();
    let strings = vars.filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())));
    EnvSnapshot::from_vars(strings).with_arc_agent_installed(arc_agent_installed)
}

/// `{"send": {…}}` for a request. Holds secret headers: hand it to the transport only.
fn send(out: &Outgoing) -> Value {
    let req = &out.request;
    let headers: Map<String, Value> = req
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), Value::from(v.to_str().unwrap_or_default())))
        .collect();
    json!({"send": {
        "id": out.id.0,
        "method": req.method().as_str(),
        "url": req.uri().to_string(),
        "headers": headers,
        "body": String::from_utf8_lossy(req.body()),
        "timeout_ms": out.timeout.as_millis() as u64,
        "connect_timeout_ms": out.connect_timeout.as_millis() as u64,
        "max_response_bytes": out.max_response_bytes,
        "tls_pin": out.tls_pin,
        "bypass_proxy": out.bypass_proxy,
    }})
}

/// An HTTP response from `{"status", "headers": {…}, "body": "…"}` (or `"json": …`).
pub fn response(v: &Value) -> Result<http::Response<Vec<u8>>, WireError> {
    let status = v["status"]
        .as_u64()
        .and_then(|s| u16::try_from(s).ok())
        .ok_or_else(|| WireError::input("a response needs a numeric status"))?;
    let mut builder = http::Response::builder().status(status);
    for (name, value) in v["headers"].as_object().into_iter().flatten() {
        builder = builder.header(name.as_str(), value.as_str().unwrap_or_default());
    }
    let body = match (&v["json"], &v["body"]) {
        (Value::Null, Value::String(text)) => text.clone().into_bytes(),
        (Value::Null, _) => Vec::new(),
        (json, _) => json.to_string().into_bytes(),
    };
    builder.body(body).map_err(|e| WireError::input(format!("bad response: {e}")))
}

/// A transport failure by name (`connection_refused`, `unreachable`, `timeout`,
/// `connection_reset`, `tls`, `body_too_large`; anything else is `other`).
pub fn transport_failure(name: &str) -> TransportFailure {
    match name {
        "connection_refused" => TransportFailure::ConnectionRefused,
        "unreachable" => TransportFailure::Unreachable,
        "timeout" => TransportFailure::Timeout,
        "connection_reset" => TransportFailure::ConnectionReset,
        "tls" => TransportFailure::Tls,
        "body_too_large" => TransportFailure::BodyTooLarge,
        other => TransportFailure::Other(other.to_owned()),
    }
}

/// A file read failure by name (`not_found`, `too_large`, `permission_denied`; else `other`).
pub fn file_failure(name: &str) -> FileFailure {
    match name {
        "not_found" => FileFailure::NotFound,
        "too_large" => FileFailure::TooLarge,
        "permission_denied" => FileFailure::PermissionDenied,
        other => FileFailure::Other(other.to_owned()),
    }
}

/// A token as JSON. Holds the secret (`access_token`), as the endpoint's own JSON does.
pub fn token(t: &AccessToken) -> Value {
    json!({
        "access_token": t.secret(),
        "token_type": t.token_type,
        "expires_on_ms": t.expires_on.0,
        "refresh_on_ms": t.refresh_on.0,
        "resource": t.resource,
        "raw_response": t.raw_response(),
    })
}

/// A token from `{"access_token", "token_type"?, "expires_on_ms", "refresh_on_ms"?}`; without
/// `refresh_on_ms` the core's refresh rule applies from `received`.
pub fn token_from(v: &Value, received: UnixMillis) -> Result<AccessToken, WireError> {
    let secret = v["access_token"]
        .as_str()
        .ok_or_else(|| WireError::input("a token needs an access_token string"))?;
    let expires_on = v["expires_on_ms"]
        .as_u64()
        .map(UnixMillis)
        .ok_or_else(|| WireError::input("a token needs expires_on_ms (unix milliseconds)"))?;
    let token_type = v["token_type"].as_str().unwrap_or("Bearer");
    Ok(match v["refresh_on_ms"].as_u64() {
        Some(r) => AccessToken::new(secret, token_type, expires_on, UnixMillis(r)),
        None => AccessToken::received(secret, token_type, received, expires_on),
    })
}

/// A token error as JSON: stable code, message (never a token), source, last status, attempts.
pub fn token_error(e: &TokenError) -> Value {
    let attempts: Vec<Value> = e
        .attempts
        .iter()
        .map(|a| {
            let result = match &a.result {
                AttemptResult::Status(s) => json!({"status": s}),
                AttemptResult::Transport(t) => json!({"transport": t.to_string()}),
            };
            json!({"started_ms": a.started.as_millis() as u64, "result": result,
                   "waited_ms": a.waited.as_millis() as u64})
        })
        .collect();
    json!({
        "code": e.code(),
        "message": e.to_string(),
        "source": e.source_kind.as_str(),
        "status": e.status(),
        "attempts": attempts,
    })
}

/// A token error from `{"code", "message"?}` (a host's failure handed to the cache or an ARM
/// flow).
pub fn token_error_from(v: &Value, source: SourceKind) -> TokenError {
    let detail = v["message"].as_str().unwrap_or("reported by the host").to_owned();
    let kind = match v["code"].as_str().unwrap_or_default() {
        "unavailable" => ErrorKind::Unavailable { reason: detail },
        "throttled" => ErrorKind::Throttled,
        "identity_not_found" => ErrorKind::IdentityNotFound { status: 400, detail },
        "unauthorized" => ErrorKind::Unauthorized { status: 401, detail },
        "deadline_exceeded" => ErrorKind::DeadlineExceeded { deadline: Duration::ZERO },
        _ => ErrorKind::EndpointError { status: 500, detail },
    };
    TokenError::new(source, kind)
}
