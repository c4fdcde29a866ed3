//! The credential for async code (tokio): the blocking work runs on tokio's blocking pool, so
//! the event loop never blocks; the cache and single-flight are the sync credential's.

use std::sync::Arc;

use azmi_core::{AccessToken, Resource, TokenError};

use crate::credential::ManagedIdentityCredential;

/// An async front for `ManagedIdentityCredential`; clones share one cache.
#[derive(Debug, Clone)]
pub struct AsyncManagedIdentityCredential {
    inner: ManagedIdentityCredential,
}

impl AsyncManagedIdentityCredential {
    /// Wraps a credential.
    pub fn new(inner: ManagedIdentityCredential) -> Self {
        AsyncManagedIdentityCredential { inner }
    }

    /// The sync credential underneath (same cache).
    pub fn blocking(&self) -> &ManagedIdentityCredential {
        &self.inner
    }

    /// A token for `resource`; must run inside a tokio runtime.
    pub async fn get_token_for(&self, resource: &Resource) -> Result<Arc<AccessToken>, TokenError> {
        let inner = self.inner.clone();
        let resource = resource.clone();
        match tokio::task::spawn_blocking(move || inner.get_token_for(&resource)).await {
            Ok(result) => result,
            Err(join) if join.is_panic() => std::panic::resume_unwind(join.into_panic()),
            Err(_) => Err(TokenError::new(
                self.inner.detection().source,
                azmi_core::ErrorKind::Unavailable {
                    reason: "the tokio runtime is shutting down".into(),
                },
            )),
        }
    }
}
