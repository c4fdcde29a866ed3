//! `azmi._azmi`: the Python extension module. Thin: each function converts its arguments, calls
//! `azmi-host`, and converts the result or error. The public API (azure-identity and msrestazure
//! compatible classes, exception hierarchy) is in `python/azmi/`.
//!
//! Python registers, once at import, a function giving the exception class of each stable code
//! (the hierarchy depends on which Azure packages are installed, so it is built in Python, on the
//! first error) and azmi's own token types. A `TokenError` becomes `cls(message, code=...,
//! source=..., status=..., attempts=[...])`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use azmi_core::{
    AccessToken, ArmError, ArmOutcome, ArmRequest, AttemptResult, Cloud, Config, ConfigError,
    Identity, Resource, SourceKind, TokenError,
};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};

mod sansio;

/// What `azmi/__init__.py` registers: the exception class for a stable code, and the token
/// types to return when azure-core is not in use.
struct Registered {
    error_class: Py<PyAny>,
    access_token: Py<PyAny>,
    access_token_info: Py<PyAny>,
}

static REGISTERED: PyOnceLock<Registered> = PyOnceLock::new();

/// Registers the error-class factory and azmi's token types (called once by the package).
#[pyfunction]
fn _register(
    py: Python<'_>,
    error_class: Py<PyAny>,
    access_token: Py<PyAny>,
    access_token_info: Py<PyAny>,
) -> PyResult<()> {
    REGISTERED
        .set(py, Registered { error_class, access_token, access_token_info })
        .map_err(|_| PyRuntimeError::new_err("azmi's types are already registered"))
}

fn registered(py: Python<'_>) -> PyResult<&Registered> {
    REGISTERED.get(py).ok_or_else(|| PyRuntimeError::new_err("import azmi, not azmi._azmi"))
}

/// Builds the registered exception for `code` (a `RuntimeError` if none is registered).
pub(crate) fn error(
    py: Python<'_>,
    code: &str,
    message: String,
    source: Option<&str>,
    status: Option<u16>,
    attempts: Vec<(u64, String, u64)>,
) -> PyErr {
    let built = (|| -> PyResult<Bound<'_, PyAny>> {
        let class = registered(py)?.error_class.bind(py).call1((code,))?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("code", code)?;
        kwargs.set_item("source", source)?;
        kwargs.set_item("status", status)?;
        kwargs.set_item("attempts", attempts)?;
        class.call((message.as_str(),), Some(&kwargs))
    })();
    match built {
        Ok(instance) => PyErr::from_value(instance),
        Err(_) => PyRuntimeError::new_err(format!("[{code}] {message}")),
    }
}

fn token_error(py: Python<'_>, e: &TokenError) -> PyErr {
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
    error(py, e.code(), e.to_string(), Some(e.source_kind.as_str()), e.status(), attempts)
}

fn config_error(py: Python<'_>, e: &ConfigError) -> PyErr {
    error(py, e.code(), e.to_string(), None, None, Vec::new())
}

fn arm_error(py: Python<'_>, e: &ArmError) -> PyErr {
    let code = e.code();
    let built = (|| -> PyResult<Bound<'_, PyAny>> {
        let class = registered(py)?.error_class.bind(py).call1(("arm",))?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("code", code)?;
        kwargs.set_item("status", e.status)?;
        class.call((e.to_string(),), Some(&kwargs))
    })();
    match built {
        Ok(instance) => PyErr::from_value(instance),
        Err(_) => PyRuntimeError::new_err(format!("[{code}] {e}")),
    }
}

/// An access token. Its repr never shows the secret.
#[pyclass(frozen, module = "azmi._azmi")]
struct Token {
    inner: Arc<AccessToken>,
}

#[pymethods]
impl Token {
    /// The token itself: put it in an `Authorization` header, nowhere else.
    fn secret(&self) -> &str {
        self.inner.secret()
    }

