//! The credential: `azmi_host::ManagedIdentityCredential` as azure-core's `TokenCredential`, and
//! the token types it hands out.
//!
//! A cached token is served without releasing the GIL and without a Python frame: `get_token`
//! and `get_token_info` are native methods of the class azmi's Python credentials subclass.

use std::sync::{Arc, Mutex};

use azmi_core::{AccessToken, Cloud, Resource};
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyString, PyTuple};

use crate::errors::{py_err, registered};
use crate::{interrupt, logs, options, value};

/// An access token. Its repr never shows the secret.
#[pyclass(frozen, module = "azmi._azmi")]
pub(crate) struct Token {
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
pub(crate) struct Credential {
    pub(crate) inner: azmi_host::ManagedIdentityCredential,
    /// The Resource Manager its options name (`cloud`, `arm_endpoint`, `arm_resource`): an
    /// `ArmClient` given none of its own calls this one.
    pub(crate) cloud: Cloud,
    /// The options it was made from: a copy or an unpickled credential is made from them again.
    options: azmi_core::Options,
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
    /// `options` (a dict) and keywords: the core's options (`client_id`, `source`,
    /// `deadline_ms`, ...) and `timeout`, the deadline in seconds. An unknown key, a wrong type
    /// or a value out of range raises `ConfigurationError` naming the key.
    #[new]
    #[pyo3(signature = (options=None, /, **kwargs))]
    fn new(
        py: Python<'_>,
        options: Option<&Bound<'_, PyAny>>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        logs::ensure(py);
        let options = options::from_py(options, kwargs)?.map_err(|e| py_err(py, &e))?;
        let cfg = options.config().map_err(|e| py_err(py, &e))?;
        // Source detection reads the process environment (no request is made).
        let inner = py.detach(|| azmi_host::ManagedIdentityCredential::new(cfg));
        // The default cloud (AZMI_ARM_ENDPOINT) comes from the same snapshot as the source.
        let cloud = options.cloud(&inner.snapshot()).map_err(|e| py_err(py, &e))?;
        Ok(Credential { inner, cloud, options, last: Mutex::new(None) })
    }

    /// azure-core's `TokenCredential.get_token`: an `AccessToken` for exactly one scope;
    /// `claims` bypasses the cache. A managed identity has one tenant: `tenant_id` and
    /// `enable_cae` change nothing. Any other keyword is a `TypeError` (see `no_other_keywords`).
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
        let _ = (tenant_id, enable_cae);
        self.access_token(py, scopes, claims, false, None, kwargs)
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
        self.access_token_info(py, scopes, options, false, None)
    }

