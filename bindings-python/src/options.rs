//! Options: Python's keywords → the core's one options record ([`Options`]).
//!
//! Python passes a mapping and keywords; they are merged, converted to JSON and handed to
//! [`Options::from_json_with`], which alone knows the keys, their types and their ranges, and
//! names the offending key in its errors. The only key this surface adds is azure-identity's
//! `timeout`, in seconds, converted here to the core's `deadline_ms`: a change of unit, not a
//! rule.

use azmi_core::{ConfigError, Naming, Options};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyMapping};
use serde_json::{Map, Number, Value};

use crate::value::{self, NotJson};

/// The keys Python accepts besides the core's.
pub(crate) const SURFACE_KEYS: &[&str] = &["timeout"];

/// The options in `options` (a mapping, or `None`) and `kwargs`, as the core reads them.
pub(crate) fn from_py(
    options: Option<&Bound<'_, PyAny>>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<Result<Options, ConfigError>> {
    let mut object = match options {
        None => Map::new(),
        Some(o) if o.is_none() => Map::new(),
        Some(o) if o.cast::<PyMapping>().is_ok() => match value::to_object(o) {
            Ok(object) => object,
            Err(e) => return Ok(Err(not_json(e))),
        },
        Some(o) => {
            return Err(PyTypeError::new_err(format!(
                "options must be a dict such as {{'client_id': '...'}}, not {}",
                o.get_type().name()?
            )))
        }
    };
    if let Some(kwargs) = kwargs {
        let given = match value::to_object(kwargs.as_any()) {
            Ok(given) => given,
            Err(e) => return Ok(Err(not_json(e))),
        };
        // `None` means not given (Python passes its defaults through).
        for (key, v) in given.into_iter().filter(|(_, v)| !v.is_null()) {
            if object.get(&key).is_some_and(|old| !old.is_null()) {
                return Ok(Err(ConfigError::InvalidOption {
                    problem: "given twice (in the options and as a keyword); give it once".into(),
                    key,
                }));
            }
            object.insert(key, v);
        }
    }
    Ok(options_of(object))
}

/// The core's reading of a JSON object of Python's keys.
fn options_of(object: Map<String, Value>) -> Result<Options, ConfigError> {
    let (mut options, extra) =
        Options::from_json_with(Value::Object(object), Naming::Snake, SURFACE_KEYS)?;
    if let Some(timeout) = extra.get("timeout") {
        if options.deadline_ms.is_some() {
            return Err(ConfigError::InvalidOption {
                key: "timeout".into(),
                problem: "timeout (seconds) and deadline_ms both set the deadline; give one".into(),
            });
        }
        let ms = Options::from_json(
            serde_json::json!({ "deadline_ms": seconds_as_ms(timeout)? }),
            Naming::Snake,
        )?;
        options.deadline_ms = ms.deadline_ms;
        options.config().map_err(deadline_as_timeout)?;
    }
    Ok(options)
}

/// A `timeout` (seconds) as milliseconds, read and range-checked as the credential's is.
pub(crate) fn timeout_ms(timeout: Value) -> Result<Option<u64>, ConfigError> {
    Ok(options_of(Map::from_iter([("timeout".to_owned(), timeout)]))?.deadline_ms)
}

/// The core's range error for the deadline, named as the `timeout` (seconds) it was given as.
pub(crate) fn deadline_as_timeout(e: ConfigError) -> ConfigError {
    match e {
        ConfigError::InvalidSetting { name, problem } if name == "deadline" => {
            ConfigError::InvalidOption { key: "timeout".into(), problem }
        }
        other => other,
    }
}

/// azure-identity's `timeout` (seconds) in the core's milliseconds.
fn seconds_as_ms(timeout: &Value) -> Result<Value, ConfigError> {
    let invalid = |problem: String| ConfigError::InvalidOption { key: "timeout".into(), problem };
    let secs = match timeout {
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        other => return Err(invalid(format!("must be a number of seconds, not {}", kind(other)))),
    };
    if secs < 0.0 {
        return Err(invalid(format!("must be a non-negative number of seconds; got {secs}")));
    }
    Number::from_f64(secs * 1000.0)
        .map(Value::Number)
        .ok_or_else(|| invalid(format!("{secs} seconds is too long a deadline")))
}

/// A Python value with no JSON form, as the error of the option it was given for.
pub(crate) fn not_json(e: NotJson) -> ConfigError {
    let problem = match e.path.split_once(['.', '[']) {
        Some(_) => format!("{} (at {})", e.problem, e.path),
        None => e.problem.clone(),
    };
    ConfigError::InvalidOption { key: e.key().to_owned(), problem }
}

/// How an error message names a JSON value's type.
pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "None",
        Value::Bool(_) => "a bool",
        Value::Number(_) => "a number",
        Value::String(_) => "a str",
        Value::Array(_) => "a list",
        Value::Object(_) => "a dict",
    }
}
