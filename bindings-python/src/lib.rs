//! `azmi._azmi`: the Python extension module. Thin: each function converts its arguments, calls
//! `azmi-host` or the core, and converts the result or error. The public API (azure-identity and
//! msrestazure compatible classes, exception hierarchy) is in `python/azmi/`.
//!
//! Python registers, once at import, a function giving the exception class of each stable code
//! and azmi's own token types (`errors`).

use azmi_core::{Options, SourceKind};
use pyo3::prelude::*;
use pyo3::types::PyList;

// Token flow.
mod credential;
mod interrupt;
// Configuration: Python values → the core's options record, and the msrestazure profile.
mod compat;
mod options;
mod value;
// ARM.
mod arm;
// Errors and logs.
mod errors;
mod logs;
// The sans-IO state machines (`azmi.sansio`).
mod sansio;

#[pymodule]
fn _azmi(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(errors::_register, m)?)?;
    m.add_class::<credential::Token>()?;
    m.add_class::<credential::Credential>()?;
    arm::register(m)?;
    compat::register(m)?;
    sansio::register(m)?;
    let sources: Vec<&str> = SourceKind::ALL.iter().map(|k| k.as_str()).collect();
    m.add("SOURCES", PyList::new(py, sources)?)?;
    let keys: Vec<&str> = Options::KEYS.iter().chain(options::SURFACE_KEYS).copied().collect();
    m.add("OPTIONS", PyList::new(py, keys)?)?;
    Ok(())
}
