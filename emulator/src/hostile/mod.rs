//! Misbehaving endpoints on 127.0.0.1, for testing what managed identity code does when an
//! identity endpoint or Resource Manager stays silent, trickles, floods, redirects, echoes the
//! secrets it was sent, answers HTML or bytes that are not UTF-8, or hands out tokens with
//! hostile expiry values.
//!
//! ```no_run
//! use azmi_emulator::hostile::{Behaviour, Hostile};
//! let silent = Hostile::start(Behaviour::Silent)?; // ends by itself after 12 s
//! println!("AZURE_POD_IDENTITY_AUTHORITY_HOST={}", silent.url());
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! [`HostileSet`] starts servers by the names of [`NAMES`] (one per behaviour, plus the
//! well-behaved token endpoints a case needs beside them) and a control server reporting what
//! each one saw; the `azmi-hostile` binary runs a set for tests in other languages and prints
//! its URLs as one JSON line. The token the servers hand out is [`TOKEN`] (or
//! [`OPAQUE_TOKEN`]): a test asserts neither ever shows up where it must not.
//!
//! Everything is bounded: each server ends after its lifetime, each connection after
//! [`CONNECTION_LIFETIME`], at most [`MAX_LIVE`] connections are served at once, and sockets
//! have read and write timeouts.

mod control;
mod server;
mod set;

pub use server::{Behaviour, Hostile, CONNECTION_LIFETIME, DEFAULT_LIFETIME, MAX_LIVE};
pub use set::{behaviour, token_body, HostileSet, NAMES, OPAQUE_TOKEN, TOKEN};
