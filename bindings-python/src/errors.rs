//! Errors: the one mapping from the core's errors to Python exceptions.
//!
//! Every failure the core or host reports becomes a [`Failure`] (its stable code, message,
//! source, HTTP status and attempt history, and for ARM the error body and ids, exactly as the
//! core has them) and is raised as the class `azmi/__init__.py` names for its code (for ARM, for
//! the kind of failure: `arm:not_found`, ...). The classes are declared in `azmi/_errors.py`,
//! loaded on the first error because their bases depend on which Azure packages are installed.

use azmi_core::{ArmError, ArmErrorKind, AttemptResult, ConfigError, ErrorBody, TokenError};
use pyo3::exceptions::{PyException, PyRuntimeError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;
use serde_json::Value;

use crate::value;

/// What `azmi/__init__.py` registers: the exception class for a stable code, the token types
/// to return when azure-core is not in use, and the function that derives from azure-core's
/// token types the ones to return when it is (their reprs print the token; azmi's hide it).
pub(crate) struct Registered {
    error_class: Py<PyAny>,
    pub(crate) access_token: Py<PyAny>,
    pub(crate) access_token_info: Py<PyAny>,
    pub(crate) hiding: Py<PyAny>,
}

static REGISTERED: PyOnceLock<Registered> = PyOnceLock::new();

/// Registers the error-class factory and azmi's token types (called once by the package).
#[pyfunction]
pub(crate) fn _register(
    py: Python<'_>,
    error_class: Py<PyAny>,
    access_token: Py<PyAny>,
    access_token_info: Py<PyAny>,
    hiding: Py<PyAny>,
) -> PyResult<()> {
    REGISTERED
        .set(py, Registered { error_class, access_token, access_token_info, hiding })
        .map_err(|_| PyRuntimeError::new_err("azmi's types are already registered"))
}

pub(crate) fn registered(py: Python<'_>) -> PyResult<&Registered> {
    REGISTERED.get(py).ok_or_else(|| PyRuntimeError::new_err("import azmi, not azmi._azmi"))
}

/// One failure, as every azmi binding reports it.
pub(crate) struct Failure {
    /// What names the class raised: the error's code, or `arm:<kind>` for an ARM error (the
    /// core's `ArmErrorKind` name; `code` is still the precise stable code).
    class: String,
    /// The stable code shared by every binding.
    code: &'static str,
    message: String,
    /// The managed identity source tried, when there was one.
    source: Option<&'static str>,
    /// The HTTP status behind the error, when a response caused it.
    status: Option<u16>,
    /// `(started_ms, result, waited_ms)` for every HTTP attempt.
    attempts: Vec<(u64, String, u64)>,
    /// What ARM said, for an ARM failure.
    arm: Option<ArmFacts>,
}

/// ARM's error body and the response's ids (the keywords of Python's `ArmError`).
struct ArmFacts {
    error_code: Option<String>,
    error_message: Option<String>,
    target: Option<String>,
    details: Vec<Value>,
    request_id: Option<String>,
    correlation_id: Option<String>,
    /// The status's reason phrase (azure-core's `reason`).
    reason: Option<&'static str>,
}

impl Failure {
    /// A failure with only a code and a message (the JSON layer's errors).
    pub(crate) fn coded(code: &'static str, message: String) -> Self {
        Failure {
            class: code.to_owned(),
            code,
            message,
            source: None,
            status: None,
            attempts: Vec::new(),
            arm: None,
        }
    }

    /// The registered exception (a `RuntimeError` if the package registered none).
    pub(crate) fn into_py(self, py: Python<'_>) -> PyErr {
        // Building the exception runs Python code: a pending Ctrl-C would fire inside it and be
        // lost in the fallback below. Raise it instead (the failure no longer matters).
        if let Err(interrupt) = py.check_signals() {
            return interrupt;
        }
        let built = (|| -> PyResult<Bound<'_, PyAny>> {
            let class = registered(py)?.error_class.bind(py).call1((self.class.as_str(),))?;
            let kwargs = PyDict::new(py);
            kwargs.set_item("code", self.code)?;
            kwargs.set_item("source", self.source)?;
            kwargs.set_item("status", self.status)?;
            kwargs.set_item("attempts", &self.attempts)?;
            if let Some(arm) = &self.arm {
                kwargs.set_item("error_code", &arm.error_code)?;
                kwargs.set_item("error_message", &arm.error_message)?;
                kwargs.set_item("target", &arm.target)?;
                kwargs.set_item("details", value::to_py(py, &Value::from(arm.details.clone()))?)?;
                kwargs.set_item("request_id", &arm.request_id)?;
                kwargs.set_item("correlation_id", &arm.correlation_id)?;
                kwargs.set_item("reason", arm.reason)?;
            }
            class.call((self.message.as_str(),), Some(&kwargs))
        })();
        match built {
            Ok(instance) => PyErr::from_value(instance),
            // KeyboardInterrupt, SystemExit and the like are the program's, not ours to replace.
            Err(e) if !e.is_instance_of::<PyException>(py) => e,
            Err(_) => PyRuntimeError::new_err(format!("[{}] {}", self.code, self.message)),
        }
    }
}

impl From<&ConfigError> for Failure {
    fn from(e: &ConfigError) -> Self {
        Failure::coded(e.code(), e.to_string())
    }
}

impl From<&TokenError> for Failure {
    fn from(e: &TokenError) -> Self {
        let attempts = e
            .attempts
            .iter()
            .map(|a| {
                let result = match &a.result {
                    AttemptResult::Status(s) => s.to_string(),
                    AttemptResult::Transport(t) => t.to_string(),
                };
                (a.started.as_millis() as u64, result, a.waited.as_millis() as u64)
            })
            .collect();
        Failure {
            class: e.code().to_owned(),
            code: e.code(),
            message: e.to_string(),
            source: Some(e.source_kind.as_str()),
            status: e.status(),
            attempts,
            arm: None,
        }
    }
}

impl From<&ArmError> for Failure {
    fn from(e: &ArmError) -> Self {
        // A token failure inside an ARM call keeps its source and attempts.
        let token = match &e.kind {
            ArmErrorKind::Token(t) => Some(Failure::from(t.as_ref())),
            _ => None,
        };
        let (source, attempts) = token.map_or((None, Vec::new()), |t| (t.source, t.attempts));
        let body = e.body.as_deref();
        let text = |field: fn(&ErrorBody) -> &Option<String>| body.and_then(|b| field(b).clone());
        let arm = ArmFacts {
            error_code: text(|b| &b.code),
            error_message: text(|b| &b.message),
            target: text(|b| &b.target),
            details: body.map(|b| b.details.clone()).unwrap_or_default(),
            request_id: e.request_id.clone(),
            correlation_id: e.correlation_id.clone(),
            reason: e
                .status
                .and_then(|s| http::StatusCode::from_u16(s).ok())
                .and_then(|s| s.canonical_reason()),
        };
        Failure {
            class: format!("arm:{}", e.kind.name()),
            code: e.code(),
            message: e.to_string(),
            source,
            status: e.status,
            attempts,
            arm: Some(arm),
        }
    }
}

/// The Python exception for a core or host error: `.map_err(|e| py_err(py, &e))`.
pub(crate) fn py_err<'a, E>(py: Python<'_>, e: &'a E) -> PyErr
where
    Failure: From<&'a E>,
{
    Failure::from(e).into_py(py)
}
