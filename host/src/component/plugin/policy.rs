//! What one plugin may ask for: identity names mapped to managed identities, and the scopes it
//! may request tokens for. Decided on the host before any request; nothing here does I/O.

use std::collections::{BTreeMap, BTreeSet};

use azmi_core::{ConfigError, Identity, Resource};

/// The grants of one plugin, set by the embedder.
///
/// ```
/// use azmi_core::Identity;
/// use azmi_host::component::plugin::PluginPolicy;
///
/// let policy = PluginPolicy::new()
///     .identity("arm", Identity::SystemAssigned)
///     .identity("reader", Identity::ClientId("0a1b2c3d-0000-4000-8000-000000000001".into()))
///     .scope("https://management.azure.com/.default")?;
/// assert!(policy.grants("arm").is_some());
/// # Ok::<(), azmi_core::ConfigError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct PluginPolicy {
    identities: BTreeMap<String, Identity>,
    /// The resources of the granted scopes, as [`grant_key`] writes them.
    scopes: BTreeSet<String>,
}

impl PluginPolicy {
    /// A policy that grants nothing.
    pub fn new() -> Self {
        PluginPolicy::default()
    }

    /// Grants the managed identity `identity` to the plugin under `name` (the name the plugin
    /// passes to `get-identity`). A second grant of the same name replaces the first.
    pub fn identity(mut self, name: &str, identity: Identity) -> Self {
        self.identities.insert(name.to_owned(), identity);
        self
    }

    /// Lets the plugin ask for `scope`, with any identity it holds. The scope's forms are one
    /// grant: `https://management.azure.com/.default`, `https://management.azure.com/` and
    /// `https://management.azure.com` name the same audience.
    pub fn scope(mut self, scope: &str) -> Result<Self, ConfigError> {
        let resource = Resource::from_scopes(&[scope])?;
        self.scopes.insert(grant_key(&resource).to_owned());
        Ok(self)
    }

    /// The managed identity granted under `name`, if any.
    pub fn grants(&self, name: &str) -> Option<&Identity> {
        self.identities.get(name)
    }

    /// The resource to fetch for the plugin's `scopes`, if the policy allows them: exactly one
    /// scope (the core's rule), and one of the granted ones.
    pub fn allows(&self, name: &str, scopes: &[String]) -> Result<Resource, Denial> {
        let resource = Resource::from_scopes(scopes).map_err(Denial::InvalidScopes)?;
        if self.scopes.contains(grant_key(&resource)) {
            Ok(resource)
        } else {
            Err(Denial::ScopeNotGranted {
                identity: name.to_owned(),
                scope: resource.as_str().to_owned(),
            })
        }
    }
}

/// The resource as a grant compares it: without trailing slashes (the core keeps the form the
/// plugin used, so both forms are cached apart, but they are one audience).
fn grant_key(resource: &Resource) -> &str {
    resource.as_str().trim_end_matches('/')
}

/// Why the host refused a plugin's request without making one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Denial {
    /// The plugin asked for an identity name its policy does not grant.
    #[error("no identity is granted to this plugin under the name {name:?}; the embedder grants names with PluginPolicy::identity")]
    NoSuchIdentity {
        /// The name the plugin asked for.
        name: String,
    },
    /// The plugin asked for a scope its policy does not grant.
    #[error("identity {identity:?} may not be used for {scope:?} by this plugin; the embedder grants scopes with PluginPolicy::scope")]
    ScopeNotGranted {
        /// The identity name the plugin used.
        identity: String,
        /// The scope's resource, as the core normalises it.
        scope: String,
    },
    /// The scopes are not what the core accepts (none, several, or malformed).
    #[error(transparent)]
    InvalidScopes(ConfigError),
}

impl Denial {
    /// A stable code: `no_such_identity`, `scope_not_granted`, or the configuration error's own
    /// (`config`).
    pub fn code(&self) -> &'static str {
        match self {
            Denial::NoSuchIdentity { .. } => "no_such_identity",
            Denial::ScopeNotGranted { .. } => "scope_not_granted",
            Denial::InvalidScopes(e) => e.code(),
        }
    }
}
