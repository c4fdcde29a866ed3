//! ARM errors: what failed, with ARM's own error body and the ids support asks for.

use std::fmt;
use std::time::Duration;

use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::error::TokenError;
use crate::redact;

/// An ARM operation failed.
#[derive(Debug, Clone, PartialEq)]
pub struct ArmError {
    /// What went wrong.
    pub kind: ArmErrorKind,
    /// The HTTP status, when a response caused it.
    pub status: Option<u16>,
    /// ARM's error body (`error.code`, `message`, `target`, `details`), when it sent one.
    pub body: Option<Box<ErrorBody>>,
    /// `x-ms-request-id` of the response.
    pub request_id: Option<String>,
    /// `x-ms-correlation-request-id` of the response.
    pub correlation_id: Option<String>,
}

/// ARM's `{"error": {"code", "message", "target", "details"}}`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ErrorBody {
    /// E.g. `ResourceGroupNotFound`.
    pub code: Option<String>,
    /// Human text.
    pub message: Option<String>,
    /// The part of the request at fault.
    pub target: Option<String>,
    /// Nested errors, verbatim.
    pub details: Vec<Value>,
}

/// What went wrong. `code()` gives the stable code every binding maps.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ArmErrorKind {
    /// The request or cloud cannot work; found before any request.
    #[error("invalid ARM request: {problem}")]
    Config {
        /// What is wrong.
        problem: String,
    },
    /// No token could be had for the cloud's resource.
    #[error("no token for ARM: {0}")]
    Token(Box<TokenError>),
    /// 400.
    #[error("ARM rejected the request (400)")]
    BadRequest,
    /// 401 twice: a fresh token did not help.
    #[error("ARM refused the token (401), also after a refresh; check the identity's tenant and the cloud's resource")]
    Unauthorized,
    /// 403.
    #[error("ARM denied access (403); grant the identity a role on the scope")]
    Forbidden,
    /// 404.
    #[error("not found (404)")]
    NotFound,
    /// 409.
    #[error("conflict (409)")]
    Conflict,
    /// 429 after the last retry, or with a `Retry-After` that ends past the deadline.
    #[error("ARM throttling (429){}; slow down (see the rate-limit headers)", crate::error::retry_after_text(.retry_after))]
    Throttled {
        /// The wait ARM asked for, when it named one.
        retry_after: Option<Duration>,
    },
    /// 5xx after the last retry (or at once for methods that are not safe to repeat).
    #[error("ARM server error")]
    ServerError,
    /// Any other unexpected status.
    #[error("unexpected ARM status")]
    Http,
    /// A long-running operation ended `Failed` or `Canceled`.
    #[error("the long-running operation ended {state}")]
    OperationFailed {
        /// The terminal state as ARM spelt it.
        state: String,
    },
    /// A URL (ARM's `nextLink` or poll URL, or a generic request's) is on another host; the
    /// bearer token would have left the cloud.
    #[error(
        "refused {url}: not on the ARM endpoint (scheme, host and port of the configured cloud), and the bearer token must not leave it"
    )]
    ForeignHost {
        /// The refused URL.
        url: String,
    },
    /// The overall deadline passed.
    #[error("no answer within the deadline of {} ms", .deadline.as_millis())]
    DeadlineExceeded {
        /// The deadline that applied.
        deadline: Duration,
    },
    /// The endpoint could not be reached.
    #[error("ARM unreachable: {reason}")]
    Unavailable {
        /// Why.
        reason: String,
    },
    /// A response azmi cannot use.
    #[error("invalid ARM response: {problem}")]
    InvalidResponse {
        /// What is wrong.
        problem: String,
    },
    /// The engine running the core failed, not the operation (the WebAssembly component
    /// trapped or was restarted); hosts report it, the core never does.
    #[error("{detail}")]
    Engine {
        /// What failed and what happens next.
        detail: String,
    },
}

impl ArmError {
    /// An error of `kind` with nothing else known.
    pub fn new(kind: ArmErrorKind) -> Self {
        ArmError { kind, status: None, body: None, request_id: None, correlation_id: None }
    }

