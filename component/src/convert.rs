//! Conversions between the WIT types of `wit/azmi.wit` and azmi-core's types.
//!
//! One set of files, compiled on both sides of the boundary: into the guest (`component/`) and
//! into the wasmtime adapter (`host/src/component.rs` includes this file by path), so the two
//! directions cannot drift apart. The including module provides `w`, holding the generated
//! `types`, `identity`, `cache` and `arm` modules; wit-bindgen (guest) and wasmtime's `bindgen!`
//! (host) generate the same shapes for records and variants. Nothing here decides anything: each
//! function maps fields, and builds core values with the core's own constructors.
//!
//! By concern: `types` (sources, identities, tokens, retry policies), `failures` (transport and
//! file failures, configuration and token errors), `exchange` (HTTP requests and responses),
//! `identity` (token flow configuration, environment, detection, actions) and `arm`.
// Each side uses the half that crosses in its direction.
#![allow(dead_code)]

// Named by path: the host includes this file by path, and a file included so looks for its
// submodules beside it, where the guest's `mod convert;` looks in `convert/`. A path attribute
// is relative to this file's directory for both.
#[path = "convert/arm.rs"]
mod arm;
#[path = "convert/exchange.rs"]
mod exchange;
#[path = "convert/failures.rs"]
mod failures;
#[path = "convert/identity.rs"]
mod identity;
#[path = "convert/types.rs"]
mod types;

use std::time::Duration;

use azmi_core as c;

use super::w::{arm as wa, identity as wi, types as wt};

// Each side uses some of each.
#[allow(unused_imports)]
pub(crate) use self::{arm::*, exchange::*, failures::*, identity::*, types::*};

// ---------------------------------------------------------------------------------------------
// Scalars

pub(crate) fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

pub(crate) fn duration(ms: u64) -> Duration {
    Duration::from_millis(ms)
}
