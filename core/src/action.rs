//! What the core asks its caller to do, and the failures the caller reports back.

use std::fmt;
use std::time::Duration;

use crate::error::TokenError;
use crate::time::UnixMillis;
use crate::token::AccessToken;

/// Identifies one request (or file read) of a flow, so late answers to old requests are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestId(pub u64);

/// The next thing the caller must do for a token flow.
// Returned by value once per step; boxing `Send` would only add an allocation per request.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
#[must_use]
pub enum Action {
    /// Send this request, then call `handle_response` or `handle_transport_error`.
    Send(Outgoing),
    /// Nothing to do before this instant (or before a pending answer arrives); poll again then.
    WaitUntil(UnixMillis),
    /// Read this file (at most `max_bytes`; check the size before reading), then call
    /// `handle_file`. Used for the Azure Arc key file.
    ReadFile {
        /// Which read this is.
        id: RequestId,
        /// The validated path.
        path: String,
        /// Refuse larger files without reading them.
        max_bytes: u64,
    },
    /// The flow is over.
    Done(Result<AccessToken, TokenError>),
}

/// A request with the transport rules that go with it.
#[derive(Debug)]
pub struct Outgoing {
    /// Which request this is.
    pub id: RequestId,
    /// The request. Secret header values are marked sensitive (their `Debug` is hidden).
    pub request: http::Request<Vec<u8>>,
    /// Abort the whole exchange after this long and report `TransportFailure::Timeout`.
    pub timeout: Duration,
    /// Abort connecting after this long and report `TransportFailure::ConnectTimeout`.
    pub connect_timeout: Duration,
    /// Refuse response bodies larger than this (`TransportFailure::BodyTooLarge`).
    pub max_response_bytes: usize,
    /// When set, the server certificate's SHA-1 thumbprint (40 upper-case hex digits) must equal
    /// this; no other certificate check applies (Service Fabric's self-signed cluster cert).
    pub tls_pin: Option<String>,
    /// Connect directly: identity endpoints must bypass HTTP proxies.
    pub bypass_proxy: bool,
}

/// Why a request got no HTTP response.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TransportFailure {
    /// The peer refused the connection (nothing listens there).
    ConnectionRefused,
    /// Network or host unreachable, no route.
    Unreachable,
    /// The timeout given with the request passed.
    Timeout,
    /// No connection within the request's `connect_timeout`: nothing was sent. (A transport
    /// that cannot tell may report `Timeout`, which the core treats as the request possibly
    /// having been received.)
    ConnectTimeout,
    /// The connection was reset or closed mid-exchange.
    ConnectionReset,
    /// TLS failed, including a thumbprint mismatch.
    Tls,
    /// The body exceeded `max_response_bytes`.
    BodyTooLarge,
    /// Anything else; the text is for humans (as JSON, any other name).
    #[serde(untagged)]
    Other(String),
}

impl fmt::Display for TransportFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportFailure::ConnectionRefused => f.write_str("connection refused"),
            TransportFailure::Unreachable => f.write_str("network unreachable"),
            TransportFailure::Timeout => f.write_str("timed out"),
            TransportFailure::ConnectTimeout => f.write_str("timed out connecting"),
            TransportFailure::ConnectionReset => f.write_str("connection reset"),
            TransportFailure::Tls => f.write_str("TLS failure"),
            TransportFailure::BodyTooLarge => f.write_str("response body too large"),
            TransportFailure::Other(text) => write!(f, "transport error: {text}"),
        }
    }
}

/// Why a file read asked for by `Action::ReadFile` failed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FileFailure {
    /// No such file.
    NotFound,
    /// Larger than `max_bytes`; not read.
    TooLarge,
    /// Not allowed to read it.
    PermissionDenied,
    /// Anything else; the text is for humans (as JSON, any other name).
    #[serde(untagged)]
    Other(String),
}

impl fmt::Display for FileFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileFailure::NotFound => f.write_str("not found"),
            FileFailure::TooLarge => f.write_str("larger than allowed"),
            FileFailure::PermissionDenied => f.write_str("permission denied"),
            FileFailure::Other(text) => f.write_str(text),
        }
    }
}
