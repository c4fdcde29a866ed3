//! azmi-host: the native adapters around `azmi-core`. A real HTTP transport (ureq, with the
//! Service Fabric certificate pin), the one drive loop, a thread-safe
//! [`ManagedIdentityCredential`] whose concurrent callers share one fetch (decided by the core's
//! cache), an async variant for tokio (feature `tokio`), and an [`ArmClient`].
//!
//! Every decision is made by an [`Engine`]: the core compiled into this crate, or (feature
//! `component`) the same core as a WebAssembly component. The credential, the ARM client and the
//! drive loop are written once against it, so both engines get the same single-flight, refresh,
//! waiter wake-up and errors.
//!
//! ```no_run
//! use azmi_core::{Cloud, Config};
//! use azmi_host::{ArmClient, ManagedIdentityCredential};
//!
//! let credential = ManagedIdentityCredential::new(Config::default());
//! let token = credential.get_token(&["https://management.azure.com/.default"])?;
//! let arm = ArmClient::new(credential, Cloud::public());
//! let subscriptions = arm.list_subscriptions()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

mod arm;
#[cfg(feature = "tokio")]
mod asynchronous;
mod cancel;
#[cfg(feature = "component")]
pub mod component;
mod credential;
mod drive;
mod engine;
mod keyfile;
mod tls_pin;
mod transport;

// Tokens: the credential, how it is built and where its environment comes from.
#[cfg(feature = "tokio")]
pub use asynchronous::AsyncManagedIdentityCredential;
pub use cancel::Cancel;
pub use credential::{process_env, CredentialBuilder, EnvSource, ManagedIdentityCredential};

// Engines: which build of the core decides (the component's own API is in `component`).
pub use engine::Engine;

// ARM: the client, and what it reports while it waits.
pub use arm::ArmClient;
pub use drive::Progress;

// I/O: the transport every flow sends with, and the clock.
pub use drive::now;
pub use transport::{Transport, CA_FILE_VARIABLE};
