//! The real HTTP transport: carries out the core's `Outgoing` requests with ureq, honouring
//! everything the core asks for — per-attempt timeouts, the response size cap, no redirects,
//! proxy bypass for identity endpoints, and the Service Fabric certificate pin.

use std::collections::HashMap;
use std::io::ErrorKind;
use std::sync::Mutex;

use azmi_core::{Outgoing, TransportFailure};
use ureq::unversioned::resolver::DefaultResolver;
use ureq::unversioned::transport::{Connector, TcpConnector};
use ureq::Agent;

use crate::tls_pin::PinnedTls;

/// Sends requests. One per process is enough; it keeps connections alive per agent.
#[derive(Debug)]
pub struct Transport {
    /// Identity endpoints: never through a proxy (IMDS must be reached directly).
    direct: Agent,
    /// ARM: honours the standard proxy variables.
    proxied: Agent,
    /// One agent per pinned thumbprint (Service Fabric).
    pinned: Mutex<HashMap<String, Agent>>,
}

impl Default for Transport {
    fn default() -> Self {
        Self::new()
    }
}

impl Transport {
    /// A transport with the process's proxy settings for ARM.
    pub fn new() -> Self {
        Transport {
            direct: agent(None, None),
            proxied: agent(ureq::Proxy::try_from_env(), None),
            pinned: Mutex::new(HashMap::new()),
        }
    }

    /// Sends `out` and reads the whole response (at most `out.max_response_bytes`).
    pub fn send(&self, out: Outgoing) -> Result<http::Response<Vec<u8>>, TransportFailure> {
        let agent = match &out.tls_pin {
            Some(pin) => {
                let mut pinned = self.pinned.lock().unwrap_or_else(|e| e.into_inner());
                pinned.entry(pin.clone()).or_insert_with(|| agent(None, Some(pin))).clone()
            }
            None if out.bypass_proxy => self.direct.clone(),
            None => self.proxied.clone(),
        };
        let request = agent
            .configure_request(out.request)
            .timeout_global(Some(out.timeout))
            .timeout_connect(Some(out.connect_timeout))
            .build();
        let response = agent.run(request).map_err(failure)?;
        let (parts, mut body) = response.into_parts();
        let limit = out.max_response_bytes as u64;
        let bytes = body.with_config().limit(limit).read_to_vec().map_err(failure)?;
        Ok(http::Response::from_parts(parts, bytes))
    }
}

fn agent(proxy: Option<ureq::Proxy>, pin: Option<&str>) -> Agent {
    let config =
        Agent::config_builder().http_status_as_error(false).max_redirects(0).proxy(proxy).build();
    match pin {
        None => config.new_agent(),
        Some(pin) => Agent::with_parts(
            config,
            TcpConnector::default().chain(PinnedTls::new(pin)),
            DefaultResolver::default(),
        ),
    }
}

/// ureq's error as the core's transport failure.
fn failure(e: ureq::Error) -> TransportFailure {
    match e {
        // rustls errors raised inside the handshake reach us wrapped in an io::Error.
        ureq::Error::Io(io) if io.get_ref().is_some_and(|inner| inner.is::<rustls::Error>()) => {
            TransportFailure::Tls
        }
        ureq::Error::Io(io) => match io.kind() {
            ErrorKind::ConnectionRefused => TransportFailure::ConnectionRefused,
            ErrorKind::HostUnreachable
            | ErrorKind::NetworkUnreachable
            | ErrorKind::AddrNotAvailable => TransportFailure::Unreachable,
            ErrorKind::TimedOut | ErrorKind::WouldBlock => TransportFailure::Timeout,
            ErrorKind::ConnectionReset
            | ErrorKind::ConnectionAborted
            | ErrorKind::BrokenPipe
            | ErrorKind::UnexpectedEof => TransportFailure::ConnectionReset,
            _ => TransportFailure::Other(io.to_string()),
        },
        // ureq names the budget that ran out: `Connect` covers TCP and TLS set-up, before any
        // byte of the request was sent (the core's IMDS probe and ARM's retries rely on it).
        ureq::Error::Timeout(ureq::Timeout::Connect) => TransportFailure::ConnectTimeout,
        ureq::Error::Timeout(_) => TransportFailure::Timeout,
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => TransportFailure::Unreachable,
        ureq::Error::BodyExceedsLimit(_) => TransportFailure::BodyTooLarge,
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) => TransportFailure::Tls,
        other => TransportFailure::Other(other.to_string()),
    }
}
