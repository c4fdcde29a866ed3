//! azmi-core as a WebAssembly component (`wit/azmi.wit`, `azmi:identity@0.1.0`).
//!
//! Conversion only: each export converts its arguments, calls the core, and converts the result.
//! The core reads no clock, no environment and no randomness, so the component imports nothing.
//! Resource methods take `&self`, so each flow lives in a `RefCell`; the component model never
//! re-enters an instance, so a borrow can never be held twice.

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