    pub(crate) fn config(problem: impl Into<String>) -> Self {
        Self::new(ArmErrorKind::Config { problem: problem.into() })
    }

    /// The stable code shared by every binding (a token failure keeps the token error's code).
    pub fn code(&self) -> &'static str {
        match &self.kind {
            ArmErrorKind::Token(e) => e.code(),
            kind => kind.name(),
        }
    }

    /// This error with `secret` masked wherever ARM's text carried it (body, ids).
    pub(crate) fn without_secret(mut self, secret: &str) -> Self {
        let mask = |text: &mut String| *text = redact::known(text, &[secret]);
        if let Some(body) = self.body.as_deref_mut() {
            body.code.iter_mut().chain(&mut body.message).chain(&mut body.target).for_each(mask);
            body.details.iter_mut().for_each(|d| redact::known_json(d, &[secret]));
        }
        self.request_id.iter_mut().chain(&mut self.correlation_id).for_each(mask);
        self
    }

    /// What a configuration error says without its prefix; any other error's whole message.
    pub(crate) fn problem(&self) -> String {
        match &self.kind {
            ArmErrorKind::Config { problem } => problem.clone(),
            _ => self.to_string(),
        }
    }

    /// Sets the response's ids; they are server text, so they pass the redaction too.
    pub(crate) fn set_ids(&mut self, request_id: Option<String>, correlation_id: Option<String>) {
        self.request_id = request_id.map(|s| redact::server_text(&s));
        self.correlation_id = correlation_id.map(|s| redact::server_text(&s));
    }

    /// The error for a final status, with ARM's body and ids (and the wait a 429 asked for).
    pub(crate) fn from_status(
        status: u16,
        body: Option<ErrorBody>,
        retry_after: Option<Duration>,
    ) -> Self {
        let body = body.map(Box::new);
        let kind = match status {
            400 => ArmErrorKind::BadRequest,
            401 => ArmErrorKind::Unauthorized,
            403 => ArmErrorKind::Forbidden,
            404 => ArmErrorKind::NotFound,
            409 => ArmErrorKind::Conflict,
            429 => ArmErrorKind::Throttled { retry_after },
            500..=599 => ArmErrorKind::ServerError,
            _ => ArmErrorKind::Http,
        };
        ArmError { kind, status: Some(status), body, request_id: None, correlation_id: None }
    }
}

impl ArmErrorKind {
    /// The kind's stable name: the error's code, except `token` for a token failure (whose
    /// code is the token error's).
    pub fn name(&self) -> &'static str {
        match self {
            ArmErrorKind::Config { .. } => "config",
            ArmErrorKind::Token(_) => "token",
            ArmErrorKind::BadRequest => "bad_request",
            ArmErrorKind::Unauthorized => "unauthorized",
            ArmErrorKind::Forbidden => "forbidden",
            ArmErrorKind::NotFound => "not_found",
            ArmErrorKind::Conflict => "conflict",
            ArmErrorKind::Throttled { .. } => "throttled",
            ArmErrorKind::ServerError => "server_error",
            ArmErrorKind::Http => "http_error",
            ArmErrorKind::OperationFailed { .. } => "operation_failed",
            ArmErrorKind::ForeignHost { .. } => "foreign_host",
            ArmErrorKind::DeadlineExceeded { .. } => "deadline_exceeded",
            ArmErrorKind::Unavailable { .. } => "unavailable",
            ArmErrorKind::InvalidResponse { .. } => "invalid_response",
            ArmErrorKind::Engine { .. } => "engine",
        }
    }
}

impl ErrorBody {
    /// ARM's error object, nested under `error` or at the top level; `None` when absent.
    /// Every string in it is server text that may echo the request, so token-shaped runs are
    /// masked here, before any message or field can carry them.
    pub(crate) fn parse(json: &Value) -> Option<Self> {
        let e = json.get("error").filter(|e| e.is_object()).unwrap_or(json);
        let text = |k: &str| e.get(k).and_then(Value::as_str).map(redact::server_text);
        let mut details = e.get("details").and_then(Value::as_array).cloned().unwrap_or_default();
        details.iter_mut().for_each(redact::server_json);
        let body = ErrorBody {
            code: text("code"),
            message: text("message"),
            target: text("target"),
            details,
        };
        (body.code.is_some() || body.message.is_some()).then_some(body)
    }
}

