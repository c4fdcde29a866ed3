//! The credential: `azmi_host::ManagedIdentityCredential` and the token it hands out.
//!
//! Options arrive as one JSON object with the core's snake_case keys (`{"client_id": "..."}`),
//! the same spelling for every language of this surface, and are read by
//! `azmi_core::Options::from_json`, which alone knows keys, types and ranges and refuses
//! unknown or conflicting ones.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use azmi_core::{Naming, Options, Resource};
use serde_json::Value;

use crate::errors::AzmiError;

/// An access token. Its string form (`toString`, `to_s`) is `AccessToken(***)`; the token itself
/// comes only from [`AccessToken::secret`].
#[derive(uniffi::Object)]
#[uniffi::export(Debug, Display)]
pub struct AccessToken {
    inner: Arc<azmi_core::AccessToken>,
    source: &'static str,
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(***)")
    }
}

impl fmt::Display for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(***)")
    }
}

#[uniffi::export]
impl AccessToken {
    /// The token itself: put it in an `Authorization` header, nowhere else.
    pub fn secret(&self) -> String {
        self.inner.secret().to_owned()
    }

    /// Usually `Bearer`.
    pub fn token_type(&self) -> String {
        self.inner.token_type.clone()
    }

    /// When the token stops working, unix milliseconds.
    pub fn expires_on_ms(&self) -> u64 {
        self.inner.expires_on.0
    }

    /// When azmi fetches a new one (before `expires_on_ms`), unix milliseconds.
    pub fn refresh_on_ms(&self) -> u64 {
        self.inner.refresh_on.0
    }

    /// The audience the endpoint says it issued the token for.
    pub fn resource(&self) -> Option<String> {
        self.inner.resource.clone()
    }

    /// The managed identity source that issued it (`imds`, `app_service`, ...).
    pub fn source(&self) -> String {
        self.source.to_owned()
    }
}

/// Managed identity tokens for this machine; concurrent callers share one request and a cached
/// token is served without I/O. Freed by the language (Kotlin's generated `close()`, Ruby's GC).
#[derive(Debug, uniffi::Object)]
pub struct ManagedIdentityCredential {
    pub(crate) inner: azmi_host::ManagedIdentityCredential,
    pub(crate) options: Options,
}

#[uniffi::export]
impl ManagedIdentityCredential {
    /// A credential for `options`, a JSON object with the core's snake_case keys (`client_id`,
    /// `object_id`, `resource_id`, `source`, `deadline_ms`, ...; `""` or `null` for none). `env`
    /// replaces the process environment (tests, hosts that pass their own); by default the
    /// process environment is read at every fetch.
    #[uniffi::constructor(default(env = None))]
    pub fn new(
        options: String,
        env: Option<HashMap<String, String>>,
    ) -> Result<Arc<Self>, AzmiError> {
        let options = options_from_json(&options)?;
        let cfg = options.config()?;
        let inner = match env {
            None => azmi_host::ManagedIdentityCredential::new(cfg),
            Some(vars) => {
                let vars = Value::Object(vars.into_iter().map(|(k, v)| (k, v.into())).collect());
                let snapshot = azmi_core::wire::env(&vars, false);
                let fixed = azmi_host::EnvSource::Fixed(snapshot);
                azmi_host::ManagedIdentityCredential::with_env(cfg, fixed)
            }
        };
        // The default cloud (AZMI_ARM_ENDPOINT) is checked now, from the same snapshot.
        options.cloud(&inner.snapshot())?;
        Ok(Arc::new(ManagedIdentityCredential { inner, options }))
    }

    /// A token for one scope (`https://management.azure.com/.default`) or resource; `claims`
    /// (a challenge's) bypasses the cache. Blocks while fetching; concurrent callers wait for
    /// the same fetch.
    #[uniffi::method(default(claims = None))]
    pub fn get_token(
        &self,
        scope: String,
        claims: Option<String>,
    ) -> Result<Arc<AccessToken>, AzmiError> {
        let resource = Resource::from_scopes(&[scope.as_str()])?;
        self.inner.apply_claims(&resource, claims.as_deref());
        let token = match self.inner.cached(&resource) {
            Some(token) => token,
            None => self.inner.get_token_for(&resource)?,
        };
        Ok(self.token(token))
    }