    /// Usually `Bearer`.
    #[getter]
    fn token_type(&self) -> &str {
        &self.inner.token_type
    }

    /// When the token stops working, unix milliseconds.
    #[getter]
    fn expires_on_ms(&self) -> u64 {
        self.inner.expires_on.0
    }

    /// The audience the endpoint says it issued the token for.
    #[getter]
    fn resource(&self) -> Option<&str> {
        self.inner.resource.as_deref()
    }

    /// The endpoint's JSON body, verbatim (holds the secret).
    fn raw_response(&self) -> Option<&str> {
        self.inner.raw_response()
    }

    fn __repr__(&self) -> &'static str {
        "AccessToken(***)"
    }
}

/// The native credential: `azmi_host::ManagedIdentityCredential` over the process environment.
/// azmi's Python credentials subclass it, so azure-core's `get_token` is a native method.
#[pyclass(frozen, subclass, module = "azmi._azmi")]
struct Credential {
    inner: azmi_host::ManagedIdentityCredential,
    /// The last `AccessToken` object handed out: a cached token is returned as the same
    /// (immutable) tuple, so a cache hit allocates nothing.
    last: Mutex<Option<Issued>>,
}

struct Issued {
    token: Arc<AccessToken>,
    class: Py<PyAny>,
    object: Py<PyAny>,
}

