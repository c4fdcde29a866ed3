//! The interface's functions on the host: policy first, then the cache, then one fetch.

use std::sync::Arc;

use azmi_core::{AccessToken, Resource, TokenError};
use wasmtime::component::{Accessor, HasData, Linker, Resource as Handle, ResourceTable};

use super::wit::{credentials, types};
use super::{Denial, PluginIdentities, PluginPolicy};
use crate::credential::ManagedIdentityCredential;
use crate::drive::now;

/// One plugin's side of the interface: its policy, the shared credentials, and the `identity`
/// handles it holds. Keep one in each plugin's store data.
#[derive(Debug)]
pub struct PluginIdentity {
    policy: PluginPolicy,
    identities: Arc<PluginIdentities>,
    handles: ResourceTable,
}

impl PluginIdentity {
    /// A plugin with `policy`, backed by `identities`.
    pub fn new(policy: PluginPolicy, identities: Arc<PluginIdentities>) -> Self {
        PluginIdentity { policy, identities, handles: ResourceTable::new() }
    }

    /// The plugin's policy.
    pub fn policy(&self) -> &PluginPolicy {
        &self.policy
    }
}

/// Adds `wasi:identity/credentials` and `wasi:identity/types` (0.1.0-draft) to `linker`;
/// `get` finds the plugin's [`PluginIdentity`] in the store data.
pub fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    get: fn(&mut T) -> &mut PluginIdentity,
) -> wasmtime::Result<()> {
    super::wit::add_to_linker(linker, get)
}

/// What an `identity` handle stands for: a granted name and its credential.
#[derive(Debug)]
pub struct Granted {
    name: String,
    credential: ManagedIdentityCredential,
}

/// The view of a store the interface's functions use: the plugin's [`PluginIdentity`].
pub(super) struct Served;

impl HasData for Served {
    type Data<'a> = &'a mut PluginIdentity;
}

impl PluginIdentity {
    /// The plugin dropped an `identity` handle.
    pub(super) fn drop_handle(&mut self, handle: Handle<Granted>) -> wasmtime::Result<()> {
        self.handles.delete(handle)?;
        Ok(())
    }
}

/// `get-identity(name)`: a handle on the identity the policy grants as `name`.
pub(super) async fn get_identity<T>(
    accessor: &Accessor<T, Served>,
    name: String,
) -> Result<Handle<Granted>, types::Error> {
    accessor.with(|mut access| {
        let plugin = access.get();
        let Some(identity) = plugin.policy.grants(&name) else {
            return Err(denied(&Denial::NoSuchIdentity { name }));
        };
        let credential = plugin.identities.credential(identity);
        let granted = Granted { name, credential };
        // The table is full only when a plugin leaks handles by the million.
        plugin.handles.push(granted).map_err(|e| failure("resource_table", &e))
    })
}

/// `identity.get-token(scopes)`: the policy first, then the cache, then one shared fetch.
pub(super) async fn get_token<T>(
    accessor: &Accessor<T, Served>,
    handle: Handle<Granted>,
    scopes: Vec<String>,
) -> Result<credentials::AccessToken, types::Error> {
    let (credential, resource) = accessor.with(|mut access| {
        let plugin = access.get();
        let granted = plugin.handles.get(&handle).map_err(|e| failure("resource_table", &e))?;
        let resource = plugin.policy.allows(&granted.name, &scopes).map_err(|d| denied(&d))?;
        Ok::<_, types::Error>((granted.credential.clone(), resource))
    })?;
    if let Some(token) = credential.cached(&resource) {
        return Ok(access_token(&token));
    }
    fetch(credential, resource)
        .await
        .map(|token| access_token(&token))
        .map_err(|e| token_failure(&e))
}

/// The fetch, on tokio's blocking pool; callers for one identity and scope share it.
async fn fetch(
    credential: ManagedIdentityCredential,
    resource: Resource,
) -> Result<Arc<AccessToken>, TokenError> {
    let source = credential.detection().source;
    match tokio::task::spawn_blocking(move || credential.get_token_for(&resource)).await {
        Ok(result) => result,
        Err(join) if join.is_panic() => std::panic::resume_unwind(join.into_panic()),
        Err(_) => Err(TokenError::new(
            source,
            azmi_core::ErrorKind::Unavailable {
                reason: "the tokio runtime is shutting down".into(),
            },
        )),
    }
}

/// The draft's record: the secret, and whole seconds left until it expires (0 once expired).
fn access_token(token: &AccessToken) -> credentials::AccessToken {
    let left_ms = token.expires_on.0.saturating_sub(now().0);
    credentials::AccessToken { token: token.secret().to_owned(), expires_in: left_ms / 1000 }
}

/// A denial as the draft's error: an ungranted name is its own case; the rest keep their code.
fn denied(denial: &Denial) -> types::Error {
    match denial {
        Denial::NoSuchIdentity { .. } => types::Error::NoSuchIdentity,
        other => failure(other.code(), other),
    }
}

/// A failed request as the draft's error, with the token error's stable code in front.
fn token_failure(error: &TokenError) -> types::Error {
    failure(error.code(), error)
}

fn failure(code: &str, message: &dyn std::fmt::Display) -> types::Error {
    types::Error::InternalFailure(format!("{code}: {message}"))
}
