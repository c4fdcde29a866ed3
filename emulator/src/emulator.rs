//! The handle: starts the listeners, answers questions about them, stops them on drop.

use std::collections::VecDeque;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::arc_keys::ArcKeys;
use crate::arm::state::ArmState;
use crate::ca::CaFiles;
use crate::config::{EmulatorConfig, IdentitySpec};
use crate::fault::{Fault, FaultQueues, ENDPOINTS};
use crate::http_util::unix_now;
use crate::request_log::LoggedRequest;
use crate::server::{self, Listener, Running};
use crate::shared::{lock, Secrets, Shared};
use crate::signing::Signer;

/// A running emulator. Every listener is on 127.0.0.1; dropping the handle (or
/// [`Emulator::stop`]) closes them and ends every connection, including hung ones.
pub struct Emulator {
    shared: Arc<Shared>,
    http_addr: SocketAddr,
    https_addr: SocketAddr,
    legacy_addr: Option<SocketAddr>,
    arm_https_addr: SocketAddr,
    ca_files: CaFiles,
    running: Running,
}

/// Binds on loopback only: the emulator hands out tokens and secrets to whoever asks.
fn bind_loopback(port: u16) -> io::Result<TcpListener> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, port))
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message.to_owned())
}

impl Emulator {
    /// Makes the signing key, the Service Fabric certificate and the emulator's CA (written to
    /// [`EmulatorConfig::ca_file`] or a temp dir), binds on 127.0.0.1 the main port (HTTP, every
    /// endpoint but Service Fabric, and the `CONNECT` proxy), the Service Fabric port (HTTPS,
    /// self-signed), the ARM https port and the legacy port if configured (each
    /// [`EmulatorConfig`]'s port, `0` for a free one), loads the ARM state file, and returns once
    /// all are accepting connections.
    ///
    /// Errors: a port in use, an unwritable CA file, an unreadable or invalid state file, or a
    /// config with `arm_page_size` 0 or no subscriptions.
    pub fn start(cfg: EmulatorConfig) -> io::Result<Emulator> {
        if cfg.arm_page_size == 0 {
            return Err(invalid("arm_page_size must be at least 1"));
        }
        if cfg.subscriptions.is_empty() {
            return Err(invalid("at least one subscription is needed"));
        }
        let signer = Signer::generate(&cfg.tenant_id)?;
        let cert = crate::tls::generate()?;
        let authority = crate::ca::generate()?;
        let arm = ArmState::load(cfg.state_file.as_deref())?;
        let main = bind_loopback(cfg.http_port)?;
        let sf = bind_loopback(cfg.service_fabric_port)?;
        let arm_tls = bind_loopback(cfg.arm_https_port)?;
        let legacy = cfg.legacy_port.map(bind_loopback).transpose()?;
        let http_addr = main.local_addr()?;
        let https_addr = sf.local_addr()?;
        let arm_https_addr = arm_tls.local_addr()?;
        let legacy_addr = legacy.as_ref().map(TcpListener::local_addr).transpose()?;
        let mut ca_files = CaFiles::write(&authority.ca_pem, cfg.ca_file.as_deref())?;
        let arc = match ArcKeys::create(cfg.arc_key_dir.as_deref()) {
            Ok(arc) => arc,
            Err(e) => {
                ca_files.remove();
                return Err(e);
            }
        };
        let shared = Arc::new(Shared {
            signer,
            sf_thumbprint: cert.thumbprint,
            http_base: format!("http://{http_addr}"),
            https_base: format!("https://{https_addr}"),
            legacy_base: legacy_addr.map(|a| format!("http://{a}")),
            arm_https_base: format!("https://{arm_https_addr}"),
            ca_pem: authority.ca_pem,
            ca_file: ca_files.ca.clone(),
            ca_bundle: ca_files.bundle.clone(),
            arc_dir: arc.dir().to_path_buf(),
            secrets: Mutex::new(Secrets::generate()),
            faults: Mutex::new(FaultQueues::default()),
            log: Mutex::new(VecDeque::new()),
            arc: Mutex::new(arc),
            arm: Mutex::new(arm),
            cfg,
        });
        let mut listeners = vec![
            (main, Listener::Main),
            (sf, Listener::ServiceFabric),
            (arm_tls, Listener::ArmTls),
        ];
        if let Some(l) = legacy {
            listeners.push((l, Listener::Legacy));
        }
        let acceptors =
            server::Acceptors { service_fabric: cert.acceptor, arm: authority.acceptor };
        let running = match server::spawn(shared.clone(), listeners, acceptors) {
            Ok(r) => r,
            Err(e) => {
                lock(&shared.arc).remove_dir();
                ca_files.remove();
                return Err(e);
            }
        };
        tracing::info!(http = %http_addr, https = %https_addr, arm_https = %arm_https_addr, legacy = ?legacy_addr, "azmi emulator listening");
        Ok(Emulator {
            shared,
            http_addr,
            https_addr,
            legacy_addr,
            arm_https_addr,
            ca_files,
            running,
        })
    }

