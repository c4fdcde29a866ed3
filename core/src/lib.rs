//! azmi-core: Azure managed identity tokens and Azure Resource Manager calls as pure state
//! machines.
//!
//! No sockets, clocks, environment reads, threads or randomness: the caller passes the
//! configuration, an environment snapshot, the time and each response, and carries out the
//! actions the core returns. One loop drives any flow:
//!
//! ```no_run
//! use azmi_core::{Action, Config, EnvSnapshot, Resource, TokenFlow, UnixMillis};
//! # fn now() -> UnixMillis { UnixMillis(0) }
//! # fn send(_: &http::Request<Vec<u8>>) -> http::Response<Vec<u8>> { unimplemented!() }
//! # fn sleep_until(_: UnixMillis) {}
//! # fn read(_: &str) -> Vec<u8> { Vec::new() }
//! let resource = Resource::from_scopes(&["https://management.azure.com/.default"])?;
//! let mut flow = TokenFlow::new(&Config::default(), &EnvSnapshot::new(), &resource, now())?;
//! let token = loop {
//!     match flow.poll(now()) {
//!         Action::Send(out) => {
//!             let resp = send(&out.request); // honour out.timeout, out.tls_pin, out.bypass_proxy
//!             flow.handle_response(out.id, resp, now());
//!         }
//!         Action::ReadFile { id, path, .. } => flow.handle_file(id, Ok(read(&path)), now()),
//!         Action::WaitUntil(t) => sleep_until(t),
//!         Action::Done(result) => break result,
//!     }
//! };
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The items, by group: the token flow ([`TokenFlow`], [`Action`], [`AccessToken`]),
//! configuration ([`Options`], [`Config`], [`EnvSnapshot`]), the cache ([`TokenCache`]), ARM
//! ([`ArmOperation`], [`ArmFlow`], [`ArmOutcome`], [`Cloud`]), errors ([`TokenError`],
//! [`ConfigError`], [`ArmError`]), the conventions of the libraries azmi replaces ([`compat`]), and
//! the same flows with JSON in and out ([`wire`]).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod action;
mod arm;
mod cache;
pub mod compat;
mod config;
mod env;
mod error;
mod expiry;
mod flow;
mod jwt;
mod options;
mod redact;
mod response;
mod retry;
mod source;
mod time;
mod token;
mod wait;
pub mod wire;

// Token flow: one acquisition, what it asks the caller to do, and what it gives back.
pub use action::{Action, FileFailure, Outgoing, RequestId, TransportFailure};
pub use flow::TokenFlow;
pub use source::{Detection, IncompleteSource, SourceKind};
pub use time::UnixMillis;
pub use token::{AccessToken, IdentityClaims};
pub use wait::{DelaySetBy, WaitCause, WaitReason};

// Configuration: the one options record every surface fills, and what it becomes.
pub use config::{
    Config, Identity, Resource, RetryPolicy, DEFAULT_DEADLINE, DEFAULT_LEGACY_PORT, MAX_DEADLINE,
    MAX_RESPONSE_BYTES, MAX_RETRIES,
};
pub use env::{EnvSnapshot, HostOs, PLATFORM_VARIABLES, VARIABLES};
pub use options::{arm_endpoint_from_env, Naming, Options, ARM_ENDPOINT_VARIABLE};

// Cache: refresh-ahead and single-flight, decided here for every host.
pub use cache::{CacheKey, FetchTicket, Lookup, TokenCache, WaitOutcome, WaitTicket};

// ARM: the one table of named operations, the flow that runs them, and their outcomes.
pub use arm::{
    ArmAction, ArmConfig, ArmFlow, ArmOperation, ArmOperationKind, ArmOperationSpec, ArmOutcome,
    ArmRequest, ArmResponse, ArmResultShape, Cloud, RateLimits,
};

// Errors: one stable code per kind, shared by every binding.
pub use arm::{ArmError, ArmErrorKind, ErrorBody};
pub use error::{Attempt, AttemptResult, ConfigError, ErrorKind, TokenError};