impl fmt::Display for ArmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        if let Some(b) = &self.body {
            if let Some(code) = &b.code {
                write!(f, ": {code}")?;
            }
            if let Some(message) = &b.message {
                write!(f, ": {message}")?;
            }
            if let Some(target) = &b.target {
                write!(f, " (target {target})")?;
            }
        }
        if let Some(id) = &self.request_id {
            write!(f, " [x-ms-request-id {id}]")?;
        }
        if let Some(id) = &self.correlation_id {
            write!(f, " [correlation id {id}]")?;
        }
        Ok(())
    }
}

impl std::error::Error for ArmError {}

/// The JSON form every surface shows: `code` (stable, as `code()`), `kind` (as
/// `ArmErrorKind::name`), `message` (the Display text), `status` (the response's, exactly; `null`
/// when no response caused it), ARM's `arm_code`, `arm_message`, `target`, `details` and
/// `details_count`, and the `request_id` / `correlation_id` support asks for.
impl Serialize for ArmError {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Json<'a> {
            code: &'static str,
            kind: &'static str,
            message: String,
            status: Option<u16>,
            arm_code: Option<&'a str>,
            arm_message: Option<&'a str>,
            target: Option<&'a str>,
            details: &'a [Value],
            details_count: usize,
            request_id: Option<&'a str>,
            correlation_id: Option<&'a str>,
        }
        let body = self.body.as_deref();
        Json {
            code: self.code(),
            kind: self.kind.name(),
            message: self.to_string(),
            status: self.status,
            arm_code: body.and_then(|b| b.code.as_deref()),
            arm_message: body.and_then(|b| b.message.as_deref()),
            target: body.and_then(|b| b.target.as_deref()),
            details: body.map_or(&[], |b| &b.details),
            details_count: body.map_or(0, |b| b.details.len()),
            request_id: self.request_id.as_deref(),
            correlation_id: self.correlation_id.as_deref(),
        }
        .serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn error_bodies_nested_or_flat() {
        let nested =
            json!({"error": {"code": "Conflict", "message": "m", "target": "t", "details": [{}]}});
        let b = ErrorBody::parse(&nested).unwrap();
        assert_eq!(
            (b.code.as_deref(), b.target.as_deref(), b.details.len()),
            (Some("Conflict"), Some("t"), 1)
        );
        let flat = ErrorBody::parse(&json!({"code": "X", "message": "y"})).unwrap();
        assert_eq!(flat.code.as_deref(), Some("X"));
        assert_eq!(ErrorBody::parse(&json!({"value": []})), None);
        let mut e = ArmError::from_status(409, Some(b), None);
        e.request_id = Some("rid".into());
        assert_eq!(e.code(), "conflict");
        assert!(e.to_string().contains("Conflict: m (target t) [x-ms-request-id rid]"), "{e}");
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(
            (&json["code"], &json["kind"], &json["status"], &json["arm_code"]),
            (&json!("conflict"), &json!("conflict"), &json!(409), &json!("Conflict"))
        );
        assert_eq!((&json["details_count"], &json["request_id"]), (&json!(1), &json!("rid")));
        assert_eq!(json["message"], e.to_string());
    }

    /// Kind and status go to JSON as they are: no status is made up for errors without one,
    /// and a token failure keeps its own code with kind `token`.
    #[test]
    fn json_keeps_kind_and_status() {
        use crate::error::ErrorKind;
        use crate::source::SourceKind;
        let token = TokenError::new(SourceKind::Imds, ErrorKind::Throttled { retry_after: None });
        let e = ArmError::new(ArmErrorKind::Token(Box::new(token)));
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!((&json["code"], &json["kind"]), (&json!("throttled"), &json!("token")));
        assert_eq!(json["status"], Value::Null);
        let e = ArmError::from_status(418, None, None);
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!((&json["code"], &json["status"]), (&json!("http_error"), &json!(418)));
        assert_eq!((&json["arm_code"], &json["details"]), (&Value::Null, &json!([])));
    }
}
