//! The native addon of the `azmi` npm package. Thin: each function converts its arguments, calls
//! `azmi-host` (or `azmi-core`'s JSON layer for the sans-IO API) and converts the result or
//! error; the TypeScript definitions (`index.d.ts`) are generated from these items.
//!
//! Theory of operation: a cached token is served on the event loop thread through
//! `ManagedIdentityCredential::cached`, which never blocks on I/O; anything that needs a request
//! or waits for one runs on a detached thread of its own (`credential::fetch`, one path for
//! every token call) and settles its promise on the event loop, never on libuv's thread pool;
//! the host credential's single-flight makes concurrent callers share one request, and an
//! `AbortSignal` cancels it once every caller waiting on it has aborted. ARM operations run on
//! threads of their own too; a long-running operation's `onProgress` hears each poll from
//! there (`progress`), and the host's log events reach @azure/logger (`logs`). Panics are
//! caught at every entry (`catch_unwind` on exports, `guard` around the work on those threads).
//! A token's secret is only ever reachable through the `token` / `accessToken` getter: never in
//! a message, an `inspect` or a `toJSON` output.
#![warn(missing_docs)]
#![deny(clippy::all)]

mod arm;
mod credential;
#[doc(hidden)]
pub mod errors;
mod json;
mod logs;
mod msi;
mod options;
mod own;
mod progress;
mod sansio;
mod thread;

pub use arm::{ArmClient, ArmClientOptions, ArmOperationOptions, ArmRequestOptions};
pub use credential::{
    AccessToken, GetTokenOptions, ManagedIdentityCredential, ManagedIdentityCredentialOptions,
};
pub use logs::set_log_sink;
pub use msi::{
    login_with_app_service_msi, login_with_vm_msi, msi_app_service_credentials, msi_vm_credentials,
    MsiAppServiceOptions, MsiTokenCredentials, MsiTokenResponse, MsiVmOptions,
};
pub use progress::ArmProgress;
pub use sansio::{detect, ArmFlow, TokenCache, TokenFlow};

use napi_derive::napi;

/// The package version (the crate's).
#[napi]
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The managed identity sources azmi knows, in its stable snake_case names.
#[napi]
pub fn sources() -> Vec<&'static str> {
    azmi_core::SourceKind::ALL.iter().map(|k| k.as_str()).collect()
}
