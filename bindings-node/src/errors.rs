//! Errors as JavaScript sees them: an `Error` with `name` (the class name @azure/identity uses
//! for the same failure), a stable `code` from the core, and the facts the core gives (source,
//! HTTP status, attempt history, ARM's ids). Messages come from the core and never hold a token.

use std::panic::{catch_unwind, AssertUnwindSafe};

use azmi_core::{ArmError, ArmErrorKind, AttemptResult, ConfigError, TokenError};
use napi::bindgen_prelude::*;

use crate::json::Json;

/// What a failed operation tells JavaScript; built on a fetch thread, turned into an `Error` on
/// the event loop.
#[derive(Debug, Clone)]
#[doc(hidden)]
pub struct Failure {
    pub name: &'static str,
    pub code: String,
    pub message: String,
    pub fields: serde_json::Map<String, serde_json::Value>,
}

impl Failure {
    pub(crate) fn new(name: &'static str, code: &str, message: String) -> Self {
        Failure { name, code: code.to_owned(), message, fields: Default::default() }
    }

    fn with(mut self, key: &str, value: serde_json::Value) -> Self {
        if !value.is_null() {
            self.fields.insert(key.to_owned(), value);
        }
        self
    }

    /// The JavaScript `Error` for this failure.
    pub(crate) fn into_error(self, env: &Env) -> Error {
        match self.build(env) {
            Ok(obj) => Error::from(obj.to_unknown()),
            Err(e) => e,
        }
    }

    fn build<'e>(&self, env: &'e Env) -> Result<Object<'e>> {
        let mut obj = env.create_error(Error::new(Status::GenericFailure, self.message.clone()))?;
        obj.set_named_property("name", self.name)?;
        obj.set_named_property("code", self.code.as_str())?;
        for (key, value) in &self.fields {
            obj.set_named_property(key, Json(value.clone()))?;
        }
        Ok(obj)
    }
}

/// @azure/identity's name for a token failure: it cannot be had here (no endpoint, no identity,
/// a request azmi refuses to make) or the endpoint refused it.
fn token_error_name(code: &str) -> &'static str {
    match code {
        "unavailable" | "identity_not_found" | "config" => "CredentialUnavailableError",
        _ => "AuthenticationError",
    }
}

pub(crate) fn token_failure(e: &TokenError) -> Failure {
    Failure::new(token_error_name(e.code()), e.code(), e.to_string())
        .with("source", e.source_kind.as_str().into())
        .with("statusCode", e.status().into())
        .with("attempts", attempts(e).into())
}

/// A token request's attempt history: when each started, what it got, how long it waited.
fn attempts(e: &TokenError) -> Vec<serde_json::Value> {
    e.attempts
        .iter()
        .map(|a| {
            let result = match &a.result {
                AttemptResult::Status(s) => serde_json::json!({ "status": s }),
                AttemptResult::Transport(t) => serde_json::json!({ "transport": t.to_string() }),
            };
            serde_json::json!({
                "startedMs": a.started.as_millis() as u64,
                "result": result,
                "waitedMs": a.waited.as_millis() as u64,
            })
        })
        .collect()
}

/// @azure/abort-controller's error: the caller's `AbortSignal` fired.
pub(crate) fn aborted() -> Failure {
    Failure::new("AbortError", "aborted", "The operation was aborted.".into())
}

/// A wrong option, argument or environment found before any request (a constructor throws it):
/// @azure/identity's `CredentialUnavailableError`, with `code` `config`.
pub(crate) fn config_failure(e: &ConfigError) -> Failure {
    Failure::new("CredentialUnavailableError", e.code(), e.to_string())
}

/// @azure/core-rest-pipeline's `RestError` shape: `statusCode`, `code` (azmi's stable code),
/// `errorCode` (ARM's own, such as `ResourceGroupNotFound`), `requestId`, `correlationId`,
/// `target`, `details`, and `attempts` (the token request's, when no token could be had; empty
/// otherwise). No `request` or `response`: they would carry the bearer token's header.
pub(crate) fn arm_failure(e: &ArmError) -> Failure {
    let body = e.body.as_deref();
    let token = match &e.kind {
        ArmErrorKind::Token(t) => Some(t.as_ref()),
        _ => None,
    };
    Failure::new("RestError", e.code(), e.to_string())
        .with("statusCode", e.status.into())
        .with("errorCode", body.and_then(|b| b.code.clone()).into())
        .with("target", body.and_then(|b| b.target.clone()).into())
        .with("details", body.map(|b| b.details.clone()).unwrap_or_default().into())
        .with("requestId", e.request_id.clone().into())
        .with("correlationId", e.correlation_id.clone().into())
        .with("source", token.map(|t| t.source_kind.as_str()).into())
        .with("attempts", token.map(attempts).unwrap_or_default().into())
}

/// A synchronous error with name and code, thrown to JavaScript.
pub(crate) fn throw(env: &Env, failure: Failure) -> Error {
    failure.into_error(env)
}

/// Runs `f`, turning a panic into a failure (it must not cross into JavaScript).
pub(crate) fn guard<T>(
    f: impl FnOnce() -> std::result::Result<T, Failure>,
) -> std::result::Result<T, Failure> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(_) => Err(Failure::new("Error", "internal", "azmi panicked; please report it".into())),
    }
}
