//! The host's `tracing` events on Python's `azmi` logger.
//!
//! No `tracing` subscriber is set in a Python process, so tracing's `log` feature turns each
//! event into a `log` record; `pyo3-log` hands those to Python's `logging`. Targets are renamed
//! under `azmi` (`azmi_host::drive` → logger `azmi.host.drive`), so configuring the `azmi`
//! logger configures them all; records from other crates (the HTTP and TLS stacks) are dropped.
//!
//! The bridge is installed on the first credential, fetch or ARM call made after the program has
//! imported `logging` (a program that never did has no handler to feed, and `import azmi` does
//! not import it). A cached token is served without any of this: the cache hit emits no event.
//! Each event takes the GIL to ask Python whether its logger is enabled, so Python's level
//! changes apply at once; the host emits no event while it holds a lock a GIL holder may want.

use std::sync::atomic::{AtomicBool, Ordering};

use log::{LevelFilter, Log, Metadata, Record};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3_log::{Caching, Logger};

static INSTALLED: AtomicBool = AtomicBool::new(false);

/// Installs the bridge once, if the program has imported `logging`.
pub(crate) fn ensure(py: Python<'_>) {
    if INSTALLED.load(Ordering::Relaxed) || !logging_imported(py) {
        return;
    }
    if INSTALLED.swap(true, Ordering::Relaxed) {
        return;
    }
    // A failure leaves azmi without logs, never without tokens.
    let Ok(logger) = Logger::new(py, Caching::Loggers) else { return };
    if log::set_boxed_logger(Box::new(Renamed(logger.filter(LevelFilter::Debug)))).is_ok() {
        log::set_max_level(LevelFilter::Debug);
    }
}

fn logging_imported(py: Python<'_>) -> bool {
    let modules = py.import("sys").and_then(|sys| sys.getattr("modules"));
    let modules = modules.and_then(|m| m.cast_into::<PyDict>().map_err(PyErr::from));
    modules.and_then(|m| m.contains("logging")).unwrap_or(false)
}

/// `pyo3-log`'s logger, for azmi's records only, under Python names below `azmi`.
struct Renamed(Logger);

/// `azmi_host::drive` → `azmi::host::drive` (pyo3-log turns `::` into `.`); `None` for other
/// crates' targets.
fn python_target(target: &str) -> Option<String> {
    target.strip_prefix("azmi_").map(|rest| format!("azmi::{rest}"))
}

impl Log for Renamed {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        python_target(metadata.target()).is_some_and(|target| {
            self.0.enabled(&Metadata::builder().level(metadata.level()).target(&target).build())
        })
    }

    fn log(&self, record: &Record<'_>) {
        if let Some(target) = python_target(record.target()) {
            let renamed = Record::builder()
                .args(*record.args())
                .level(record.level())
                .target(&target)
                .module_path(record.module_path())
                .file(record.file())
                .line(record.line())
                .build();
            self.0.log(&renamed);
        }
    }

    fn flush(&self) {}
}
