//! The example plugin composed with azmi's identity provider (component/provider): no host
//! identity code at all, only WASI 0.2 with outgoing HTTP (wasmtime-wasi, wasmtime-wasi-http).
//! Fetching through it is tested with the host-provided path (fetch.rs); here, its names and
//! errors, and what it imports.

use azmi_emulator::Fault;

use crate::support::{artefact, claims, composed, emulator, failure_code, imports_of};
use crate::support::{provider_env, Error, ARM_SCOPE};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn composed_names_and_errors() {
    let emu = emulator();
    let user = emu.identities()[1].clone();
    let options = serde_json::json!({"initial_delay_ms": 50, "jitter": 0});
    let mut plugin = composed().composed_instance(&provider_env(&emu, "imds", &options)).await;
    let name = format!("client-id={}", user.client_id);
    let token = plugin.token(&name, &[ARM_SCOPE]).await.expect("user-assigned");
    assert_eq!(claims(&token.token)["oid"], user.object_id.as_str());
    let err = plugin.token("storage", &[ARM_SCOPE]).await.unwrap_err();
    assert_eq!(err, Error::NoSuchIdentity);
    // The plugin's own job, under the name the environment maps to the system identity.
    let left = plugin.arm_token().await;
    assert!(left.is_ok_and(|s| s > 600), "the example plugin's ARM token");
    emu.inject("imds", vec![Fault::IdentityNotFound]);
    let name = "object-id=00000000-0000-4000-8000-00000000ffff";
    let err = plugin.token(name, &[ARM_SCOPE]).await.unwrap_err();
    assert_eq!(failure_code(&err), Some("identity_not_found"), "{err:?}");
}

/// What the provider needs, and nothing else: outgoing HTTP, the clocks, its environment.
const PROVIDER_IMPORTS: [&str; 8] = [
    "wasi:cli/environment@0.2.12",
    "wasi:clocks/monotonic-clock@0.2.12",
    "wasi:clocks/wall-clock@0.2.12",
    "wasi:http/outgoing-handler@0.2.12",
    "wasi:http/types@0.2.12",
    "wasi:io/error@0.2.12",
    "wasi:io/poll@0.2.12",
    "wasi:io/streams@0.2.12",
];

#[test]
fn the_provider_imports_exactly_the_wasi_it_needs() {
    let provider = imports_of(&artefact("AZMI_IDENTITY_PROVIDER", "identity-provider.wasm"));
    assert_eq!(provider, PROVIDER_IMPORTS);
    // Composed, the plugin's identity import is satisfied inside; its own outgoing HTTP is
    // among the provider's: the same WASI remains.
    let composed = artefact("AZMI_EXAMPLE_PLUGIN_COMPOSED", "example-plugin-composed.wasm");
    assert_eq!(imports_of(&composed), PROVIDER_IMPORTS);
    // The plugin alone: the identity interface, and outgoing HTTP for its calls to ARM.
    let plugin = imports_of(&artefact("AZMI_EXAMPLE_PLUGIN", "example-plugin.wasm"));
    assert_eq!(
        plugin,
        [
            "wasi:clocks/monotonic-clock@0.2.12",
            "wasi:http/outgoing-handler@0.2.12",
            "wasi:http/types@0.2.12",
            "wasi:identity/credentials@0.1.0-draft",
            "wasi:identity/types@0.1.0-draft",
            "wasi:io/error@0.2.12",
            "wasi:io/poll@0.2.12",
            "wasi:io/streams@0.2.12",
        ]
    );
}
