//! The core's sans-IO flows for Python (`azmi.sansio`): JSON text in and out through
//! `azmi_core::wire`, so Python code (an asyncio app with its own HTTP client, the shared-vector
//! runner) drives the same decisions as the native credential. Conversion only.

use azmi_core::wire::{self, JsonArmFlow, JsonCache, JsonTokenFlow, WireError};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

fn wire_error(py: Python<'_>, e: WireError) -> PyErr {
    match e.code {
        "bad_input" => PyValueError::new_err(e.message),
        code => crate::errors::Failure::coded(code, e.message).into_py(py),
    }
}

fn parse(py: Python<'_>, what: &str, text: &str) -> PyResult<serde_json::Value> {
    wire::parse(what, text).map_err(|e| wire_error(py, e))
}

/// The `#[pymethods]` of a flow class: its own methods (given), then the ones both flows share,
/// written once: `poll` and the answers to a `send`, over the core's methods of the same names on
/// `JsonTokenFlow` and `JsonArmFlow`. (pyo3 takes one `#[pymethods]` block per class.)
macro_rules! flow_methods {
    ($flow:ident $($own:tt)*) => {
        #[pymethods]
        impl $flow {
            $($own)*

            fn poll(&mut self, now_ms: u64) -> String {
                self.inner.poll(now_ms).to_string()
            }

            fn handle_response(
                &mut self,
                py: Python<'_>,
                id: u64,
                response: &str,
                now_ms: u64,
            ) -> PyResult<()> {
                let response = parse(py, "response", response)?;
                self.inner.handle_response(id, &response, now_ms).map_err(|e| wire_error(py, e))
            }

            fn handle_transport_error(&mut self, id: u64, kind: &str, now_ms: u64) {
                self.inner.handle_transport_error(id, kind, now_ms)
            }
        }
    };
}

/// One token acquisition. `poll(now_ms)` returns the next action as JSON text.
#[pyclass(module = "azmi._azmi")]
struct TokenFlow {
    inner: JsonTokenFlow,
}

flow_methods! { TokenFlow
    #[new]
    #[pyo3(signature = (config, env, now_ms, arc_agent_installed=false))]
    fn new(
        py: Python<'_>,
        config: &str,
        env: &str,
        now_ms: u64,
        arc_agent_installed: bool,
    ) -> PyResult<Self> {
        let (config, env) = (parse(py, "config", config)?, parse(py, "env", env)?);
        JsonTokenFlow::new(&config, &env, arc_agent_installed, now_ms)
            .map(|inner| TokenFlow { inner })
            .map_err(|e| wire_error(py, e))
    }

    /// `contents` (bytes) or `error` (`not_found`, `too_large`, `permission_denied`, ...).
    #[pyo3(signature = (id, now_ms, contents=None, error=None))]
    fn handle_file(
        &mut self,
        id: u64,
        now_ms: u64,
        contents: Option<Vec<u8>>,
        error: Option<&str>,
    ) -> PyResult<()> {
        let result = match (contents, error) {
            (Some(bytes), None) => Ok(bytes),
            (None, Some(e)) => Err(e),
            _ => return Err(PyValueError::new_err("give exactly one of contents and error")),
        };
        self.inner.handle_file(id, result, now_ms);
        Ok(())
    }

    #[pyo3(signature = (env, arc_agent_installed=false))]
    fn handle_env(&mut self, py: Python<'_>, env: &str, arc_agent_installed: bool) -> PyResult<()> {
        let env = parse(py, "env", env)?;
        self.inner.handle_env(&env, arc_agent_installed);
        Ok(())
    }

    fn __repr__(&self) -> &'static str {
        "TokenFlow(…)"
    }
}

/// Which source a configuration and environment choose, and why (JSON text).
#[pyfunction]
#[pyo3(signature = (config, env, arc_agent_installed=false))]
fn detect(py: Python<'_>, config: &str, env: &str, arc_agent_installed: bool) -> PyResult<String> {
    let (config, env) = (parse(py, "config", config)?, parse(py, "env", env)?);
    wire::detect(&config, &env, arc_agent_installed)
        .map(|v| v.to_string())
        .map_err(|e| wire_error(py, e))
}

