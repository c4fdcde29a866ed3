//! The Service Fabric endpoint's certificate: self-signed, made at start. Clients trust it only by
//! pinning its SHA-1 thumbprint (`IDENTITY_SERVER_THUMBPRINT`), exactly as on a real cluster.

use std::io;
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sha1::{Digest, Sha1};
use tokio_rustls::TlsAcceptor;

pub(crate) struct ServerCert {
    pub acceptor: TlsAcceptor,
    /// SHA-1 of the certificate's DER, 40 upper-case hex digits.
    pub thumbprint: String,
}

fn io_err(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("service fabric certificate: {e}"))
}

pub(crate) fn generate() -> io::Result<ServerCert> {
    let key = rcgen::KeyPair::generate().map_err(io_err)?;
    let mut params =
        rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .map_err(io_err)?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "azmi emulator (Service Fabric managed identity)");
    let cert = params.self_signed(&key).map_err(io_err)?;
    let der: CertificateDer<'static> = cert.der().clone();
    let thumbprint = Sha1::digest(der.as_ref()).iter().map(|b| format!("{b:02X}")).collect();
    let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    // ring, not the process default provider: the workspace never builds aws-lc-rs.
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(io_err)?
    .with_no_client_auth()
    .with_single_cert(vec![der], key_der)
    .map_err(io_err)?;
    Ok(ServerCert { acceptor: TlsAcceptor::from(Arc::new(config)), thumbprint })
}
