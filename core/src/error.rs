//! Typed errors. Each variant has a stable string code that every binding maps to one exception
//! class or JS `code`. Messages name the cause and the fix, and never contain a token: they are
//! built only from statuses, error codes, variable names and identity ids.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::action::TransportFailure;
use crate::source::SourceKind;

/// The configuration, environment or request cannot work; found before any request is made.
///
/// As JSON (`wire`), a map tagged by `config_error` with the variant's fields.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "config_error", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ConfigError {
    /// More than one user-assigned identity selector was given.
    #[error("several identities given ({given}); set exactly one identity selector (client id, object id or resource id), or none for the system-assigned identity")]
    SeveralIdentities {
        /// The selectors that were set, comma separated.
        given: String,
    },
    /// An identity selector was set to an empty string.
    #[error("{selector} is empty; give the identity's id or leave {selector} unset for the system-assigned identity")]
    EmptyIdentity {
        /// `client_id`, `object_id` or `resource_id`.
        selector: String,
    },
    /// No scope was given.
    #[error(
        "no scope given; pass exactly one scope such as https://management.azure.com/.default"
    )]
    NoScope,
    /// More than one scope was given; managed identity tokens have one audience.
    #[error("{count} scopes given; managed identity tokens are issued for exactly one resource, so pass one scope")]
    SeveralScopes {
        /// How many scopes were given.
        count: usize,
    },
    /// The resource (or the scope without `/.default`) is empty or has white space.
    #[error("resource {resource:?} is not valid; give an audience such as https://management.azure.com/")]
    InvalidResource {
        /// The rejected value.
        resource: String,
    },
    /// The chosen source needs an environment variable that is not set.
    #[error("{source_kind} needs {variable}, which is not set; set it or choose another source")]
    MissingVariable {
        /// The source that needs it.
        source_kind: SourceKind,
        /// The variable's name.
        variable: String,
    },
    /// An endpoint variable does not hold a usable URL.
    #[error("{variable} = {value:?} is not a usable endpoint: {problem}")]
    InvalidEndpoint {
        /// The variable's name.
        variable: String,
        /// Its value.
        value: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The source cannot honour the requested user-assigned identity selector.
    #[error("{source_kind} cannot select a user-assigned identity by {selector}; {hint}")]
    UnsupportedIdentity {
        /// The source.
        source_kind: SourceKind,
        /// The selector that was given.
        selector: String,
        /// What to do instead.
        hint: String,
    },
    /// A secret variable holds characters an HTTP header cannot carry (its value is not shown).
    #[error(
        "{variable} holds characters an HTTP header cannot carry; check the value the platform set"
    )]
    InvalidSecret {
        /// The variable's name.
        variable: String,
    },
    /// `IDENTITY_SERVER_THUMBPRINT` is not a SHA-1 thumbprint.
    #[error("IDENTITY_SERVER_THUMBPRINT is not a 40-digit hex SHA-1 thumbprint; check the Service Fabric application settings")]
    InvalidThumbprint,
    /// A setting is out of range.
    #[error("setting {name} is out of range: {problem}")]
    InvalidSetting {
        /// The setting's name.
        name: String,
        /// What is wrong.
        problem: String,
    },
    /// An option no surface of azmi knows (a typo must never mean "the system identity").
    #[error("unknown option {key:?}; the options are: {accepted}")]
    UnknownOption {
        /// The key as the caller spelt it.
        key: String,
        /// Every accepted key, in the caller's naming, comma separated.
        accepted: String,
    },
    /// An option's value has the wrong type or is out of range.
    #[error("option {key:?}: {problem}")]
    InvalidOption {
        /// The key as the caller spelt it.
        key: String,
        /// What is wrong and what is accepted.
        problem: String,
    },
}

impl ConfigError {
    /// The stable code shared by every binding.
    pub fn code(&self) -> &'static str {
        "config"
    }
}