/// The token cache with single-flight; tickets are integers.
#[pyclass(module = "azmi._azmi")]
struct TokenCache {
    inner: JsonCache,
}

#[pymethods]
impl TokenCache {
    #[new]
    fn new() -> Self {
        TokenCache { inner: JsonCache::new() }
    }

    fn lookup(&mut self, py: Python<'_>, key: &str, now_ms: u64) -> PyResult<String> {
        let key = parse(py, "key", key)?;
        self.inner.lookup(&key, now_ms).map(|v| v.to_string()).map_err(|e| wire_error(py, e))
    }

    fn complete(&mut self, py: Python<'_>, ticket: u64, result: &str, now_ms: u64) -> PyResult<()> {
        let result = parse(py, "result", result)?;
        self.inner.complete(ticket, &result, now_ms).map_err(|e| wire_error(py, e))
    }

    fn abandon(&mut self, py: Python<'_>, ticket: u64) -> PyResult<()> {
        self.inner.abandon(ticket).map_err(|e| wire_error(py, e))
    }

    fn poll_wait(&mut self, py: Python<'_>, waiter: u64, now_ms: u64) -> PyResult<String> {
        self.inner.poll_wait(waiter, now_ms).map(|v| v.to_string()).map_err(|e| wire_error(py, e))
    }

    fn invalidate(&mut self, py: Python<'_>, key: &str) -> PyResult<()> {
        let key = parse(py, "key", key)?;
        self.inner.invalidate(&key).map_err(|e| wire_error(py, e))
    }

    fn __repr__(&self) -> &'static str {
        "TokenCache(…)"
    }
}

/// One ARM operation; `poll(now_ms)` returns the next action as JSON text.
#[pyclass(module = "azmi._azmi")]
struct ArmFlow {
    inner: JsonArmFlow,
}

flow_methods! { ArmFlow
    #[new]
    #[pyo3(signature = (operation, now_ms, config="{}", cloud="null"))]
    fn new(
        py: Python<'_>,
        operation: &str,
        now_ms: u64,
        config: &str,
        cloud: &str,
    ) -> PyResult<Self> {
        let op = parse(py, "operation", operation)?;
        arm_flow(py, config, cloud, |cfg, cloud| JsonArmFlow::new(cfg, cloud, &op, now_ms))
    }

    /// Resumes a long-running operation from its continuation token.
    #[staticmethod]
    #[pyo3(signature = (token, now_ms, config="{}", cloud="null"))]
    fn resume(
        py: Python<'_>,
        token: &str,
        now_ms: u64,
        config: &str,
        cloud: &str,
    ) -> PyResult<Self> {
        arm_flow(py, config, cloud, |cfg, cloud| JsonArmFlow::resume(cfg, cloud, token, now_ms))
    }

    fn handle_token(&mut self, py: Python<'_>, result: &str, now_ms: u64) -> PyResult<()> {
        let result = parse(py, "result", result)?;
        self.inner.handle_token(&result, now_ms).map_err(|e| wire_error(py, e))
    }

    fn continuation_token(&self) -> Option<String> {
        self.inner.continuation_token()
    }

    fn __repr__(&self) -> &'static str {
        "ArmFlow(…)"
    }
}

/// An `ArmFlow` started by `start` from the ARM config and cloud (JSON text).
fn arm_flow(
    py: Python<'_>,
    config: &str,
    cloud: &str,
    start: impl FnOnce(&serde_json::Value, &serde_json::Value) -> Result<JsonArmFlow, WireError>,
) -> PyResult<ArmFlow> {
    let (config, cloud) = (parse(py, "config", config)?, parse(py, "cloud", cloud)?);
    start(&config, &cloud).map(|inner| ArmFlow { inner }).map_err(|e| wire_error(py, e))
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<TokenFlow>()?;
    m.add_class::<TokenCache>()?;
    m.add_class::<ArmFlow>()?;
    m.add_function(wrap_pyfunction!(detect, m)?)?;
    Ok(())
}
