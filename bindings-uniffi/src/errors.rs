//! Errors: the one mapping from the core's errors to the uniffi error every language sees.
//!
//! Every failure becomes [`AzmiError::Failure`] with the stable `code` the other bindings use
//! and the facts the core has (DX14.md §3 names: `source`, `status_code`, `attempts`,
//! `error_code`, `target`, `details`, `request_id`, `correlation_id`). `family` tells which
//! operation failed (`config`, `token`, `arm`, `input`, `callback`) and `arm_kind` the core's
//! `ArmErrorKind` name, so a language picks its exception class without parsing messages.
//! No field ever holds a token.

use azmi_core::wire::WireError;
use azmi_core::{ArmError, ArmErrorKind, AttemptResult, ConfigError, ErrorBody, TokenError};

/// One HTTP attempt of a failed request.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Attempt {
    /// When it started, in milliseconds since the request began.
    pub started_ms: u64,
    /// The HTTP status it got (`"500"`), or the transport failure (`"connect"`, ...).
    pub result: String,
    /// How long the flow waited after it, in milliseconds.
    pub waited_ms: u64,
}

/// Every failure of azmi, as one error with the stable `code`.
// `Display` and `Error` by hand: thiserror would take the `source` field as the error's cause.
#[derive(Debug, Clone, PartialEq, uniffi::Error)]
pub enum AzmiError {
    /// The only variant: the fields are the same for every failure (absent when not known).
    Failure {
        /// The stable code (`not_found`, `unavailable`, `invalid_option`, ...).
        code: String,
        /// What went wrong and what to do.
        message: String,
        /// `config`, `token`, `arm`, `input` (a sans-IO call given bad JSON) or `callback`.
        family: String,
        /// For ARM failures, the core's `ArmErrorKind` name (`not_found`, `conflict`, ...).
        arm_kind: Option<String>,
        /// The managed identity source tried (`imds`, `app_service`, ...).
        source: Option<String>,
        /// The HTTP status behind the failure.
        status_code: Option<u16>,
        /// Every HTTP attempt of the token request, in order.
        attempts: Vec<Attempt>,
        /// ARM's error code (`ResourceGroupNotFound`).
        error_code: Option<String>,
        /// ARM's error message.
        error_message: Option<String>,
        /// ARM's error target.
        target: Option<String>,
        /// ARM's error details, as a JSON array.
        details: Option<String>,
        /// `x-ms-request-id` of the ARM response.
        request_id: Option<String>,
        /// `x-ms-correlation-request-id` of the ARM response.
        correlation_id: Option<String>,
    },
}

impl AzmiError {
    /// A failure with only a code and a message.
    pub(crate) fn coded(family: &str, code: &str, message: String) -> Self {
        AzmiError::Failure {
            code: code.to_owned(),
            message,
            family: family.to_owned(),
            arm_kind: None,
            source: None,
            status_code: None,
            attempts: Vec::new(),
            error_code: None,
            error_message: None,
            target: None,
            details: None,
            request_id: None,
            correlation_id: None,
        }
    }

    /// A progress callback that raised or asked to stop: the operation was stopped there.
    pub(crate) fn stopped(why: &str) -> Self {
        let message = format!(
            "the progress callback stopped the operation ({why}); no further request was sent"
        );
        AzmiError::coded("callback", "stopped", message)
    }
}

impl std::fmt::Display for AzmiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let AzmiError::Failure { code, message, .. } = self;
        write!(f, "[{code}] {message}")
    }
}

impl std::error::Error for AzmiError {}

impl From<ConfigError> for AzmiError {
    fn from(e: ConfigError) -> Self {
        AzmiError::coded("config", e.code(), e.to_string())
    }
}

impl From<WireError> for AzmiError {
    fn from(e: WireError) -> Self {
        AzmiError::coded("input", e.code, e.message)
    }
}

impl From<&TokenError> for AzmiError {
    fn from(e: &TokenError) -> Self {
        let attempts = e
            .attempts
            .iter()
            .map(|a| Attempt {
                started_ms: a.started.as_millis() as u64,
                result: match &a.result {
                    AttemptResult::Status(s) => s.to_string(),
                    AttemptResult::Transport(t) => t.to_string(),
                },
                waited_ms: a.waited.as_millis() as u64,
            })
            .collect();
        let mut failure = AzmiError::coded("token", e.code(), e.to_string());
        let AzmiError::Failure { source, status_code, attempts: slot, .. } = &mut failure;
        (*source, *status_code, *slot) =
            (Some(e.source_kind.as_str().to_owned()), e.status(), attempts);
        failure
    }
}

impl From<TokenError> for AzmiError {
    fn from(e: TokenError) -> Self {
        AzmiError::from(&e)
    }
}

impl From<ArmError> for AzmiError {
    fn from(e: ArmError) -> Self {
        // A token failure inside an ARM call keeps its source and attempts.
        let (source, attempts) = match &e.kind {
            ArmErrorKind::Token(t) => match AzmiError::from(t.as_ref()) {
                AzmiError::Failure { source, attempts, .. } => (source, attempts),
            },
            _ => (None, Vec::new()),
        };
        let body = e.body.as_deref();
        let text = |field: fn(&ErrorBody) -> &Option<String>| body.and_then(|b| field(b).clone());
        AzmiError::Failure {
            code: e.code().to_owned(),
            message: e.to_string(),
            family: "arm".to_owned(),
            arm_kind: Some(e.kind.name().to_owned()),
            source,
            status_code: e.status,
            attempts,
            error_code: text(|b| &b.code),
            error_message: text(|b| &b.message),
            target: text(|b| &b.target),
            details: body.map(|b| serde_json::Value::from(b.details.clone()).to_string()),
            request_id: e.request_id.clone(),
            correlation_id: e.correlation_id.clone(),
        }
    }
}

impl From<uniffi::UnexpectedUniFFICallbackError> for AzmiError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        AzmiError::stopped(&format!("it raised: {}", e.reason))
    }
}
