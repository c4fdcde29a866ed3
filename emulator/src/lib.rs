//! The azmi emulator: every Azure managed identity endpoint and a small Azure Resource Manager,
//! on loopback, for azmi's tests, `azmi demo` / `azmi emulate`, and anyone writing managed
//! identity code without Azure.
//!
//! ```no_run
//! let emulator = azmi_emulator::Emulator::start(Default::default())?;
//! for (name, value) in emulator.env_for("imds") {
//!     println!("{name}={value}"); // AZURE_POD_IDENTITY_AUTHORITY_HOST=http://127.0.0.1:PORT
//! }
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! The wire protocol is the real services' (requests, headers, body shapes, error shapes), so
//! unmodified SDKs work through the usual environment overrides ([`Emulator::env_for`]).
//!
//! | endpoint | where | caller check |
//! | --- | --- | --- |
//! | IMDS | `GET /metadata/identity/oauth2/token` | `Metadata: true`, no `X-Forwarded-For` |
//! | App Service 2019-08-01 | `GET /msi/token` | `X-IDENTITY-HEADER` (rotatable) |
//! | App Service 2017-09-01 | `GET /MSI/token[/]` with `api-version=2017-09-01` | `secret` |
//! | Azure ML | `GET /ml/token` | `secret` |
//! | Cloud Shell | `POST /cloudshell/token` (form) | `Metadata: true` |
//! | Azure Arc | `GET /arc/token` | `401` challenge naming a key file, then `Authorization: Basic <key>` |
//! | Service Fabric | `GET https://…/sf/token` (HTTPS port, self-signed, pin [`Emulator::sf_thumbprint`]) | `Secret` |
//! | legacy VM extension | `POST /oauth2/token` (form), also on [`EmulatorConfig::legacy_port`] | `Metadata: true` |
//! | ARM | `/metadata/endpoints`, `/subscriptions/…`, over http and on its https port ([`Emulator::arm_https_endpoint`], the emulator's CA) | `Authorization: Bearer <token from this emulator>` |
//! | ARM through a proxy | `CONNECT management.azure.com:443` (and the other [`ARM_HOSTS`]) on the main port: TLS with the emulator's CA, then ARM; anything else `403` | as ARM |
//! | control | `/_emulator/…` | none (loopback only) |
//!
//! Tokens are RS256 JWTs signed by a key made at start ([`Emulator::public_key_pem`]) with the
//! claims of Entra ID managed identity tokens (`aud`, `iss`, `tid`, `oid`, `appid`, `xms_mirid`,
//! `iat`, `nbf`, `exp`).
//!
//! The control API (no authentication; the emulator listens on 127.0.0.1 only and hands these
//! out on purpose): `GET /_emulator/info` (URLs, identities, env per source, thumbprint, key),
//! `GET /_emulator/requests` (the redacted log), `GET|POST /_emulator/faults`
//! (`{"endpoint": "imds", "faults": ["drop", {"kind": "throttle", "retry_after_secs": 2}]}`),
//! `POST /_emulator/reset`, `POST /_emulator/rotate-identity-header`.
//!
//! [`hostile`] is the opposite: endpoints that misbehave on purpose (silent, trickling, endless,
//! oversized, redirecting, echoing secrets, HTML, bad expiry values), for testing that a client
//! fails typed, in time and without leaking; the `azmi-hostile` binary serves them to tests in
//! other languages.
#![warn(missing_docs)]

mod arc_keys;
mod arm;
mod ca;
mod config;
mod control;
mod emulator;
mod env;
mod fault;
pub mod hostile;
mod http_util;
mod proxy;
mod random;
mod request_log;
mod server;
mod shared;
mod signing;
mod sources;
mod tls;
mod token_endpoints;

pub use ca::ARM_HOSTS;
pub use config::{
    DateFormat, EmulatorConfig, IdentityKind, IdentitySpec, SubscriptionSpec,
    DEFAULT_SUBSCRIPTION_ID, DEFAULT_TENANT_ID,
};
pub use emulator::Emulator;
pub use env::SOURCES;
pub use fault::{Fault, ENDPOINTS, MAX_FAULT_DELAY};
pub use request_log::LoggedRequest;
