//! azmi-core as a WebAssembly component (`wit/azmi.wit`, `azmi:identity@0.1.0`).
//!
//! Conversion only: each export converts its arguments, calls the core, and converts the result.
//! The core reads no clock, no environment and no randomness, so the component imports nothing.
//! Resource methods take `&self`, so each flow lives in a `RefCell`; the component model never
//! re-enters an instance, so a borrow can never be held twice.

/// `handle-response` and `handle-transport-error`, the same in the token and the ARM flow: each
/// hands the core's flow in `self.0` a response or why there is none (a response the core cannot
/// read is a transport failure).
macro_rules! answers {
    () => {
        fn handle_response(&self, id: u64, response: wt::HttpResponse, now: u64) {
            let mut flow = self.0.borrow_mut();
            let (id, now) = (c::RequestId(id), UnixMillis(now));
            match convert::response_from_wit(response) {
                Ok(resp) => flow.handle_response(id, resp, now),
                Err(e) => flow.handle_transport_error(id, c::TransportFailure::Other(e), now),
            }
        }

        fn handle_transport_error(&self, id: u64, error: wt::TransportError, now: u64) {
            let error = convert::transport_from_wit(error);
            self.0.borrow_mut().handle_transport_error(c::RequestId(id), error, UnixMillis(now));
        }
    };
}

mod arm;
mod cache;
mod convert;
mod identity;

wit_bindgen::generate!({ world: "engine", path: "../wit" });

/// The generated modules, under the names `convert.rs` expects (shared with the host).
mod w {
    pub(crate) use crate::exports::azmi::identity::{arm, cache, identity, types};
}

/// The component's exports.
struct Component;

export!(Component);