    /// `http://127.0.0.1:PORT`: every endpoint but Service Fabric, ARM and the control API.
    pub fn http_url(&self) -> String {
        format!("http://{}", self.http_addr)
    }

    /// The ARM endpoint over plain http (the same server as [`Emulator::http_url`]), without a
    /// trailing slash. Clients that insist on https use [`Emulator::arm_https_endpoint`].
    pub fn arm_endpoint(&self) -> String {
        self.http_url()
    }

    /// `https://127.0.0.1:PORT`: the same ARM over https, with a certificate from the
    /// emulator's CA ([`Emulator::ca_pem`]); what `AZMI_ARM_ENDPOINT` is set to.
    pub fn arm_https_endpoint(&self) -> String {
        format!("https://{}", self.arm_https_addr)
    }

    /// The port of the main listener (also the `CONNECT` proxy: `HTTPS_PROXY`).
    pub fn http_port(&self) -> u16 {
        self.http_addr.port()
    }

    /// The emulator CA's certificate, PEM. It signs the certificate ARM is served with, for
    /// `127.0.0.1`, `localhost` and the real ARM host names (reached through the proxy).
    pub fn ca_pem(&self) -> String {
        self.shared.ca_pem.clone()
    }

    /// The file holding [`Emulator::ca_pem`] (for `NODE_EXTRA_CA_CERTS`).
    pub fn ca_file(&self) -> PathBuf {
        self.shared.ca_file.clone()
    }

    /// The file holding the system's CA bundle (when found) followed by the emulator's CA (for
    /// `SSL_CERT_FILE` and `REQUESTS_CA_BUNDLE`, which replace the roots).
    pub fn ca_bundle_file(&self) -> PathBuf {
        self.shared.ca_bundle.clone()
    }

    /// The variables that point ARM clients at the emulator's ARM over https, whatever the
    /// identity source:
    ///
    /// | variable | value | read by |
    /// | --- | --- | --- |
    /// | `AZMI_ARM_ENDPOINT` | [`Emulator::arm_https_endpoint`] | azmi (CLI, `ArmClient`, demo) |
    /// | `HTTPS_PROXY`, `https_proxy` | `http://127.0.0.1:PORT` (the main port) | SDKs calling `https://management.azure.com` and the other clouds' ARM hosts |
    /// | `NO_PROXY`, `no_proxy` | `127.0.0.1,localhost,::1` | everyone: the endpoints are reached directly |
    /// | `SSL_CERT_FILE`, `REQUESTS_CA_BUNDLE` | [`Emulator::ca_bundle_file`] | azmi, OpenSSL, requests |
    /// | `NODE_EXTRA_CA_CERTS` | [`Emulator::ca_file`] | Node (at its start) |
    ///
    /// The proxy answers `CONNECT` only for ARM host names, by serving its own ARM inside the
    /// tunnel; it never connects anywhere, so other https in a shell with these variables
    /// fails with `403` until `HTTPS_PROXY` is unset.
    pub fn arm_env(&self) -> Vec<(String, String)> {
        crate::env::arm_env(&self.shared)
    }

    /// `https://127.0.0.1:PORT`: the Service Fabric endpoint's server.
    pub fn https_url(&self) -> String {
        format!("https://{}", self.https_addr)
    }

    /// The legacy VM extension listener's port, when [`EmulatorConfig::legacy_port`] asked for one.
    pub fn legacy_port(&self) -> Option<u16> {
        self.legacy_addr.map(|a| a.port())
    }

