//! The emulator's own certificate authority, made at start, and the certificate ARM is served
//! with over https: on the ARM https listener and inside `CONNECT` tunnels for the real ARM host
//! names. Clients trust it through the CA file (or a bundle of it and the system roots) whose
//! path the emulator hands out, so no client needs its verification switched off.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

/// The Resource Manager host names of the clouds azmi knows: the emulator terminates TLS for
/// these (and only these) when a client asks its proxy to `CONNECT` to them.
pub const ARM_HOSTS: &[&str] =
    &["management.azure.com", "management.usgovcloudapi.net", "management.chinacloudapi.cn"];

/// Where the usual distributions keep their system CA bundle (Debian first).
const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
];

pub(crate) struct Authority {
    /// The CA certificate, PEM.
    pub ca_pem: String,
    /// TLS with the leaf for `localhost`, `127.0.0.1` and [`ARM_HOSTS`].
    pub acceptor: TlsAcceptor,
}

fn io_err(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("emulator certificate authority: {e}"))
}

pub(crate) fn generate() -> io::Result<Authority> {
    let ca_key = KeyPair::generate().map_err(io_err)?;
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(io_err)?;
    ca.distinguished_name.push(DnType::CommonName, "azmi emulator local CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca.self_signed(&ca_key).map_err(io_err)?;
    let issuer = Issuer::new(ca, ca_key);

    let leaf_key = KeyPair::generate().map_err(io_err)?;
    let mut names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    names.extend(ARM_HOSTS.iter().map(|h| (*h).to_owned()));
    let mut leaf = CertificateParams::new(names).map_err(io_err)?;
    leaf.distinguished_name.push(DnType::CommonName, "azmi emulator Resource Manager");
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    // Python 3.13's strict verification wants the authority key identifier on leaves.
    leaf.use_authority_key_identifier_extension = true;
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer).map_err(io_err)?;

    let chain = vec![leaf_cert.der().clone(), ca_cert.der().clone()];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    // ring, not the process default provider: the workspace never builds aws-lc-rs.
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(io_err)?
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .map_err(io_err)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Authority { ca_pem: pem(ca_cert.der()), acceptor: TlsAcceptor::from(Arc::new(config)) })
}

fn pem(der: &CertificateDer<'_>) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

/// The CA written out: the CA alone (`NODE_EXTRA_CA_CERTS` adds to Node's roots) and a bundle
/// of the system roots plus the CA (`SSL_CERT_FILE` and `REQUESTS_CA_BUNDLE` replace the
/// roots, and other https in that shell must keep working).
pub(crate) struct CaFiles {
    pub ca: PathBuf,
    pub bundle: PathBuf,
    /// A private directory made for the files, removed with them; `None` when the caller named
    /// the file.
    owned_dir: Option<PathBuf>,
}

impl CaFiles {
    /// Writes `ca_pem` to `configured` (its bundle beside it, `NAME-bundle.pem`) or to a fresh
    /// private directory under the system temp dir.
    pub fn write(ca_pem: &str, configured: Option<&Path>) -> io::Result<CaFiles> {
        let (ca, bundle, owned_dir) = match configured {
            Some(path) => {
                let stem = path.file_stem().unwrap_or_default().to_string_lossy();
                let bundle = path.with_file_name(format!("{stem}-bundle.pem"));
                (path.to_path_buf(), bundle, None)
            }
            None => {
                let dir = std::env::temp_dir()
                    .join(format!("azmi-emulator-ca-{}", crate::random::hex(8)));
                // Only Unix sets a mode on it; elsewhere the builder is used as made.
                #[cfg_attr(not(unix), allow(unused_mut))]
                let mut builder = fs::DirBuilder::new();
                #[cfg(unix)]
                std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
                builder.create(&dir)?;
                (dir.join("ca.pem"), dir.join("ca-bundle.pem"), Some(dir))
            }
        };
        let files = CaFiles { ca, bundle, owned_dir };
        write_file(&files.ca, ca_pem.as_bytes())?;
        let mut bundle = system_roots();
        if !bundle.is_empty() && !bundle.ends_with(b"\n") {
            bundle.push(b'\n');
        }
        bundle.extend_from_slice(ca_pem.as_bytes());
        write_file(&files.bundle, &bundle)?;
        Ok(files)
    }

    /// Removes what [`CaFiles::write`] made (a named file is the caller's and stays).
    pub fn remove(&mut self) {
        if let Some(dir) = self.owned_dir.take() {
            let _ = fs::remove_dir_all(dir);
        }
    }
}

fn write_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = fs::File::create(path)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    file.write_all(bytes)
}

/// The first system CA bundle found, or nothing (then the bundle holds the emulator's CA only).
fn system_roots() -> Vec<u8> {
    SYSTEM_BUNDLES.iter().find_map(|p| fs::read(p).ok()).unwrap_or_default()
}
