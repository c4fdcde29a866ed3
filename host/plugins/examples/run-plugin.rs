//! A small wasmtime embedder: runs the example plugin's `list-resource-groups` and prints the
//! resource group ids it returns, one per line.
//!
//! ```text
//! run-plugin PLUGIN.wasm ARM_ENDPOINT              the host grants the plugin its identity
//! run-plugin --composed COMPOSED.wasm ARM_ENDPOINT the plugin composed with azmi's provider
//! ```
//!
//! Host-provided: the plugin may use the system-assigned identity under the name `arm`, for
//! ARM's scope only; this process's environment says where the identity endpoint is, as for
//! any azmi credential.
//! Composed: the host grants no identity; the provider inside reads this process's
//! environment through WASI, with `AZMI_PROVIDER_IDENTITIES` defaulting to
//! `{"arm": "system"}`. Either way the plugin gets WASI 0.2 and outgoing HTTP.
//!
//! Try it on loopback: `eval "$(azmi emulate --print-env imds --background)"`, then
//! `cargo run -p azmi-plugin-tests --example run-plugin -- component/example-plugin.wasm
//! "$AZURE_POD_IDENTITY_AUTHORITY_HOST"` (the emulator serves ARM on the same port).

use std::process::ExitCode;
use std::sync::Arc;

use azmi_core::{Config, Identity};
use azmi_host::component::plugin::{PluginIdentities, PluginIdentity, PluginPolicy};
use azmi_host::EnvSource;
use azmi_plugin_tests::{engine, host_linker, wasi_linker, Host, Plugin};
use wasmtime::component::{Accessor, Component};
use wasmtime::Store;

const ARM_SCOPE: &str = "https://management.azure.com/.default";
const USAGE: &str = "usage: run-plugin [--composed] PLUGIN.wasm ARM_ENDPOINT";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (composed, rest) = match args.split_first() {
        Some((flag, rest)) if flag == "--composed" => (true, rest),
        _ => (false, &args[..]),
    };
    let [plugin, endpoint] = rest else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    match run(composed, plugin, endpoint).await {
        Ok(ids) => {
            ids.iter().for_each(|id| println!("{id}"));
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("run-plugin: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(composed: bool, path: &str, endpoint: &str) -> Result<Vec<String>, String> {
    let engine = engine().map_err(|e| e.to_string())?;
    let component = Component::from_file(&engine, path).map_err(|e| format!("{path}: {e:#}"))?;
    let (linker, host) = if composed {
        let mut env: Vec<(String, String)> = std::env::vars().collect();
        if !env.iter().any(|(name, _)| name == "AZMI_PROVIDER_IDENTITIES") {
            env.push(("AZMI_PROVIDER_IDENTITIES".into(), r#"{"arm": "system"}"#.into()));
        }
        (wasi_linker(&engine), Host::composed(&env))
    } else {
        (host_linker(&engine), Host::new(grant()?, &[]))
    };
    let linker = linker.map_err(|e| e.to_string())?;
    let mut store = Store::new(&engine, host);
    let plugin = Plugin::instantiate_async(&mut store, &component, &linker)
        .await
        .map_err(|e| format!("{path}: {e:#}"))?;
    let endpoint = endpoint.to_owned();
    let call = async |a: &Accessor<Host>| plugin.call_list_resource_groups(a, endpoint).await;
    let answer = store.run_concurrent(call).await.and_then(|r| r).map_err(|e| format!("{e:#}"))?;
    answer.map_err(|e| format!("the plugin says: {e}"))
}

/// The embedder's grant: the system-assigned identity, as `arm`, for ARM.
fn grant() -> Result<PluginIdentity, String> {
    let policy = PluginPolicy::new().identity("arm", Identity::SystemAssigned);
    let policy = policy.scope(ARM_SCOPE).map_err(|e| e.to_string())?;
    let identities = PluginIdentities::new(Config::default(), EnvSource::Process);
    Ok(PluginIdentity::new(policy, Arc::new(identities)))
}
