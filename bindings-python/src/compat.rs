//! msrestazure's conventions, from the core's profile (`azmi_core::compat::msrestazure`), for
//! `azmi/_msi.py`: its arguments are converted here and the profile decides what they mean.

use azmi_core::compat::msrestazure;
use azmi_core::{ConfigError, Naming, Options};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use serde_json::{Map, Value};

use crate::errors::py_err;
use crate::options::{deadline_as_timeout, kind, not_json};
use crate::value;

/// msrestazure's names of the identity selectors, and the core's.
const SELECTORS: &[(&str, &str)] =
    &[("client_id", "client_id"), ("object_id", "object_id"), ("msi_res_id", "resource_id")];

/// The credential options for msrestazure's `port`, `timeout` (seconds) and `msi_conf` (its
/// selector keys), as a dict for `Credential`.
#[pyfunction]
#[pyo3(signature = (port=None, timeout=None, msi_conf=None))]
pub(crate) fn msrestazure_options<'py>(
    py: Python<'py>,
    port: Option<&Bound<'py, PyAny>>,
    timeout: Option<&Bound<'py, PyAny>>,
    msi_conf: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let options = options(port, timeout, msi_conf).map_err(|e| py_err(py, &e))?;
    let json = serde_json::to_value(&options)
        .map_err(|e| PyRuntimeError::new_err(format!("options have no JSON form: {e}")))?;
    value::to_py(py, &json)
}

/// The token audience msrestazure gives a cloud name (`AzureCloud`, ...).
#[pyfunction]
pub(crate) fn msrestazure_cloud_resource(py: Python<'_>, name: &str) -> PyResult<&'static str> {
    msrestazure::cloud_resource(name).map_err(|e| py_err(py, &e))
}

fn options(
    port: Option<&Bound<'_, PyAny>>,
    timeout: Option<&Bound<'_, PyAny>>,
    msi_conf: Option<&Bound<'_, PyAny>>,
) -> Result<Options, ConfigError> {
    let port = match json_of("port", port)? {
        Value::Null => msrestazure::DEFAULT_PORT,
        Value::Number(n) => n.as_u64().and_then(|p| u16::try_from(p).ok()).ok_or_else(|| {
            invalid("port", format!("must be a port number, 0 to 65535; got {n}"))
        })?,
        other => {
            return Err(invalid("port", format!("must be a port number, not {}", kind(&other))))
        }
    };
    let timeout = match json_of("timeout", timeout)? {
        Value::Null => None,
        Value::Number(n) => n.as_f64(),
        other => {
            return Err(invalid(
                "timeout",
                format!("must be a number of seconds, not {}", kind(&other)),
            ))
        }
    };
    let base = match json_of("msi_conf", msi_conf)? {
        Value::Null => Options::default(),
        Value::Object(conf) => selectors(conf)?,
        other => return Err(invalid("msi_conf", format!("must be a dict, not {}", kind(&other)))),
    };
    msrestazure::options(port, timeout, base)
        .map_err(|e| named_as_msrestazure(deadline_as_timeout(e)))
}

/// The error with the selectors it names spelt as msrestazure's keywords (`msi_res_id`, not the
/// core's `resource_id`), so that it names what the caller wrote.
fn named_as_msrestazure(e: ConfigError) -> ConfigError {
    e.renamed(|name| {
        let given = SELECTORS.iter().find(|(_, core)| *core == name);
        given.map_or(name, |(given, _)| *given).to_owned()
    })
}

/// msrestazure's `msi_conf` as the core's identity selector.
fn selectors(conf: Map<String, Value>) -> Result<Options, ConfigError> {
    let mut core = Map::new();
    for (given, v) in conf {
        let Some((_, key)) = SELECTORS.iter().find(|(name, _)| *name == given) else {
            let accepted: Vec<&str> = SELECTORS.iter().map(|(name, _)| *name).collect();
            return Err(ConfigError::UnknownOption { key: given, accepted: accepted.join(", ") });
        };
        core.insert((*key).to_owned(), v);
    }
    Options::from_json(Value::Object(core), Naming::Snake).map_err(named_as_msrestazure)
}

fn json_of(what: &str, obj: Option<&Bound<'_, PyAny>>) -> Result<Value, ConfigError> {
    match obj {
        None => Ok(Value::Null),
        Some(obj) => value::to_value(obj, what.to_owned()).map_err(not_json),
    }
}

fn invalid(key: &str, problem: String) -> ConfigError {
    ConfigError::InvalidOption { key: key.to_owned(), problem }
}

/// Registers the msrestazure functions and constants.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(msrestazure_options, m)?)?;
    m.add_function(wrap_pyfunction!(msrestazure_cloud_resource, m)?)?;
    m.add("MSRESTAZURE_DEFAULT_PORT", msrestazure::DEFAULT_PORT)?;
    m.add("MSRESTAZURE_DEFAULT_CLOUD", msrestazure::DEFAULT_CLOUD)?;
    Ok(())
}