#[pymethods]
impl Credential {
    #[new]
    #[pyo3(signature = (*, client_id=None, object_id=None, resource_id=None, source=None,
        legacy_port=None, timeout=None, max_retries=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        client_id: Option<&str>,
        object_id: Option<&str>,
        resource_id: Option<&str>,
        source: Option<&str>,
        legacy_port: Option<u16>,
        timeout: Option<f64>,
        max_retries: Option<u32>,
    ) -> PyResult<Self> {
        let mut cfg = Config::default();
        cfg.identity = Identity::from_selectors(client_id, object_id, resource_id)
            .map_err(|e| config_error(py, &e))?;
        if let Some(name) = source {
            cfg.source = Some(SourceKind::from_name(name).ok_or_else(|| {
                let names: Vec<&str> = SourceKind::ALL.iter().map(|k| k.as_str()).collect();
                PyValueError::new_err(format!(
                    "unknown source {name:?}; one of {}",
                    names.join(", ")
                ))
            })?);
        }
        if let Some(port) = legacy_port {
            cfg.legacy_port = port;
        }
        if let Some(secs) = timeout {
            // The overall deadline of one token request.
            cfg.deadline = Some(Duration::try_from_secs_f64(secs).map_err(|_| {
                PyValueError::new_err(format!(
                    "timeout must be a finite, non-negative number of seconds; got {secs}"
                ))
            })?);
        }
        if let Some(n) = max_retries {
            cfg.retry.max_retries = n;
        }
        cfg.validate().map_err(|e| config_error(py, &e))?;
        // Source detection reads the process environment (no request is made).
        let inner = py.detach(|| azmi_host::ManagedIdentityCredential::new(cfg));
        Ok(Credential { inner, last: Mutex::new(None) })
    }

    /// azure-core's `TokenCredential.get_token`: an `AccessToken` for exactly one scope;
    /// `claims` bypasses the cache. A managed identity has one tenant: `tenant_id` and
    /// `enable_cae` change nothing, and other keywords (azure-core's options) are accepted.
    #[pyo3(signature = (*scopes, claims=None, tenant_id=None, enable_cae=false, **kwargs))]
    fn get_token(
        &self,
        py: Python<'_>,
        scopes: &Bound<'_, PyTuple>,
        claims: Option<&str>,
        tenant_id: Option<&str>,
        enable_cae: bool,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Option<Py<PyAny>>> {
        let _ = (tenant_id, enable_cae, kwargs);
        self.access_token(py, scopes, claims, false)
    }

    /// azure-core's `SupportsTokenInfo.get_token_info`: an `AccessTokenInfo` for exactly one
    /// scope; `options["claims"]` bypasses the cache.
    #[pyo3(signature = (*scopes, options=None))]
    fn get_token_info(
        &self,
        py: Python<'_>,
        scopes: &Bound<'_, PyTuple>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Option<Py<PyAny>>> {
        let claims = match options {
            Some(options) => options
                .get_item("claims")?
                .map(|c| c.extract::<Option<String>>())
                .transpose()?
                .flatten(),
            None => None,
        };
        self.access_token_info(py, scopes, claims.as_deref(), false)
    }

    /// `get_token` for event loops: `cached_only` answers `None` instead of fetching or waiting.
    #[pyo3(signature = (scopes, claims=None, cached_only=false))]
    fn access_token(
        &self,
        py: Python<'_>,
        scopes: &Bound<'_, PyTuple>,
        claims: Option<&str>,
        cached_only: bool,
    ) -> PyResult<Option<Py<PyAny>>> {
        let Some(token) = self.token_for_scopes(py, scopes, claims, cached_only)? else {
            return Ok(None);
        };
        let class = token_type(py, intern!(py, "AccessToken"), |r| &r.access_token)?;
        // The lock is never held while Python code runs: the interpreter may switch threads
        // there, and a thread blocked on this lock while holding the GIL would deadlock us.
        if let Some(issued) = self.last().as_ref() {
            if Arc::ptr_eq(&issued.token, &token) && issued.class.is(&class) {
                return Ok(Some(issued.object.clone_ref(py)));
            }
        }
        let object = class.call1((token.secret(), token.expires_on.0 / 1000))?.unbind();
        let issued = Issued { token, class: class.unbind(), object: object.clone_ref(py) };
        let previous = self.last().replace(issued);
        drop(previous); // after the lock is released: dropping a Python object may run Python
        Ok(Some(object))
    }

    /// `get_token_info` for event loops, as `access_token`.
    #[pyo3(signature = (scopes, claims=None, cached_only=false))]
    fn access_token_info(
        &self,
        py: Python<'_>,
        scopes: &Bound<'_, PyTuple>,
        claims: Option<&str>,
        cached_only: bool,
    ) -> PyResult<Option<Py<PyAny>>> {
        let Some(token) = self.token_for_scopes(py, scopes, claims, cached_only)? else {
            return Ok(None);
        };
        let class = token_type(py, intern!(py, "AccessTokenInfo"), |r| &r.access_token_info)?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("token_type", &token.token_type)?;
        kwargs.set_item("refresh_on", token.refresh_on.0 / 1000)?;
        Ok(Some(class.call((token.secret(), token.expires_on.0 / 1000), Some(&kwargs))?.unbind()))
    }

    /// The source this credential uses (stable snake_case name).
    #[getter]
    fn source(&self) -> &'static str {
        self.inner.detection().source.as_str()
    }

    /// Which source, and why, in one sentence.
    fn explain(&self) -> String {
        self.inner.detection().explain()
    }

    /// `client_id`, `object_id`, `resource_id`, or None for the system-assigned identity.
    #[getter]
    fn selector(&self) -> Option<&'static str> {
        self.inner.config().identity.selector()
    }

    /// A token for a resource (audience).
    fn get_token_for(&self, py: Python<'_>, resource: &str) -> PyResult<Token> {
        let resource = Resource::new(resource).map_err(|e| config_error(py, &e))?;
        let inner = match self.inner.cached(&resource) {
            Some(token) => token,
            None => self.fetch(py, &resource)?,
        };
        Ok(Token { inner })
    }

    fn __repr__(&self) -> String {
        let d = self.inner.detection();
        match self.inner.config().identity.selector() {
            Some(sel) => format!("Credential(source={:?}, {sel}=…)", d.source.as_str()),
            None => format!("Credential(source={:?})", d.source.as_str()),
        }
    }
}

