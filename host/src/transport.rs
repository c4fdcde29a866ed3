//! The real HTTP transport: carries out the core's `Outgoing` requests with ureq, honouring
//! everything the core asks for — per-attempt timeouts, the response size cap, no redirects,
//! proxy bypass for identity endpoints, the Service Fabric certificate pin, and the CAs of
//! `SSL_CERT_FILE` trusted beside the built-in roots (the emulator's CA, a company's).

use std::collections::HashMap;
use std::io::ErrorKind;
use std::path::Path;
use std::sync::Mutex;

use azmi_core::{Outgoing, TransportFailure};
use rustls::pki_types::CertificateDer;
use ureq::unversioned::resolver::DefaultResolver;
use ureq::unversioned::transport::{ConnectProxyConnector, Connector, TcpConnector};
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

/// The variable naming a PEM file of CA certificates to trust (OpenSSL's name for it).
pub const CA_FILE_VARIABLE: &str = "SSL_CERT_FILE";

impl Transport {
    /// A transport with the process's proxy settings for ARM, trusting the CA certificates in
    /// the file `SSL_CERT_FILE` names besides the built-in roots. An unreadable file or one with
    /// no certificate is logged (a warning) and skipped: the built-in roots still apply.
    pub fn new() -> Self {
        let extra = match std::env::var_os(CA_FILE_VARIABLE) {
            Some(path) if !path.is_empty() => match read_ca_file(Path::new(&path)) {
                Ok(certs) => certs,
                Err(problem) => {
                    tracing::warn!(variable = CA_FILE_VARIABLE, %problem, "CA file not used");
                    Vec::new()
                }
            },
            _ => Vec::new(),
        };
        Self::with_roots(&extra)
    }

    /// A transport like [`Transport::new`] that trusts the CA certificates in `pem` besides the
    /// built-in roots, whatever `SSL_CERT_FILE` says.
    ///
    /// Errors (kind `InvalidData`): `pem` holds no certificate, or a malformed one (the message
    /// says which).
    pub fn with_extra_roots_pem(pem: &[u8]) -> std::io::Result<Self> {
        let certs =
            certificates(pem).map_err(|e| std::io::Error::new(ErrorKind::InvalidData, e))?;
        Ok(Self::with_roots(&certs))
    }

    fn with_roots(extra: &[CertificateDer<'static>]) -> Self {
        let tls = (!extra.is_empty()).then(|| PinnedTls::with_extra_roots(extra));
        Transport {
            direct: agent(None, None, tls.clone()),
            proxied: agent(ureq::Proxy::try_from_env(), None, tls),
            pinned: Mutex::new(HashMap::new()),
        }
    }

    /// Sends `out` and reads the whole response (at most `out.max_response_bytes`).
    pub fn send(&self, out: Outgoing) -> Result<http::Response<Vec<u8>>, TransportFailure> {
        let agent = match &out.tls_pin {
            Some(pin) => {
                let mut pinned = self.pinned.lock().unwrap_or_else(|e| e.into_inner());
                pinned.entry(pin.clone()).or_insert_with(|| agent(None, Some(pin), None)).clone()
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

fn agent(proxy: Option<ureq::Proxy>, pin: Option<&str>, tls: Option<PinnedTls>) -> Agent {
    let config =
        Agent::config_builder().http_status_as_error(false).max_redirects(0).proxy(proxy).build();
    match (pin, tls) {
        (Some(pin), _) => Agent::with_parts(
            config,
            TcpConnector::default().chain(PinnedTls::new(pin)),
            DefaultResolver::default(),
        ),
        // ureq's default chain (a CONNECT proxy when configured, TCP, TLS) with our TLS.
        (None, Some(tls)) => Agent::with_parts(
            config,
            ().chain(ConnectProxyConnector::default()).chain(TcpConnector::default()).chain(tls),
            DefaultResolver::default(),
        ),
        (None, None) => config.new_agent(),
    }
}

/// The certificates of a PEM file, with a message naming the file when there are none.
fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let pem = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    certificates(&pem).map_err(|e| format!("{}: {e}", path.display()))
}

fn certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(pem) {
        match item {
            Ok(ureq::tls::PemItem::Certificate(cert)) => {
                certs.push(CertificateDer::from(cert.der().to_vec()));
            }
            Ok(_) => {}
            Err(e) => return Err(format!("not valid PEM: {e}")),
        }
    }
    if certs.is_empty() {
        return Err("no PEM certificate (-----BEGIN CERTIFICATE-----) in it".to_owned());
    }
    Ok(certs)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_file_without_certificates_is_named_and_refused() {
        let err = Transport::with_extra_roots_pem(b"not a certificate").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidData);
        assert!(err.to_string().contains("no PEM certificate"), "{err}");
        let broken = b"-----BEGIN CERTIFICATE-----\n@@@@\n-----END CERTIFICATE-----\n";
        assert!(Transport::with_extra_roots_pem(broken).is_err());
        let missing = read_ca_file(Path::new("/nonexistent/azmi-ca.pem")).unwrap_err();
        assert!(missing.contains("/nonexistent/azmi-ca.pem"), "{missing}");
    }
}
