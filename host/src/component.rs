//! The core as a WebAssembly component, run by wasmtime: the same decisions as the native
//! engine, from a sandboxed `wit/azmi.wit` component that imports nothing.
//!
//! # Theory of operation
//!
//! [`ComponentRuntime`] loads the component (built by `scripts/build-component`; found through
//! `AZMI_COMPONENT` or the repository's build output), compiles it once per machine and keeps
//! the compiled artefact on disk, keyed by the component's SHA-256 and wasmtime's compatibility
//! hash. A [`ComponentInstance`] is one instantiation in one wasmtime `Store`, behind a lock.
//! `crate::Engine::component(instance)` makes it the engine of a `ManagedIdentityCredential`
//! (and of its `ArmClient`): the one credential and drive loop, every decision in the component.
//! Its flows ([`ComponentTokenFlow`], [`ComponentArmFlow`], [`ComponentCache`]) are also public,
//! with the core's sans-IO API and types, for hosts and tests that drive them step by step.
//!
//! A trap fails the call that hit it with [`ComponentError::Trap`] and replaces the store with a
//! fresh instantiation: the next call works. Flows created in the old store end with
//! [`ComponentError::Restarted`], since their state died with it. Through the credential and
//! the ARM client, both are the core's errors of kind `Engine` (code `engine`).
//!
//! [`plugin`] serves WebAssembly plugins the draft `wasi:identity` interface from the host's
//! credentials, under a policy per plugin.

#[path = "../../component/src/convert.rs"]
mod convert;
mod engine;
mod error;
mod flows;
pub mod plugin;
mod precompiled;
mod runtime;

pub(crate) use convert::arm_request_to_wit;
pub(crate) use engine::{CacheSlot, ComponentTokenSteps};
pub use error::ComponentError;
pub use flows::{
    ComponentArmFlow, ComponentCache, ComponentFetchTicket, ComponentLookup, ComponentTokenFlow,
    ComponentWaitTicket,
};
pub use runtime::{
    default_component_path, precompiled_cache_dir, ComponentInstance, ComponentRuntime,
    DEFAULT_MEMORY_LIMIT,
};

/// The types `wit/azmi.wit` defines, as wasmtime generates them (hosts build ARM requests with
/// [`wit::arm`]'s `ArmRequest`).
pub mod wit {
    pub use super::bindings::exports::azmi::identity::{arm, cache, identity, types};
}

/// The generated modules, under the names `convert.rs` expects (shared with the guest).
use wit as w;

// The generated code carries the WIT file's documentation where it has any.
#[allow(missing_docs)]
mod bindings {
    wasmtime::component::bindgen!({ world: "engine", path: "../wit" });
}