impl Credential {
    fn last(&self) -> std::sync::MutexGuard<'_, Option<Issued>> {
        self.last.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The token for exactly one scope (see `token_for`).
    fn token_for_scopes(
        &self,
        py: Python<'_>,
        scopes: &Bound<'_, PyTuple>,
        claims: Option<&str>,
        cached_only: bool,
    ) -> PyResult<Option<Arc<AccessToken>>> {
        let resource = match scopes.len() {
            // The common case, read in place (abi3 from 3.10 borrows the UTF-8) without collecting.
            1 => Resource::from_scopes(&[scopes
                .get_borrowed_item(0)?
                .cast::<PyString>()?
                .to_str()?]),
            _ => Resource::from_scopes(&scopes.extract::<Vec<pyo3::pybacked::PyBackedStr>>()?),
        };
        let resource = resource.map_err(|e| config_error(py, &e))?;
        self.token_for(py, &resource, claims, cached_only)
    }

    /// The token for `resource`; `claims` first drops the cached one (it was refused with a
    /// claims challenge); `cached_only` answers `None` rather than fetch or wait.
    fn token_for(
        &self,
        py: Python<'_>,
        resource: &Resource,
        claims: Option<&str>,
        cached_only: bool,
    ) -> PyResult<Option<Arc<AccessToken>>> {
        if claims.is_some_and(|c| !c.is_empty()) {
            self.inner.invalidate(resource);
        }
        match self.inner.cached(resource) {
            Some(token) => Ok(Some(token)),
            None if cached_only => Ok(None),
            None => self.fetch(py, resource).map(Some),
        }
    }

    /// Fetches (or awaits another caller's fetch of) the token for `resource`, with the GIL
    /// released. Callers first try `cached`, which serves a token without releasing the GIL.
    fn fetch(&self, py: Python<'_>, resource: &Resource) -> PyResult<Arc<AccessToken>> {
        py.detach(|| self.inner.get_token_for(resource)).map_err(|e| token_error(py, &e))
    }
}

/// azure-core's token type `name` once the program has imported `azure.core.credentials` (so
/// its `isinstance` checks hold), else azmi's equivalent: looking in `sys.modules` rather than
/// importing keeps azure-core's import (about 90 ms) off the first token of programs without it.
fn token_type<'py>(
    py: Python<'py>,
    name: &Bound<'py, PyString>,
    ours: impl Fn(&Registered) -> &Py<PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    static MODULES: PyOnceLock<Py<PyDict>> = PyOnceLock::new();
    let modules = MODULES.get_or_try_init(py, || -> PyResult<Py<PyDict>> {
        Ok(py.import("sys")?.getattr("modules")?.cast_into::<PyDict>()?.unbind())
    })?;
    if let Some(module) = modules.bind(py).get_item(intern!(py, "azure.core.credentials"))? {
        if let Ok(class) = module.getattr(name) {
            return Ok(class);
        }
    }
    Ok(ours(registered(py)?).bind(py).clone())
}

/// The native ARM client: `azmi_host::ArmClient`; results are JSON text.
#[pyclass(frozen, module = "azmi._azmi")]
struct Arm {
    inner: azmi_host::ArmClient,
}

fn json_text(v: &serde_json::Value) -> String {
    v.to_string()
}

/// An optional JSON argument, parsed; `what` names it in the error.
fn json_arg<T: serde::de::DeserializeOwned>(what: &str, text: Option<&str>) -> PyResult<Option<T>> {
    text.map(serde_json::from_str)
        .transpose()
        .map_err(|e| PyValueError::new_err(format!("{what}: not valid JSON: {e}")))
}

