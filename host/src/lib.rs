//! azmi-host: the native adapters around `azmi-core`. A real HTTP transport (ureq, with the
//! Service Fabric certificate pin), the one drive loop, a thread-safe
//! `ManagedIdentityCredential` whose concurrent callers share one fetch (decided by the core's
//! cache), an async variant for tokio, and an `ArmClient`.
#![warn(missing_docs)]

mod arm;
mod asynchronous;
#[cfg(feature = "component")]
pub mod component;
mod credential;
mod drive;
mod tls_pin;
mod transport;

pub use arm::ArmClient;
pub use asynchronous::AsyncManagedIdentityCredential;
pub use credential::{process_env, EnvSource, ManagedIdentityCredential};
pub use drive::{now, Progress};
pub use transport::Transport;