    /// The cached token for a scope, if fresh; never does I/O nor waits (a caller holding a
    /// language lock tries this first, then calls `get_token` without the lock).
    pub fn cached_token(&self, scope: String) -> Result<Option<Arc<AccessToken>>, AzmiError> {
        let resource = Resource::from_scopes(&[scope.as_str()])?;
        Ok(self.inner.cached(&resource).map(|t| self.token(t)))
    }

    /// This credential bound to one scope: its `get_token()` takes no argument, which spares
    /// languages whose generated code copies every string argument (Ruby) that cost on each
    /// cached call. Shares this credential's cache.
    pub fn for_scope(&self, scope: String) -> Result<Arc<ScopedCredential>, AzmiError> {
        let resource = Resource::from_scopes(&[scope.as_str()])?;
        let inner = self.inner.clone();
        let source = self.inner.detection().source.as_str();
        Ok(Arc::new(ScopedCredential { inner, resource, source }))
    }

    /// The source this credential uses (`imds`, `app_service`, ...).
    pub fn source(&self) -> String {
        self.inner.detection().source.as_str().to_owned()
    }

    /// Which source, and why, in one sentence.
    pub fn explain(&self) -> String {
        self.inner.detection().explain()
    }

    /// `client_id`, `object_id`, `resource_id`, or none for the system-assigned identity.
    pub fn selector(&self) -> Option<String> {
        self.inner.config().identity.selector().map(str::to_owned)
    }
}

/// A credential bound to one scope (from `ManagedIdentityCredential::for_scope`).
#[derive(Debug, uniffi::Object)]
pub struct ScopedCredential {
    inner: azmi_host::ManagedIdentityCredential,
    resource: Resource,
    source: &'static str,
}

#[uniffi::export]
impl ScopedCredential {
    /// The token for this scope: the cached one, else fetched (blocking; concurrent callers wait
    /// for the same fetch).
    pub fn get_token(&self) -> Result<Arc<AccessToken>, AzmiError> {
        let inner = match self.cached() {
            Some(token) => token,
            None => self.inner.get_token_for(&self.resource)?,
        };
        Ok(Arc::new(AccessToken { inner, source: self.source }))
    }
}

impl ScopedCredential {
    /// The fresh cached token, if any (the host's decision; the fast path serves it too).
    pub(crate) fn cached(&self) -> Option<Arc<azmi_core::AccessToken>> {
        self.inner.cached(&self.resource)
    }
}

impl ManagedIdentityCredential {
    fn token(&self, inner: Arc<azmi_core::AccessToken>) -> Arc<AccessToken> {
        Arc::new(AccessToken { inner, source: self.inner.detection().source.as_str() })
    }
}

/// The core's options from a JSON text (empty means none).
pub(crate) fn options_from_json(text: &str) -> Result<Options, AzmiError> {
    let value = match text.trim() {
        "" => Value::Null,
        text => azmi_core::wire::parse("options", text)?,
    };
    Ok(Options::from_json(value, Naming::Snake)?)
}

/// The names of every option key (snake_case), as the core declares them.
#[uniffi::export]
pub fn option_keys() -> Vec<String> {
    Options::KEYS.iter().map(|k| (*k).to_owned()).collect()
}

/// The names of every managed identity source, as the core declares them.
#[uniffi::export]
pub fn source_names() -> Vec<String> {
    azmi_core::SourceKind::ALL.iter().map(|k| k.as_str().to_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use azmi_core::UnixMillis;

    #[test]
    fn the_token_never_shows_in_debug_or_display() {
        let inner = azmi_core::AccessToken::new("s3cr3t", "Bearer", UnixMillis(2), UnixMillis(1));
        let token = AccessToken { inner: Arc::new(inner), source: "imds" };
        assert_eq!(token.secret(), "s3cr3t");
        for shown in [format!("{token}"), format!("{token:?}")] {
            assert_eq!(shown, "AccessToken(***)");
        }
    }

    #[test]
    fn options_are_read_by_the_core() {
        let e = options_from_json(r#"{"clientId": "x"}"#).unwrap_err();
        let AzmiError::Failure { code, message, family, .. } = e;
        assert_eq!((code.as_str(), family.as_str()), ("config", "config"));
        assert!(message.contains("clientId"), "{message}");
        assert!(options_from_json("").unwrap().client_id.is_none());
        let e = options_from_json("{").unwrap_err();
        let AzmiError::Failure { family, .. } = e;
        assert_eq!(family, "input");
    }
}
