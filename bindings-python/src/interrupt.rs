//! Blocking calls that Ctrl-C can interrupt.
//!
//! A fetch or an ARM wait can take up to its deadline (minutes for a long-running operation).
//! Python only runs its signal handlers between bytecodes, so a call that waited with the GIL
//! released for all that time would hold back `KeyboardInterrupt` until it ended. Instead the
//! call runs on a helper thread while the calling thread waits in short slices, taking the GIL
//! back between them to let Python run its handlers. The same slices let an event loop whose
//! caller was cancelled release the executor thread that waits (`cancel`), so `asyncio.run`,
//! which joins that executor, does not wait for the fetch too.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use pyo3::exceptions::PyRuntimeError;
use pyo3::intern;
use pyo3::prelude::*;

/// How long the caller waits with the GIL released before it looks for a pending signal.
const SLICE: Duration = Duration::from_millis(100);

/// Runs `work` with the GIL released; a signal handler that raises (Ctrl-C's
/// `KeyboardInterrupt`) ends the wait with its exception, and so does `cancel` (an object with
/// `is_set()`, such as `threading.Event`) once set. The abandoned call then ends on its own,
/// within its deadline, and its result is dropped (a fetch's token is cached).
pub(crate) fn run<T, F>(py: Python<'_>, cancel: Option<&Bound<'_, PyAny>>, work: F) -> PyResult<T>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let (tx, mut rx) = mpsc::sync_channel::<T>(1);
    std::thread::Builder::new()
        .name("azmi-call".into())
        .spawn(move || {
            // The caller may be gone (interrupted): nothing waits for the result then.
            let _ = tx.send(work());
        })
        .map_err(|e| PyRuntimeError::new_err(format!("could not start azmi's call thread: {e}")))?;
    loop {
        // The receiver moves to the GIL-free side and back (it is not `Sync`).
        let (received, back) = py.detach(move || (rx.recv_timeout(SLICE), rx));
        rx = back;
        match received {
            Ok(result) => return Ok(result),
            Err(RecvTimeoutError::Timeout) => {
                py.check_signals()?;
                if let Some(cancel) = cancel {
                    if cancel.call_method0(intern!(py, "is_set"))?.is_truthy()? {
                        return Err(PyRuntimeError::new_err("the caller cancelled the call"));
                    }
                }
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(PyRuntimeError::new_err("azmi's call thread ended without a result"))
            }
        }
    }
}