    /// `get_token` for event loops: `cached_only` answers `None` instead of fetching or waiting;
    /// `cancel` (a `threading.Event`), once set, ends a wait for a fetch (the fetch goes on);
    /// `kwargs`, the caller's keywords besides `get_token`'s, must be empty.
    #[pyo3(signature = (scopes, claims=None, cached_only=false, cancel=None, **kwargs))]
    fn access_token(
        &self,
        py: Python<'_>,
        scopes: &Bound<'_, PyTuple>,
        claims: Option<&str>,
        cached_only: bool,
        cancel: Option<&Bound<'_, PyAny>>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Option<Py<PyAny>>> {
        no_other_keywords(kwargs)?;
        let resource = one_scope(py, scopes)?;
        let Some(token) = self.token_for(py, &resource, claims, cached_only, cancel)? else {
            return Ok(None);
        };
        let class = token_type(py, TokenKind::Token)?;
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

    /// `get_token_info` for event loops, as `access_token`: `options` are azure-core's
    /// `TokenRequestOptions` (a dict; `claims` bypasses the cache, other keys change nothing).
    #[pyo3(signature = (scopes, options=None, cached_only=false, cancel=None))]
    fn access_token_info(
        &self,
        py: Python<'_>,
        scopes: &Bound<'_, PyTuple>,
        options: Option<&Bound<'_, PyDict>>,
        cached_only: bool,
        cancel: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Option<Py<PyAny>>> {
        let claims = match options {
            Some(options) => options
                .get_item("claims")?
                .map(|c| c.extract::<Option<String>>())
                .transpose()?
                .flatten(),
            None => None,
        };
        let resource = one_scope(py, scopes)?;
        let Some(token) = self.token_for(py, &resource, claims.as_deref(), cached_only, cancel)?
        else {
            return Ok(None);
        };
        let class = token_type(py, TokenKind::Info)?;
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
        let resource = Resource::new(resource).map_err(|e| py_err(py, &e))?;
        let inner = match self.inner.cached(&resource) {
            Some(token) => token,
            None => self.fetch(py, &resource, None)?,
        };
        Ok(Token { inner })
    }

    /// The options this credential was made from (those set), as a dict of the core's keys:
    /// `Credential(options)` makes an equal credential, with its own cache. Pickling and
    /// copying use it; the new credential detects its source from its own process's environment.
    fn _options<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let mut json = serde_json::to_value(&self.options)
            .map_err(|e| PyRuntimeError::new_err(format!("options have no JSON form: {e}")))?;
        if let serde_json::Value::Object(map) = &mut json {
            map.retain(|_, v| !v.is_null());
        }
        value::to_py(py, &json)
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

    /// The token for `resource`, after the host applies `claims` (a challenge bypasses the
    /// cache); `cached_only` answers `None` rather than fetch or wait; `cancel` ends a wait.
    fn token_for(
        &self,
        py: Python<'_>,
        resource: &Resource,
        claims: Option<&str>,
        cached_only: bool,
        cancel: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Option<Arc<AccessToken>>> {
        self.inner.apply_claims(resource, claims);
        match self.inner.cached(resource) {
            Some(token) => Ok(Some(token)),
            None if cached_only => Ok(None),
            None => self.fetch(py, resource, cancel).map(Some),
        }
    }

    /// Fetches (or awaits another caller's fetch of) the token for `resource`, with the GIL
    /// released; Ctrl-C interrupts the wait. Callers first try `cached`, which serves a token without releasing the GIL.
    fn fetch(
        &self,
        py: Python<'_>,
        resource: &Resource,
        cancel: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Arc<AccessToken>> {
        logs::ensure(py);
        let (inner, resource) = (self.inner.clone(), resource.clone());
        interrupt::run(py, cancel, move || inner.get_token_for(&resource))?
            .map_err(|e| py_err(py, &e))
    }
}

/// azure-core's `get_token` takes `claims`, `tenant_id` and `enable_cae`; its `**kwargs` are for
/// credentials with options of their own, and azmi's are the constructor's. Another keyword is a
/// mistake that must not pass unnoticed: a misspelt `claims` would drop a claims challenge.
fn no_other_keywords(kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<()> {
    let Some(key) = kwargs.and_then(|k| k.keys().iter().next()) else { return Ok(()) };
    Err(PyTypeError::new_err(format!(
        "get_token() got an unexpected keyword argument {}; it takes claims, tenant_id and \
         enable_cae (azmi's options, such as timeout, are the credential's)",
        key.repr()?
    )))
}

/// The resource for exactly one scope (azure-core's `*scopes`).
fn one_scope(py: Python<'_>, scopes: &Bound<'_, PyTuple>) -> PyResult<Resource> {
    let resource = match scopes.len() {
        // The common case, read in place (abi3 from 3.10 borrows the UTF-8) without collecting.
        1 => {
            let scope = scopes.get_borrowed_item(0)?;
            let scope = scope.cast::<PyString>().map_err(|_| not_a_scope(scopes))?;
            Resource::from_scopes(&[scope.to_str()?])
        }
        _ => Resource::from_scopes(
            &scopes
                .extract::<Vec<pyo3::pybacked::PyBackedStr>>()
                .map_err(|_| not_a_scope(scopes))?,
        ),
    };
    resource.map_err(|e| py_err(py, &e))
}

/// A scope that is not a `str`, named with what to pass instead. The usual cause is
/// `get_token_info(scope, {"claims": ...})`: the options dict taken as a second scope.
fn not_a_scope(scopes: &Bound<'_, PyTuple>) -> PyErr {
    let other = scopes.iter().find(|s| !s.is_instance_of::<PyString>());
    let type_name = other.and_then(|s| s.get_type().name().ok().map(|n| n.to_string()));
    PyTypeError::new_err(format!(
        "a scope must be a str such as 'https://management.azure.com/.default', not {}; claims \
         and options are keyword arguments (claims=..., options={{...}})",
        type_name.as_deref().unwrap_or("another type")
    ))
}

/// The token type of `kind`: once the program has imported `azure.core.credentials`, a
/// subclass of azure-core's (so its `isinstance` checks hold) whose repr hides the token; else
/// azmi's equivalent. Looking in `sys.modules` rather than importing keeps azure-core's import
/// (about 90 ms) off the first token of programs without it.
fn token_type(py: Python<'_>, kind: TokenKind) -> PyResult<Bound<'_, PyAny>> {
    static MODULES: PyOnceLock<Py<PyDict>> = PyOnceLock::new();
    let modules = MODULES.get_or_try_init(py, || -> PyResult<Py<PyDict>> {
        Ok(py.import("sys")?.getattr("modules")?.cast_into::<PyDict>()?.unbind())
    })?;
    let (name, ours, cache) = match kind {
        TokenKind::Token => (intern!(py, "AccessToken"), &registered(py)?.access_token, &HIDDEN[0]),
        TokenKind::Info => {
            (intern!(py, "AccessTokenInfo"), &registered(py)?.access_token_info, &HIDDEN[1])
        }
    };
    if let Some(module) = modules.bind(py).get_item(intern!(py, "azure.core.credentials"))? {
        if let Ok(base) = module.getattr(name) {
            return hidden(py, cache, base);
        }
    }
    Ok(ours.bind(py).clone())
}

#[derive(Clone, Copy)]
enum TokenKind {
    Token,
    Info,
}

/// azure-core's class and azmi's subclass of it, derived on first use.
struct Hidden {
    base: Py<PyAny>,
    class: Py<PyAny>,
}

static HIDDEN: [PyOnceLock<Hidden>; 2] = [PyOnceLock::new(), PyOnceLock::new()];

/// azmi's subclass of `base`: derived once (Python code), then found here with no Python frame.
fn hidden<'py>(
    py: Python<'py>,
    cache: &PyOnceLock<Hidden>,
    base: Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let derive = |base: &Bound<'py, PyAny>| registered(py)?.hiding.bind(py).call1((base,));
    let kept = cache.get_or_try_init(py, || -> PyResult<Hidden> {
        Ok(Hidden { base: base.clone().unbind(), class: derive(&base)?.unbind() })
    })?;
    if kept.base.is(&base) {
        return Ok(kept.class.bind(py).clone());
    }
    // Another class under azure-core's name (a reloaded module): Python keeps one per base.
    derive(&base)
}
