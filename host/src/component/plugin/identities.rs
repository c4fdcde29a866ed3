//! The host's managed identity credentials, one per identity, shared by every plugin.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use azmi_core::{Config, Identity};

use crate::credential::{EnvSource, ManagedIdentityCredential};
use crate::transport::Transport;

/// The credentials that back plugins' identities: one [`ManagedIdentityCredential`] per
/// managed identity, made when a plugin first uses it, all with one configuration, environment
/// and transport. Share it (in an `Arc`) between every plugin's [`super::PluginIdentity`], so
/// that plugins asking for the same identity and scope share one cache and one fetch.
#[derive(Debug)]
pub struct PluginIdentities {
    base: Config,
    env: EnvSource,
    transport: Arc<Transport>,
    credentials: Mutex<HashMap<Identity, ManagedIdentityCredential>>,
}

impl PluginIdentities {
    /// Credentials configured like `base` (its `identity` is replaced per granted identity),
    /// reading the environment from `env`.
    pub fn new(base: Config, env: EnvSource) -> Self {
        PluginIdentities {
            base,
            env,
            transport: Arc::new(Transport::new()),
            credentials: Mutex::new(HashMap::new()),
        }
    }

    /// Starts from an existing credential: plugins granted its identity share its cache, and
    /// the other identities get credentials with its configuration and transport.
    pub fn from_credential(credential: ManagedIdentityCredential, env: EnvSource) -> Self {
        let base = credential.config().clone();
        let transport = Arc::clone(credential.transport());
        let credentials = HashMap::from([(base.identity.clone(), credential)]);
        PluginIdentities { base, env, transport, credentials: Mutex::new(credentials) }
    }

    /// The credential for `identity` (made now if no plugin used it before).
    pub fn credential(&self, identity: &Identity) -> ManagedIdentityCredential {
        let mut credentials = self.credentials.lock().unwrap_or_else(|e| e.into_inner());
        credentials
            .entry(identity.clone())
            .or_insert_with(|| {
                let mut cfg = self.base.clone();
                cfg.identity = identity.clone();
                ManagedIdentityCredential::with_transport(
                    cfg,
                    self.env.clone(),
                    Arc::clone(&self.transport),
                )
            })
            .clone()
    }
}
