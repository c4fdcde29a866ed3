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

use std::collections::BTreeMap;

use serde::de::IntoDeserializer;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub use arm::{arm_config, request as arm_request, JsonArmFlow};
pub use cache::{cache_key, JsonCache};
pub use flow::{detect, JsonTokenFlow};

use crate::action::{FileFailure, Outgoing, TransportFailure};
use crate::config::{Config, Resource};
use crate::env::EnvSnapshot;
use crate::error::{ErrorKind, TokenError};
use crate::options::{Naming, Options};
use crate::source::SourceKind;
use crate::time::duration_ms;
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

/// A token configuration and its resource from the configuration object: the options of
/// [`Options`] (snake_case keys; an unknown key is a `config` error naming it) plus `resource`
/// or `scopes`.
pub fn config(c: &Value) -> Result<(Config, Resource), WireError> {
    let config = |e| WireError::of("config", e);
    let (options, extra) =
        Options::from_json_with(c.clone(), Naming::Snake, &["resource", "scopes"])
            .map_err(config)?;
    let cfg = options.config().map_err(config)?;
    let resource = match (&extra.get("resource"), &extra.get("scopes")) {
        (Some(Value::String(r)), _) => Resource::new(r),
        (_, Some(Value::Array(scopes))) => {
            let scopes: Vec<&str> = scopes.iter().filter_map(Value::as_str).collect();
            Resource::from_scopes(&scopes)
        }
        _ => Resource::from_scopes::<&str>(&[]),
    };
    Ok((cfg, resource.map_err(config)?))
}

fn source_kind(name: &str) -> Result<SourceKind, WireError> {
    name.parse().map_err(|e| WireError::of("config", e))
}

/// An environment snapshot from an object of strings (other values are ignored).
pub fn env(vars: &Value, arc_agent_installed: bool) -> EnvSnapshot {
    let vars = vars.as_object().into_iter().flatten();
    let strings = vars.filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())));
    EnvSnapshot::from_vars(strings).with_arc_agent_installed(arc_agent_installed)
}

/// A request to send, as JSON. Holds secret headers: hand it to the transport only.
#[derive(Serialize)]
struct Send<'a> {
    id: u64,
    method: &'a str,
    url: String,
    headers: BTreeMap<&'a str, &'a str>,
    body: std::borrow::Cow<'a, str>,
    timeout_ms: u64,
    connect_timeout_ms: u64,
    max_response_bytes: usize,
    tls_pin: &'a Option<String>,
    bypass_proxy: bool,
}

/// `{"send": {…}}` for a request. Holds secret headers: hand it to the transport only.
fn send(out: &Outgoing) -> Value {
    let req = &out.request;
    let send = Send {
        id: out.id.0,
        method: req.method().as_str(),
        url: req.uri().to_string(),
        headers: req
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str(), v.to_str().unwrap_or_default()))
            .collect(),
        body: String::from_utf8_lossy(req.body()),
        timeout_ms: duration_ms(out.timeout),
        connect_timeout_ms: duration_ms(out.connect_timeout),
        max_response_bytes: out.max_response_bytes,
        tls_pin: &out.tls_pin,
        bypass_proxy: out.bypass_proxy,
    };
    json!({ "send": send })
}

/// An HTTP response as JSON: a text `body`, or a `json` value sent as its text.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Response {
    status: u16,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    json: Option<Value>,
}

/// An HTTP response from `{"status", "headers": {…}, "body": "…"}` (or `"json": …`).
pub fn response(v: &Value) -> Result<http::Response<Vec<u8>>, WireError> {
    let r: Response = typed("a response", v)?;
    let mut builder = http::Response::builder().status(r.status);
    for (name, value) in &r.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let body = match (r.json, r.body) {
        (Some(json), _) => json.to_string().into_bytes(),
        (None, Some(text)) => text.into_bytes(),
        (None, None) => Vec::new(),
    };
    builder.body(body).map_err(|e| WireError::input(format!("bad response: {e}")))
}

/// A transport failure by name (`connection_refused`, `unreachable`, `timeout`, `connect_timeout`,
/// `connection_reset`, `tls`, `body_too_large`; anything else is `other`).
pub fn transport_failure(name: &str) -> TransportFailure {
    TransportFailure::deserialize(name.into_deserializer())
        .unwrap_or_else(|_: serde::de::value::Error| TransportFailure::Other(name.to_owned()))
}

/// A file read failure by name (`not_found`, `too_large`, `permission_denied`; else `other`).
pub fn file_failure(name: &str) -> FileFailure {
    FileFailure::deserialize(name.into_deserializer())
        .unwrap_or_else(|_: serde::de::value::Error| FileFailure::Other(name.to_owned()))
}

/// A token as JSON (both ways). Holds the secret, as the endpoint's own JSON does.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Token {
    access_token: String,
    #[serde(default = "bearer")]
    token_type: String,
    expires_on_ms: u64,
    #[serde(default)]
    refresh_on_ms: Option<u64>,
    #[serde(default)]
    resource: Option<String>,
    #[serde(default)]
    raw_response: Option<String>,
}

