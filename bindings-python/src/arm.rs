//! The ARM client: `azmi_host::ArmClient` over a credential. It runs the operations of the
//! core's one table (`azmi_core::ArmOperation`, built by Python from its JSON form) and returns
//! each outcome through the core's one conversion (`ArmOutcome::into_value`, or its full serde
//! form); the cloud comes from the core's options record.

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use azmi_core::{wire, ArmConfig, ArmOperationKind, Options, WaitCause};
use azmi_host::Progress;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::credential::Credential;
use crate::errors::py_err;
use crate::options::{self, not_json};
use crate::{interrupt, logs, value};

/// The native ARM client.
#[pyclass(frozen, module = "azmi._azmi")]
pub(crate) struct Arm {
    inner: azmi_host::ArmClient,
}

#[pymethods]
impl Arm {
    /// The Resource Manager of `cloud` (`public`, `us_government`, `china`), or `arm_endpoint`
    /// with `arm_resource`; with none of them, the credential's (its options' `cloud`, ...).
    /// `timeout`: each operation's overall deadline, in seconds.
    #[new]
    #[pyo3(signature = (credential, *, cloud=None, arm_endpoint=None, arm_resource=None,
                        timeout=None))]
    fn new(
        py: Python<'_>,
        credential: &Credential,
        cloud: Option<String>,
        arm_endpoint: Option<String>,
        arm_resource: Option<String>,
        timeout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let mut limits = ArmConfig::default();
        if let Some(timeout) = timeout.filter(|t| !t.is_none()) {
            let ms = value::to_value(timeout, "timeout".into())
                .map_err(not_json)
                .and_then(options::timeout_ms)
                .map_err(|e| py_err(py, &e))?;
            limits.deadline = ms.map_or(limits.deadline, Duration::from_millis);
        }
        let cloud = if cloud.is_none() && arm_endpoint.is_none() && arm_resource.is_none() {
            credential.cloud.clone()
        } else {
            let mut options = Options::default();
            (options.cloud, options.arm_endpoint, options.arm_resource) =
                (cloud, arm_endpoint, arm_resource);
            options.cloud(&credential.inner.snapshot()).map_err(|e| py_err(py, &e))?
        };
        let inner = azmi_host::ArmClient::new(credential.inner.clone(), cloud).with_config(limits);
        Ok(Arm { inner })
    }

    /// Runs one operation of the core's table, given in its JSON form (`{"op":
    /// "list_resource_groups", "subscription_id": ...}`, `{"op": "request", "method", "path",
    /// "api_version", ...}`); returns the outcome's natural value (a body, the list of items, a
    /// bool), or with `full` the whole outcome (`{"response": ...}`, `{"items", "last"}`, ...).
    /// `progress(status, state, wait_s, polls)` is called after each answer that leaves a
    /// long-running operation running (the core's poll reason); an exception it raises stops
    /// the operation and is raised here as it is.
    #[pyo3(signature = (operation, *, full=false, progress=None))]
    fn run<'py>(
        &self,
        py: Python<'py>,
        operation: &Bound<'py, PyAny>,
        full: bool,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let operation =
            value::to_value(operation, String::new()).map_err(|e| e.type_error("operation"))?;
        let request = wire::arm_request(&operation).map_err(|e| py_err(py, &e))?;
        logs::ensure(py);
        let arm = self.inner.clone();
        let outcome = match progress.filter(|p| !p.is_none(py)) {
            None => interrupt::run(py, None, move || arm.execute(&request))?,
            Some(callback) => {
                // A caller that stopped waiting (Ctrl-C) stops the operation at its next wait:
                // the callback is not called after the call has returned.
                let abandoned = Arc::new(AtomicBool::new(false));
                let gone = Arc::clone(&abandoned);
                let mut polls = 0;
                let observed = move || {
                    arm.execute_observed(&request, |p| match gone.load(Ordering::Relaxed) {
                        true => ControlFlow::Break(None),
                        false => tell(&callback, p, &mut polls).map_break(Some),
                    })
                };
                let run = interrupt::run(py, None, observed);
                abandoned.store(run.is_err(), Ordering::Relaxed);
                match run? {
                    ControlFlow::Continue(outcome) => outcome,
                    ControlFlow::Break(raised) => {
                        return Err(raised.unwrap_or_else(|| {
                            PyRuntimeError::new_err("the operation was abandoned")
                        }))
                    }
                }
            }
        };
        let outcome = outcome.map_err(|e| py_err(py, &e))?;
        let result = if full {
            serde_json::to_value(&outcome).map_err(|e| {
                PyRuntimeError::new_err(format!("the outcome has no JSON form: {e}"))
            })?
        } else {
            outcome.into_value()
        };
        value::to_py(py, &result)
    }

    fn __repr__(&self) -> String {
        format!("Arm(endpoint={:?})", self.inner.cloud().endpoint())
    }
}

/// Calls the progress callback for a wait before another poll (other waits are retries), from
/// the call's thread, taking the GIL; what it raises stops the operation.
fn tell(callback: &Py<PyAny>, progress: &Progress, polls: &mut u32) -> ControlFlow<PyErr> {
    let Some(WaitCause::Poll { status, state }) = progress.reason.as_ref().map(|r| &r.cause) else {
        return ControlFlow::Continue(());
    };
    let wait_s = progress.until.0.saturating_sub(azmi_host::now().0) as f64 / 1000.0;
    let fields = (*status, state.as_deref(), wait_s, *polls);
    *polls += 1;
    match Python::attach(|py| callback.call1(py, fields).map(drop)) {
        Ok(()) => ControlFlow::Continue(()),
        Err(raised) => ControlFlow::Break(raised),
    }
}

/// Registers the ARM client and the names of the core's operations.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Arm>()?;
    let names: Vec<&str> = ArmOperationKind::ALL.iter().map(|k| k.as_str()).collect();
    m.add("ARM_OPERATIONS", PyList::new(m.py(), names)?)?;
    Ok(())
}
