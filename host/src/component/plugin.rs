//! Tokens for WebAssembly plugins: the draft `wasi:identity` interface
//! (`wit/deps/wasi-identity`, package `wasi:identity@0.1.0-draft`) served from the host's
//! managed identity credentials, under a policy per plugin.
//!
//! # Theory of operation
//!
//! The embedder makes one [`PluginIdentities`] (the managed identity credentials, one per
//! identity, shared by every plugin so that their caches and single-flights are shared), gives
//! each plugin's store a [`PluginIdentity`] (that plugin's [`PluginPolicy`] and its open
//! `identity` handles), and adds the interface to its linker with [`add_to_linker`]. The
//! plugin holds no secret and needs no network access: the host makes every request.
//!
//! * `get-identity(name)`: a name the policy does not grant is `no-such-identity`; no credential
//!   is touched. Otherwise the plugin gets a handle on that managed identity.
//! * `identity.get-token(scopes)`: exactly one scope, granted by the policy, or
//!   `internal-failure("scope_not_granted: …")` (or `"config: …"`) with no request made. A
//!   fresh cached token is answered at once, without I/O; otherwise the credential fetches on
//!   tokio's blocking pool while the plugin's task waits, and concurrent plugins asking for
//!   the same identity and scope share that one fetch (the core's single-flight).
//!
//! The functions are the draft's component-model `async func`s: the engine needs
//! `Config::wasm_component_model_async(true)`, the calls run inside `Store::run_concurrent`,
//! and a tokio runtime must be current (the blocking pool).
//!
//! # Errors
//!
//! The draft's `error` is `no-such-identity | internal-failure(string)`. azmi keeps its stable
//! codes in the text: `internal-failure("<code>: <message>")`, where `<code>` is a
//! [`Denial`] code (`scope_not_granted`, `config`) or the token error's
//! (`deadline_exceeded`, `unavailable`, `identity_not_found`, `throttled`, …, as
//! `TokenError::code`). A plugin splits at the first `": "`. No message holds a token.

mod identities;
mod policy;
mod serve;
mod wit;

pub use identities::PluginIdentities;
pub use policy::{Denial, PluginPolicy};
pub use serve::{add_to_linker, PluginIdentity};

/// The draft interface's types, for embedders whose own `bindgen!` names `wasi:identity` in
/// its `with` map (a plugin world that `use`s `access-token` or `error`). Written out, not
/// generated: `access-token`'s `Debug` hides the token.
pub mod wasi_identity {
    pub use super::wit::{credentials, types};
}