    /// The environment variables that point a client at this emulator as `source` (one of
    /// [`SOURCES`](crate::SOURCES)); an unknown name gives an empty list. Secrets are the current
    /// ones, so call it again after [`Emulator::rotate_identity_header`].
    ///
    /// | source | variables |
    /// | --- | --- |
    /// | `imds` | `AZURE_POD_IDENTITY_AUTHORITY_HOST` |
    /// | `app_service` | `IDENTITY_ENDPOINT` (`…/msi/token`), `IDENTITY_HEADER` |
    /// | `app_service_2017` | `MSI_ENDPOINT` (`…/MSI/token`), `MSI_SECRET`, `APPSETTING_WEBSITE_SITE_NAME` |
    /// | `azure_ml` | `MSI_ENDPOINT` (`…/ml/token`), `MSI_SECRET` |
    /// | `cloud_shell` | `MSI_ENDPOINT` (`…/cloudshell/token`) |
    /// | `azure_arc` | `IDENTITY_ENDPOINT` (`…/arc/token`), `IMDS_ENDPOINT`, `AZMI_ARC_KEY_DIR` |
    /// | `service_fabric` | `IDENTITY_ENDPOINT` (`https://…/sf/token`), `IDENTITY_HEADER`, `IDENTITY_SERVER_THUMBPRINT` |
    /// | `legacy_vm_extension` | `MSI_ENDPOINT` (`…/oauth2/token` on the legacy port, else the main one), as msrestazure reads it |
    pub fn env_for(&self, source: &str) -> Vec<(String, String)> {
        crate::env::env_for(&self.shared, source)
    }

    /// SHA-1 of the Service Fabric certificate's DER: 40 upper-case hex digits.
    pub fn sf_thumbprint(&self) -> String {
        self.shared.sf_thumbprint.clone()
    }

    /// The directory Azure Arc key files are written to: [`EmulatorConfig::arc_key_dir`], or a
    /// private temp dir removed on drop.
    pub fn arc_key_dir(&self) -> PathBuf {
        self.shared.arc_dir.clone()
    }

    /// The configured identities.
    pub fn identities(&self) -> &[IdentitySpec] {
        &self.shared.cfg.identities
    }

    /// The tenant in every token and subscription.
    pub fn tenant_id(&self) -> &str {
        &self.shared.cfg.tenant_id
    }

    /// The JWT signing key's public half (SPKI PEM), to verify issued tokens.
    pub fn public_key_pem(&self) -> String {
        self.shared.signer.public_key_pem().to_owned()
    }

    /// A token as the endpoints would issue it for `identity` and audience `resource` (for
    /// testing ARM clients without going through an identity endpoint).
    pub fn issue_token(&self, identity: &IdentitySpec, resource: &str) -> String {
        let lifetime = self.shared.cfg.token_lifetime.as_secs();
        self.shared.signer.mint(identity, resource, unix_now(), lifetime)
    }

    /// The request log, oldest first (control API calls excluded; the latest 10 000 are kept).
    /// It never holds headers or bodies, so no secret or token can be in it.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        lock(&self.shared.log).iter().cloned().collect()
    }

    /// Queues faults for an endpoint ([`ENDPOINTS`]); each following request to it takes one.
    ///
    /// # Panics
    /// On an endpoint name not in [`ENDPOINTS`] (a typo would otherwise silently inject nothing).
    pub fn inject(&self, endpoint: &str, faults: Vec<Fault>) {
        assert!(
            ENDPOINTS.contains(&endpoint),
            "unknown emulator endpoint {endpoint:?}; one of {ENDPOINTS:?}"
        );
        lock(&self.shared.faults).push(endpoint, faults);
    }

    /// Clears pending faults and the request log and returns ARM to its state at start.
    pub fn reset(&self) {
        crate::control::reset(&self.shared);
    }

    /// App Service rotates `IDENTITY_HEADER`: from now on only the returned value is accepted
    /// (by the 2019 and 2017 protocols alike); the old one gets `401`.
    pub fn rotate_identity_header(&self) -> String {
        crate::control::rotate_identity_header(&self.shared)
    }

    /// Stops every listener and connection and removes the Arc key directory (same as drop).
    pub fn stop(self) {}
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.running.stop();
        lock(&self.shared.arc).remove_dir();
        self.ca_files.remove();
    }
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("http", &self.http_addr)
            .field("https", &self.https_addr)
            .field("legacy", &self.legacy_addr)
            .field("arm_https", &self.arm_https_addr)
            .finish_non_exhaustive()
    }
}
