//! Service Fabric over HTTPS, trusted only by pinning the certificate's SHA-1 thumbprint, as
//! MSAL does against a real cluster.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use sha1::{Digest, Sha1};

use crate::support::*;

/// Accepts exactly the certificate whose SHA-1 is `thumbprint`; signatures are still checked.
#[derive(Debug)]
struct Pin {
    thumbprint: String,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl ServerCertVerifier for Pin {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let seen: String =
            Sha1::digest(end_entity.as_ref()).iter().map(|b| format!("{b:02X}")).collect();
        if seen == self.thumbprint {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(format!("thumbprint {seen} is not the pinned one")))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

/// One HTTPS GET over a pinned connection; `Err` when the handshake or I/O fails.
fn pinned_get(url: &str, thumbprint: &str, headers: &[(&str, &str)]) -> Result<Resp, String> {
    assert_loopback(url);
    let rest = url.strip_prefix("https://").unwrap();
    let (authority, path) = rest.split_at(rest.find('/').unwrap());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Pin {
            thumbprint: thumbprint.to_owned(),
            provider,
        }))
        .with_no_client_auth();
    let mut conn =
        rustls::ClientConnection::new(Arc::new(config), ServerName::try_from("localhost").unwrap())
            .map_err(|e| e.to_string())?;
    let mut sock = TcpStream::connect(authority).map_err(|e| e.to_string())?;
    sock.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut tls = rustls::Stream::new(&mut conn, &mut sock);
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n");
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    tls.write_all(request.as_bytes()).map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    match tls.read_to_end(&mut raw) {
        Ok(_) => {}
        // The server may close without close_notify after `Connection: close`.
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !raw.is_empty() => {}
        Err(e) => return Err(e.to_string()),
    }
    let text = String::from_utf8(raw).map_err(|e| e.to_string())?;
    let (head, body) = text.split_once("\r\n\r\n").ok_or("no header end")?;
    let mut lines = head.lines();
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    Ok(Resp { status, headers, body: body.to_owned() })
}

#[test]
fn token_over_pinned_https() {
    let emu = start();
    let endpoint = env(&emu, "service_fabric", "IDENTITY_ENDPOINT");
    let secret = env(&emu, "service_fabric", "IDENTITY_HEADER");
    let thumbprint = env(&emu, "service_fabric", "IDENTITY_SERVER_THUMBPRINT");
    assert_eq!(thumbprint.len(), 40);
    assert!(thumbprint.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase()));

    let target = url(&endpoint, "", &[("api-version", "2019-07-01-preview"), ("resource", ARM)]);
    let r = pinned_get(&target, &thumbprint, &[("Secret", &secret)]).unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    let body = r.json();
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["expires_on"].is_u64());
    assert_eq!(body["resource"], ARM);
    assert_token_for(&emu, body["access_token"].as_str().unwrap(), &emu.identities()[0], ARM);

    let r = pinned_get(&target, &thumbprint, &[]).unwrap();
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"]["code"], "SecretHeaderNotFound");
    let r = pinned_get(&target, &thumbprint, &[("Secret", "wrong")]).unwrap();
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error"]["code"], "ManagedIdentityNotFound");
    let r = pinned_get(
        &url(&endpoint, "", &[("api-version", "2019-08-01"), ("resource", ARM)]),
        &thumbprint,
        &[("Secret", &secret)],
    )
    .unwrap();
    assert_eq!(r.json()["error"]["code"], "InvalidApiVersion");
    let r = pinned_get(
        &url(&endpoint, "", &[("api-version", "2019-07-01-preview")]),
        &thumbprint,
        &[("Secret", &secret)],
    )
    .unwrap();
    assert_eq!(r.json()["error"]["code"], "ArgumentNullOrEmpty");
}

#[test]
fn another_pin_is_refused() {
    let emu = start();
    let endpoint = env(&emu, "service_fabric", "IDENTITY_ENDPOINT");
    let err = pinned_get(&endpoint, &"0".repeat(40), &[]).unwrap_err();
    assert!(err.contains("pinned"), "{err}");
}

#[test]
fn https_port_serves_only_service_fabric() {
    let emu = start();
    let r = pinned_get(
        &format!(
            "{}/metadata/identity/oauth2/token?api-version=2018-02-01&resource={ARM}",
            emu.https_url()
        ),
        &emu.sf_thumbprint(),
        &[("Metadata", "true")],
    )
    .unwrap();
    // That path is Service Fabric's own on a real cluster, so it answers as Service Fabric.
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"]["code"], "SecretHeaderNotFound");
    let r = pinned_get(&format!("{}/subscriptions", emu.https_url()), &emu.sf_thumbprint(), &[])
        .unwrap();
    assert_eq!(r.status, 404);
}