/// A token request failed. Carries the source tried and the history of attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenError {
    /// What went wrong.
    pub kind: ErrorKind,
    /// The source the request went to.
    pub source_kind: SourceKind,
    /// Every HTTP attempt, in order.
    pub attempts: Vec<Attempt>,
}

impl TokenError {
    /// An error with no attempt history (the cache and bindings use it).
    pub fn new(source_kind: SourceKind, kind: ErrorKind) -> Self {
        TokenError { kind, source_kind, attempts: Vec::new() }
    }

    /// The stable code shared by every binding.
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }

    /// The HTTP status behind the error: the one it names, else the last one an attempt saw
    /// (msrestazure's `HTTPError` carried one).
    pub fn status(&self) -> Option<u16> {
        match &self.kind {
            ErrorKind::IdentityNotFound { status, .. }
            | ErrorKind::BadRequest { status, .. }
            | ErrorKind::Unauthorized { status, .. }
            | ErrorKind::EndpointError { status, .. } => Some(*status),
            ErrorKind::Throttled { .. } => Some(429),
            _ => self.attempts.iter().rev().find_map(|a| match a.result {
                AttemptResult::Status(s) => Some(s),
                AttemptResult::Transport(_) => None,
            }),
        }
    }
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Some kinds name the source themselves ("App Service needs IDENTITY_HEADER"): the
        // source is said once.
        let kind = self.kind.to_string();
        let source = self.source_kind.to_string();
        if kind.starts_with(&source) {
            f.write_str(&kind)?;
        } else {
            write!(f, "{source}: {kind}")?;
        }
        if !self.attempts.is_empty() {
            f.write_str(" [attempts:")?;
            for a in &self.attempts {
                write!(f, " {a};")?;
            }
            f.write_str("]")?;
        }
        Ok(())
    }
}

impl std::error::Error for TokenError {}

/// What went wrong with a token request. `code()` gives the stable code.
///
/// As JSON (`wire`), a map tagged by `code` with the variant's fields, so an error handed back in
/// by a host keeps its kind and status exactly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// The configuration cannot work (hosts report `ConfigError`s through `TokenError` too).
    #[error(transparent)]
    Config(ConfigError),
    /// The endpoint is not there, or something other than it answered.
    #[error("managed identity endpoint unavailable: {reason}; run on an Azure host with a managed identity, or point azmi at an emulator")]
    Unavailable {
        /// Why the source is considered absent.
        reason: String,
    },
    /// The endpoint has no identity matching the request.
    #[error("endpoint returned {status}: no matching identity on this host{detail}; assign the identity to this resource, or fix client_id / object_id / resource_id")]
    IdentityNotFound {
        /// HTTP status.
        status: u16,
        /// The endpoint's error code and description, when it gave them.
        detail: String,
    },
    /// The endpoint rejected the request itself (e.g. an unknown resource).
    #[error("endpoint returned {status}: request rejected{detail}; check the resource / scope")]
    BadRequest {
        /// HTTP status.
        status: u16,
        /// The endpoint's error code and description.
        detail: String,
    },
    /// The endpoint refused our credentials (secret header, Arc key).
    #[error("endpoint returned {status}: not authorized{detail}; check the identity header / secret the platform provides")]
    Unauthorized {
        /// HTTP status.
        status: u16,
        /// The endpoint's error code and description.
        detail: String,
    },
    /// The endpoint answered for another identity than the one asked for.
    #[error("asked for {requested} but the endpoint answered for {returned}; token refused (fail closed)")]
    WrongIdentity {
        /// The identity asked for, e.g. `client_id 1234…`.
        requested: String,
        /// What the response said, or `no identity echo`.
        returned: String,
    },
    /// Still throttled (429) after the last retry, or the server asked for a wait that ends past
    /// the deadline.
    #[error("endpoint throttling (429){}; lower the request rate or cache tokens", retry_after_text(.retry_after))]
    Throttled {
        /// The wait the server asked for (`Retry-After` and its cousins), when it named one.
        #[serde(rename = "retry_after_ms", default, with = "crate::time::millis_opt")]
        retry_after: Option<Duration>,
    },
    /// A server error or unexpected status after the last retry.
    #[error("endpoint returned {status}{detail}")]
    EndpointError {
        /// HTTP status.
        status: u16,
        /// The endpoint's error code and description.
        detail: String,
    },
    /// The overall deadline passed before a token arrived.
    #[error("no token within the deadline of {} ms; raise the deadline or check the endpoint", .deadline.as_millis())]
    DeadlineExceeded {
        /// The deadline that applied.
        #[serde(rename = "deadline_ms", with = "crate::time::millis")]
        deadline: Duration,
    },
    /// A success status whose body is not a usable token.
    #[error("invalid token response: {problem}")]
    InvalidResponse {
        /// What is wrong (never the body itself).
        problem: String,
    },
    /// The Azure Arc key file was rejected or could not be read.
    #[error("Azure Arc key file rejected: {problem}")]
    KeyFile {
        /// What is wrong.
        problem: String,
    },
    /// The engine running the core failed, not the request: the WebAssembly component could
    /// not be loaded, trapped, or was restarted under the request. Hosts report it; the core
    /// never does.
    #[error("{detail}")]
    Engine {
        /// What failed and what happens next (e.g. the next call uses a fresh instance).
        detail: String,
    },
}

