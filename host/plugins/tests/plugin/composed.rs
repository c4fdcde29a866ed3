//! The example plugin composed with azmi's identity provider (component/provider): no host
//! identity code at all, only WASI 0.2 with outgoing HTTP (wasmtime-wasi, wasmtime-wasi-http).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use azmi_emulator::{Emulator, Fault};

use crate::support::{artefact, imports_of, loopback_env, Instance, ARM_SCOPE};
use crate::support::{claims, composed, emulator, failure_code, requests_to, AccessToken, Error};

/// The composed plugin, with the emulator's variables for `source` and the provider's options.
async fn instance(emu: &Emulator, source: &str, options: &str) -> Instance {
    let mut env = loopback_env(emu, source);
    env.push(("AZMI_PROVIDER_OPTIONS".into(), options.into()));
    // The example plugin's own name for the identity it uses.
    env.push(("AZMI_PROVIDER_IDENTITIES".into(), r#"{"arm": "system"}"#.into()));
    composed().composed_instance(&env).await
}

async fn token(plugin: &mut Instance, name: &str) -> Result<AccessToken, Error> {
    plugin.token(name, &[ARM_SCOPE]).await
}

fn unix_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_secs()
}

const QUICK: &str = r#"{"initial_delay_ms": 50, "jitter": 0}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn composed_imds_and_app_service_tokens_with_expires_in_and_the_cache() {
    let emu = emulator();
    let system = emu.identities()[0].clone();
    for source in ["imds", "app_service"] {
        let options = format!(r#"{{"source": "{source}", "initial_delay_ms": 50}}"#);
        let mut plugin = instance(&emu, source, &options).await;
        let before = unix_secs();
        let first =
            token(&mut plugin, "system").await.unwrap_or_else(|e| panic!("{source}: {e:?}"));
        let after = unix_secs();
        let c = claims(&first.token);
        assert_eq!(c["oid"], system.object_id.as_str(), "{source}");
        let exp = c["exp"].as_u64().expect("exp");
        assert!(
            first.expires_in <= exp - before && first.expires_in + 1 >= exp - after,
            "{source}"
        );
        let again = token(&mut plugin, "system").await.expect("cached");
        assert!(again.token == first.token, "{source}: the instance's cache answered");
        assert_eq!(requests_to(&emu, source), 1, "{source}: {:?}", emu.requests());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn composed_names_and_errors() {
    let emu = emulator();
    let user = emu.identities()[1].clone();
    let mut plugin = instance(&emu, "imds", QUICK).await;
    let name = format!("client-id={}", user.client_id);
    let token = token(&mut plugin, &name).await.expect("user-assigned");
    assert_eq!(claims(&token.token)["oid"], user.object_id.as_str());
    let err = self::token(&mut plugin, "storage").await.unwrap_err();
    assert_eq!(err, Error::NoSuchIdentity);
    // The plugin's own job, under the name the environment maps to the system identity.
    let left = plugin.arm_token().await;
    assert!(left.is_ok_and(|s| s > 600), "the example plugin's ARM token");
    emu.inject("imds", vec![Fault::IdentityNotFound]);
    let name = "object-id=00000000-0000-4000-8000-00000000ffff";
    let err = self::token(&mut plugin, name).await.unwrap_err();
    assert_eq!(failure_code(&err), Some("identity_not_found"), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn composed_retries_throttling_and_server_errors() {
    let emu = emulator();
    emu.inject(
        "imds",
        vec![
            Fault::Throttle { retry_after_secs: 1 },
            Fault::Status { status: 503, headers: vec![], body: "{}".into() },
        ],
    );
    let mut plugin = instance(&emu, "imds", QUICK).await;
    let started = Instant::now();
    let token = token(&mut plugin, "system").await;
    assert!(token.is_ok(), "{:?}", token.err());
    assert_eq!(requests_to(&emu, "imds"), 3, "{:?}", emu.requests());
    assert!(started.elapsed() >= Duration::from_secs(1), "Retry-After: 1 was honoured");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn composed_hung_endpoint_ends_at_the_deadline() {
    let emu = emulator();
    emu.inject("app_service", vec![Fault::Hang(Duration::from_secs(5))]);
    let options = r#"{"source": "app_service", "deadline_ms": 800}"#;
    let mut plugin = instance(&emu, "app_service", options).await;
    let started = Instant::now();
    let err = token(&mut plugin, "system").await.unwrap_err();
    let took = started.elapsed();
    assert_eq!(failure_code(&err), Some("deadline_exceeded"), "{err:?}");
    assert!(took >= Duration::from_millis(800) && took < Duration::from_secs(3), "took {took:?}");
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
