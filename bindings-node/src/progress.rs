//! `onProgress` for long-running ARM operations. The host's observed hook hears each wait on the
//! operation's thread; a wait before another poll (not a retry) becomes an [`ArmProgress`] that
//! the callback gets on the event loop, and the thread waits for it to return, so the next poll
//! goes out only after the callback saw this one. `index.js` wraps the caller's callback so that
//! nothing throws here: the wrapper answers `false` when the callback threw, which stops the
//! operation (no further request; ARM goes on with what it accepted), and `index.js` then
//! rejects with what the callback threw.

use std::ops::ControlFlow;
use std::sync::mpsc;

use azmi_core::WaitCause;
use azmi_host::Progress;
use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;

use crate::errors::Failure;

/// Where a long-running operation stands after one of its polls (or its first answer).
#[napi(object)]
pub struct ArmProgress {
    /// The HTTP status of the answer (202 while a `Location` poll runs, 200 with a status).
    pub status_code: u32,
    /// ARM's word for the state (`InProgress`, `Deleting`, ...): the operation's `status` or
    /// the resource's `provisioningState`; absent when the answer has none.
    pub state: Option<String>,
    /// Milliseconds until the next poll (ARM's `Retry-After`, or the poll interval).
    pub wait_ms: f64,
    /// Polls made so far (0 after the operation's first answer).
    pub polls: u32,
}

/// The callback, callable from the operation's thread; it answers whether to go on.
pub(crate) type Callback = ThreadsafeFunction<ArmProgress, bool, ArmProgress, Status, false>;

/// The callback in `options.onProgress`, if there is one.
pub(crate) fn from_options(options: Option<&Object<'_>>) -> Result<Option<Callback>> {
    let Some(options) = options else { return Ok(None) };
    let function: Option<Function<ArmProgress, bool>> = options.get_named_property("onProgress")?;
    function.map(|f| f.build_threadsafe_function().callee_handled::<false>().build()).transpose()
}

/// The failure a stopped operation rejects with (`index.js` puts what the callback threw in
/// its place).
pub(crate) fn stopped() -> Failure {
    let message = "the onProgress callback stopped the operation; no further request was sent";
    Failure::new("Error", "stopped", message.into())
}

/// Tells the callback about each poll; counts them.
pub(crate) struct Reporter {
    callback: Callback,
    polls: u32,
}

impl Reporter {
    pub(crate) fn new(callback: Callback) -> Self {
        Reporter { callback, polls: 0 }
    }

    /// The observed hook: `Break` when the callback threw.
    pub(crate) fn hear(&mut self, progress: &Progress) -> ControlFlow<()> {
        let Some(WaitCause::Poll { status, state }) = progress.reason.as_ref().map(|r| &r.cause)
        else {
            return ControlFlow::Continue(());
        };
        let wait_ms = progress.until.0.saturating_sub(azmi_host::now().0) as f64;
        let value = ArmProgress {
            status_code: *status as u32,
            state: state.clone(),
            wait_ms,
            polls: self.polls,
        };
        self.polls += 1;
        let (tx, rx) = mpsc::sync_channel(1);
        let queued = self.callback.call_with_return_value(
            value,
            ThreadsafeFunctionCallMode::Blocking,
            move |went_on: Result<bool>, _| {
                let _ = tx.send(went_on.unwrap_or(false));
                Ok(())
            },
        );
        // An environment that is ending cannot hear progress; the operation goes on without.
        if queued != Status::Ok {
            return ControlFlow::Continue(());
        }
        match rx.recv() {
            Ok(false) => ControlFlow::Break(()),
            _ => ControlFlow::Continue(()),
        }
    }
}
