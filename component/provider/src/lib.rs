//! azmi's identity provider: the draft `wasi:identity` interface exported from the core, with
//! the requests made through WASI 0.2 outgoing HTTP and the time read from WASI clocks.
//!
//! Identity names: `system` is the system-assigned identity; `client-id=<id>`,
//! `object-id=<id>` and `resource-id=<id>` name a user-assigned one; and the component's
//! environment may give plugins' own names those meanings, as a JSON object in
//! `AZMI_PROVIDER_IDENTITIES` (for example `{"arm": "system", "reader": "client-id=<id>"}`). The source is detected
//! from the environment the host gives the component (`wasi:cli/environment`), as the native
//! credential does; the core's options come as JSON in `AZMI_PROVIDER_OPTIONS` (for example
//! `{"deadline_ms": 5000}`). The cache lives as long as the instance. Arc's key file and Service
//! Fabric's certificate pin need more than outgoing HTTP: those sources fail with `unavailable`.

mod drive;
mod send;

use std::cell::RefCell;

use azmi_core::{ConfigError, Identity, Resource, TokenCache};

use exports::wasi::identity::credentials::{AccessToken, Guest, GuestIdentity, Identity as Handle};
use exports::wasi::identity::types::Error;

wit_bindgen::generate!({ world: "provider", path: "wit", generate_all });

struct Provider;

export!(Provider);

thread_local! {
    /// The instance's token cache (a component instance is never re-entered).
    static CACHE: RefCell<TokenCache> = RefCell::new(TokenCache::new());
}

impl Guest for Provider {
    type Identity = Granted;

    async fn get_identity(name: String) -> Result<Handle, Error> {
        let named = granted_name(&name)?;
        let identity =
            identity_named(named.as_deref().unwrap_or(&name)).ok_or(Error::NoSuchIdentity)?;
        Ok(Handle::new(Granted { identity }))
    }
}

/// One identity handle: which managed identity it stands for.
struct Granted {
    identity: Identity,
}

impl GuestIdentity for Granted {
    async fn get_token(&self, scopes: Vec<String>) -> Result<AccessToken, Error> {
        let resource = Resource::from_scopes(&scopes).map_err(|e| config_failure(&e))?;
        let token = CACHE.with(|cache| drive::token(cache, &self.identity, &resource))?;
        let left_ms = token.expires_on.0.saturating_sub(drive::now().0);
        Ok(AccessToken { token: token.secret().to_owned(), expires_in: left_ms / 1000 })
    }
}

/// What `AZMI_PROVIDER_IDENTITIES` says `name` means, if it names it.
fn granted_name(name: &str) -> Result<Option<String>, Error> {
    let vars = wasip2::cli::environment::get_environment();
    let Some((_, text)) = vars.iter().find(|(var, _)| var == IDENTITIES_VARIABLE) else {
        return Ok(None);
    };
    let names: std::collections::BTreeMap<String, String> =
        serde_json::from_str(text).map_err(|e| {
            Error::InternalFailure(format!(
                "config: {IDENTITIES_VARIABLE} is not a JSON object of strings: {e}"
            ))
        })?;
    Ok(names.get(name).cloned())
}

/// The environment variable naming identities for plugins.
const IDENTITIES_VARIABLE: &str = "AZMI_PROVIDER_IDENTITIES";

/// `system`, or `<selector>=<id>` with the selectors of `Identity::from_selectors`.
fn identity_named(name: &str) -> Option<Identity> {
    if name == "system" {
        return Some(Identity::SystemAssigned);
    }
    let (selector, id) = name.split_once('=')?;
    let given = Some(id);
    let identity = match selector {
        "client-id" => Identity::from_selectors(given, None, None),
        "object-id" => Identity::from_selectors(None, given, None),
        "resource-id" => Identity::from_selectors(None, None, given),
        _ => return None,
    };
    identity.ok()
}

pub(crate) fn config_failure(error: &ConfigError) -> Error {
    Error::InternalFailure(format!("{}: {error}", error.code()))
}
