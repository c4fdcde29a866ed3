//! State shared by the emulator handle and its server tasks.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use crate::arc_keys::ArcKeys;
use crate::arm::state::ArmState;
use crate::config::{EmulatorConfig, IdentityKind, IdentitySpec};
use crate::fault::FaultQueues;
use crate::request_log::LoggedRequest;
use crate::signing::Signer;
use crate::sources::Selector;

/// Requests kept in the log; older entries fall off so a long `azmi emulate` stays bounded.
pub(crate) const MAX_LOGGED: usize = 10_000;

/// Secrets the endpoints check. App Service's `IDENTITY_HEADER` doubles as the 2017 `MSI_SECRET`
/// (on App Service they are the same value), so rotating it affects both.
pub(crate) struct Secrets {
    pub identity_header: String,
    pub ml_secret: String,
    pub sf_secret: String,
}

impl Secrets {
    pub fn generate() -> Secrets {
        Secrets {
            identity_header: crate::random::hex(16).to_ascii_uppercase(),
            ml_secret: crate::random::hex(16),
            sf_secret: crate::random::uuid(),
        }
    }
}

pub(crate) struct Shared {
    pub cfg: EmulatorConfig,
    pub signer: Signer,
    pub sf_thumbprint: String,
    /// `http://127.0.0.1:PORT` of the main listener.
    pub http_base: String,
    /// `https://127.0.0.1:PORT` of the Service Fabric listener.
    pub https_base: String,
    /// `http://127.0.0.1:PORT` of the legacy VM extension listener, when configured.
    pub legacy_base: Option<String>,
    /// `https://127.0.0.1:PORT` of ARM over https.
    pub arm_https_base: String,
    /// The emulator CA's certificate (PEM) and where it and the bundle with the system roots
    /// were written.
    pub ca_pem: String,
    pub ca_file: PathBuf,
    pub ca_bundle: PathBuf,
    pub arc_dir: PathBuf,
    pub secrets: Mutex<Secrets>,
    pub faults: Mutex<FaultQueues>,
    pub log: Mutex<VecDeque<LoggedRequest>>,
    pub arc: Mutex<ArcKeys>,
    pub arm: Mutex<ArmState>,
}

/// Locks, ignoring poisoning: a panicked handler must not take the whole emulator down.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    /// The identity a selector names. Ids compare case-insensitively (GUIDs and ARM ids are).
    pub fn find_identity(&self, selector: &Selector) -> Option<&IdentitySpec> {
        let ids = &self.cfg.identities;
        match selector {
            Selector::System => ids.iter().find(|i| i.kind == IdentityKind::SystemAssigned),
            Selector::ClientId(v) => ids.iter().find(|i| i.client_id.eq_ignore_ascii_case(v)),
            Selector::ObjectId(v) => ids.iter().find(|i| i.object_id.eq_ignore_ascii_case(v)),
            Selector::ResourceId(v) => ids.iter().find(|i| i.resource_id.eq_ignore_ascii_case(v)),
        }
    }

    pub fn record(&self, entry: LoggedRequest) {
        let mut log = lock(&self.log);
        if log.len() >= MAX_LOGGED {
            log.pop_front();
        }
        log.push_back(entry);
    }
}