fn bearer() -> String {
    "Bearer".to_owned()
}

/// A token as JSON. Holds the secret (`access_token`), as the endpoint's own JSON does.
pub fn token(t: &AccessToken) -> Value {
    let token = Token {
        access_token: t.secret().to_owned(),
        token_type: t.token_type.clone(),
        expires_on_ms: t.expires_on.0,
        refresh_on_ms: Some(t.refresh_on.0),
        resource: t.resource.clone(),
        raw_response: t.raw_response().map(str::to_owned),
    };
    serde_json::to_value(token).unwrap_or_default()
}

/// A token from `{"access_token", "token_type"?, "expires_on_ms", "refresh_on_ms"?, "resource"?,
/// "raw_response"?}`; without `refresh_on_ms` the core's refresh rule applies from `received`.
pub fn token_from(v: &Value, received: UnixMillis) -> Result<AccessToken, WireError> {
    let t: Token = typed("a token", v)?;
    let expires_on = UnixMillis(t.expires_on_ms);
    let mut token = match t.refresh_on_ms {
        Some(r) => AccessToken::new(&t.access_token, &t.token_type, expires_on, UnixMillis(r)),
        None => AccessToken::received(&t.access_token, &t.token_type, received, expires_on),
    };
    token.resource = t.resource;
    Ok(match t.raw_response {
        Some(raw) => token.with_raw_response(&raw),
        None => token,
    })
}

/// A token error as JSON: its kind's `code` and fields exactly (`status`, `detail`, ...), the
/// message (never a token), `source`, the last `status` seen, and the `attempts`.
pub fn token_error(e: &TokenError) -> Value {
    let mut v = serde_json::to_value(&e.kind).unwrap_or_else(|_| json!({"code": e.code()}));
    if let Value::Object(map) = &mut v {
        map.insert("message".into(), e.to_string().into());
        map.insert("source".into(), json!(e.source_kind));
        map.insert("status".into(), json!(e.status()));
        map.insert("attempts".into(), json!(e.attempts));
    }
    v
}

/// A token error handed in by a host (a failure for the cache or an ARM flow), in the form
/// `token_error` writes: `code` and the kind's own fields are required; `source` is required
/// unless `known` gives it (a cache key's); `attempts` defaults to none; `message`, and a `status`
/// the kind does not have, are ignored.
pub fn token_error_from(v: &Value, known: Option<SourceKind>) -> Result<TokenError, WireError> {
    let kind: ErrorKind = typed("a token error", v)?;
    let source = match (v.get("source"), known) {
        (Some(s), _) if !s.is_null() => typed("a token error's source", s)?,
        (_, Some(source)) => source,
        _ => {
            return Err(WireError::input("a token error needs its source (imds, app_service, ...)"))
        }
    };
    let attempts = match v.get("attempts") {
        Some(a) if !a.is_null() => typed("a token error's attempts", a)?,
        _ => Vec::new(),
    };
    Ok(TokenError { kind, source_kind: source, attempts })
}

/// `v` as `T`, or a `bad_input` error naming `what` and the problem.
fn typed<T: serde::de::DeserializeOwned>(what: &str, v: &Value) -> Result<T, WireError> {
    T::deserialize(v).map_err(|e| WireError::input(format!("{what}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Attempt, AttemptResult};
    use std::time::Duration;

    #[test]
    fn a_token_error_comes_back_with_its_kind_status_and_attempts() {
        let mut e = TokenError::new(
            SourceKind::AppService,
            ErrorKind::IdentityNotFound { status: 404, detail: " (x)".into() },
        );
        e.attempts.push(Attempt {
            started: Duration::from_millis(5),
            result: AttemptResult::Transport(TransportFailure::Timeout),
            waited: Duration::from_millis(800),
        });
        let v = token_error(&e);
        assert_eq!(
            (v["code"].as_str(), v["status"].as_u64()),
            (Some("identity_not_found"), Some(404))
        );
        assert_eq!(v["source"], "app_service");
        assert_eq!(token_error_from(&v, None).unwrap(), e);
        let config = TokenError::new(
            SourceKind::Imds,
            ErrorKind::Config(crate::error::ConfigError::NoScope),
        );
        assert_eq!(token_error_from(&token_error(&config), None).unwrap(), config);
    }

    #[test]
    fn a_token_error_without_its_fields_or_source_is_refused() {
        let missing_status = json!({"code": "identity_not_found", "source": "imds", "detail": ""});
        assert_eq!(token_error_from(&missing_status, None).unwrap_err().code, "bad_input");
        let no_source = json!({"code": "throttled"});
        assert!(token_error_from(&no_source, None).is_err());
        let e = token_error_from(&no_source, Some(SourceKind::CloudShell)).unwrap();
        assert_eq!(e.source_kind, SourceKind::CloudShell);
    }

    #[test]
    fn unknown_config_keys_are_config_errors() {
        let err = config(&json!({"resource": "r", "clientid": "x"})).unwrap_err();
        assert_eq!(err.code, "config");
        assert!(err.message.contains("\"clientid\""), "{}", err.message);
    }
}