impl ErrorKind {
    /// The stable code shared by every binding.
    pub fn code(&self) -> &'static str {
        match self {
            ErrorKind::Config(_) => "config",
            ErrorKind::Unavailable { .. } => "unavailable",
            ErrorKind::IdentityNotFound { .. } => "identity_not_found",
            ErrorKind::BadRequest { .. } => "bad_request",
            ErrorKind::Unauthorized { .. } => "unauthorized",
            ErrorKind::WrongIdentity { .. } => "wrong_identity",
            ErrorKind::Throttled { .. } => "throttled",
            ErrorKind::EndpointError { .. } => "endpoint_error",
            ErrorKind::DeadlineExceeded { .. } => "deadline_exceeded",
            ErrorKind::InvalidResponse { .. } => "invalid_response",
            ErrorKind::KeyFile { .. } => "key_file",
            ErrorKind::Engine { .. } => "engine",
        }
    }
}

/// The throttling message's tail: what the server asked for, or that the retries ran out.
pub(crate) fn retry_after_text(retry_after: &Option<Duration>) -> String {
    match retry_after {
        Some(d) => format!(", asked to retry after {} ms", d.as_millis()),
        None => " after the last retry".to_owned(),
    }
}

/// One HTTP attempt, as recorded in an error's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// Time from the flow's start to the attempt's start.
    #[serde(rename = "started_ms", with = "crate::time::millis")]
    pub started: Duration,
    /// What came back.
    pub result: AttemptResult,
    /// The wait that followed it (zero when none).
    #[serde(rename = "waited_ms", with = "crate::time::millis")]
    pub waited: Duration,
}

/// The answer to one attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptResult {
    /// An HTTP status.
    Status(u16),
    /// A transport failure.
    Transport(TransportFailure),
}

impl fmt::Display for Attempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.result {
            AttemptResult::Status(s) => write!(f, "+{}ms {s}", self.started.as_millis())?,
            AttemptResult::Transport(t) => write!(f, "+{}ms {t}", self.started.as_millis())?,
        }
        if !self.waited.is_zero() {
            write!(f, " then waited {}ms", self.waited.as_millis())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_lists_attempts() {
        let mut e = TokenError::new(SourceKind::Imds, ErrorKind::Throttled { retry_after: None });
        e.attempts.push(Attempt {
            started: Duration::ZERO,
            result: AttemptResult::Status(429),
            waited: Duration::from_millis(800),
        });
        let text = e.to_string();
        assert!(text.contains("429"), "{text}");
        assert!(text.contains("waited 800ms"), "{text}");
        assert_eq!(e.code(), "throttled");
    }
}