#[pymethods]
impl Arm {
    #[new]
    #[pyo3(signature = (credential, *, cloud=None, endpoint=None, resource=None))]
    fn new(
        py: Python<'_>,
        credential: &Credential,
        cloud: Option<&str>,
        endpoint: Option<&str>,
        resource: Option<&str>,
    ) -> PyResult<Self> {
        let cloud = match (cloud, endpoint, resource) {
            (Some(name), None, None) => Cloud::from_name(name).ok_or_else(|| {
                PyValueError::new_err(format!(
                    "unknown cloud {name:?}; one of public, us_government, china"
                ))
            })?,
            (None, Some(endpoint), Some(resource)) => {
                Cloud::custom(endpoint, resource).map_err(|e| arm_error(py, &e))?
            }
            _ => {
                return Err(PyValueError::new_err(
                    "give either cloud (a name) or both endpoint and resource",
                ))
            }
        };
        Ok(Arm { inner: azmi_host::ArmClient::new(credential.inner.clone(), cloud) })
    }

    /// Subscriptions, as a JSON list.
    fn list_subscriptions(&self, py: Python<'_>) -> PyResult<String> {
        py.detach(|| self.inner.list_subscriptions())
            .map(|v| json_text(&serde_json::Value::Array(v)))
            .map_err(|e| arm_error(py, &e))
    }

    /// Resource groups of a subscription, as a JSON list.
    fn list_resource_groups(&self, py: Python<'_>, subscription_id: &str) -> PyResult<String> {
        py.detach(|| self.inner.list_resource_groups(subscription_id))
            .map(|v| json_text(&serde_json::Value::Array(v)))
            .map_err(|e| arm_error(py, &e))
    }

    /// Creates or updates a resource group; returns it as JSON.
    #[pyo3(signature = (subscription_id, name, location, tags=None))]
    fn create_resource_group(
        &self,
        py: Python<'_>,
        subscription_id: &str,
        name: &str,
        location: &str,
        tags: Option<&str>,
    ) -> PyResult<String> {
        let tags: Option<serde_json::Map<String, serde_json::Value>> = json_arg("tags", tags)?;
        py.detach(|| {
            self.inner.create_resource_group(subscription_id, name, location, tags.as_ref())
        })
        .map(|v| json_text(&v))
        .map_err(|e| arm_error(py, &e))
    }

    /// Deletes a resource group, polling until ARM says it is gone.
    fn delete_resource_group(
        &self,
        py: Python<'_>,
        subscription_id: &str,
        name: &str,
    ) -> PyResult<()> {
        py.detach(|| self.inner.delete_resource_group(subscription_id, name, |_| {}))
            .map_err(|e| arm_error(py, &e))
    }

    /// A generic request: `GET`/`PUT`/`DELETE`/... on a path; returns the JSON body (text).
    #[pyo3(signature = (method, path, api_version, body=None))]
    fn request(
        &self,
        py: Python<'_>,
        method: &str,
        path: &str,
        api_version: &str,
        body: Option<&str>,
    ) -> PyResult<String> {
        let body: Option<serde_json::Value> = json_arg("body", body)?;
        let request =
            ArmRequest::generic(method, path, api_version, body).map_err(|e| arm_error(py, &e))?;
        let outcome = py.detach(|| self.inner.execute(&request)).map_err(|e| arm_error(py, &e))?;
        Ok(match outcome {
            ArmOutcome::Response(r) => json_text(&r.body),
            ArmOutcome::Items { items, .. } => json_text(&serde_json::Value::Array(items)),
            other => json_text(&serde_json::Value::String(format!("{other:?}"))),
        })
    }
}

#[pymodule]
fn _azmi(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(_register, m)?)?;
    m.add_class::<Token>()?;
    m.add_class::<Credential>()?;
    m.add_class::<Arm>()?;
    sansio::register(m)?;
    let sources: Vec<&str> = SourceKind::ALL.iter().map(|k| k.as_str()).collect();
    m.add("SOURCES", PyList::new(m.py(), sources)?)?;
    m.add("DEFAULT_LEGACY_PORT", azmi_core::DEFAULT_LEGACY_PORT)?;
    Ok(())
}
