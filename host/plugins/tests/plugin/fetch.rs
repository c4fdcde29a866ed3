//! Fetching for plugins: sources, expiry, retries and the deadline, both ways (host-provided
//! and composed); then the host's cache shared by plugins, and their one shared fetch.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use azmi_emulator::Fault;
use azmi_host::component::plugin::PluginIdentities;

use crate::support::{arm_policy, claims, emulator, failure_code, identities, plugins};
use crate::support::{requests_to, ARM_SCOPE, WAYS};

fn unix_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_secs()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imds_and_app_service_tokens_map_their_expiry_to_expires_in() {
    for way in WAYS {
        let emu = emulator();
        let system = emu.identities()[0].clone();
        for source in ["imds", "app_service"] {
            let mut plugin = way.arm_plugin(&emu, source, None).await;
            let before = unix_secs();
            let token = plugin.token("arm", &[ARM_SCOPE]).await;
            let token = token.unwrap_or_else(|e| panic!("{way:?} {source}: {e:?}"));
            let after = unix_secs();
            let c = claims(&token.token);
            assert_eq!(c["oid"], system.object_id.as_str(), "{way:?} {source}");
            let exp = c["exp"].as_u64().expect("exp claim");
            // Whole seconds left, rounded down, as of the moment the identity answered.
            let left = token.expires_in;
            assert!(left <= exp - before, "{way:?} {source}: {left} > {}", exp - before);
            assert!(left + 1 >= exp - after, "{way:?} {source}: {left} < {}", exp - after);
            assert!(left > 600, "{way:?} {source}: the emulator issues long-lived tokens");
            // The instance's cache (the host's, or the provider's) answers the second time.
            let again = plugin.token("arm", &[ARM_SCOPE]).await.expect("cached");
            assert!(again.token == token.token, "{way:?} {source}: the cached token");
            assert_eq!(requests_to(&emu, source), 1, "{way:?} {source}: {:?}", emu.requests());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cached_token_is_served_without_a_request() {
    let emu = emulator();
    let shared = identities(&emu, "imds", None);
    let mut first = plugins().instance(arm_policy(), &shared).await;
    let token = first.token("arm", &[ARM_SCOPE]).await.expect("fetched");
    // Another plugin with the same grant, and the same plugin again: the one cached token.
    let mut second = plugins().instance(arm_policy(), &shared).await;
    for plugin in [&mut first, &mut second] {
        let again = plugin.token("arm", &[ARM_SCOPE]).await.expect("cached");
        // Compared, never printed: the message carries no token.
        assert!(again.token == token.token, "the cached token, not a new one");
    }
    assert_eq!(requests_to(&emu, "imds"), 1, "{:?}", emu.requests());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_and_server_errors_are_retried_per_the_core() {
    for way in WAYS {
        let emu = emulator();
        let faults = vec![
            Fault::Throttle { retry_after_secs: 1 },
            Fault::Status { status: 503, headers: vec![], body: "{}".into() },
        ];
        emu.inject("imds", faults);
        let mut plugin = way.arm_plugin(&emu, "imds", None).await;
        let started = Instant::now();
        let token = plugin.token("arm", &[ARM_SCOPE]).await;
        assert!(token.is_ok(), "{way:?}: {:?}", token.err());
        assert_eq!(requests_to(&emu, "imds"), 3, "{way:?}: {:?}", emu.requests());
        assert!(started.elapsed() >= Duration::from_secs(1), "{way:?}: Retry-After: 1 honoured");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_endpoint_ends_at_the_deadline_with_its_code() {
    for way in WAYS {
        let emu = emulator();
        emu.inject("app_service", vec![Fault::Hang(Duration::from_secs(5))]);
        let deadline = Duration::from_millis(800);
        let mut plugin = way.arm_plugin(&emu, "app_service", Some(deadline)).await;
        let started = Instant::now();
        let err = plugin.token("arm", &[ARM_SCOPE]).await.unwrap_err();
        let took = started.elapsed();
        assert_eq!(failure_code(&err), Some("deadline_exceeded"), "{way:?}: {err:?}");
        assert!(took >= deadline && took < Duration::from_secs(3), "{way:?}: took {took:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_plugins_on_a_cold_cache_make_one_request() {
    let emu = emulator();
    // A slow endpoint, so every plugin asks while the one fetch is in flight.
    emu.inject("imds", vec![Fault::Latency(Duration::from_millis(300))]);
    let shared = identities(&emu, "imds", None);
    let mut instances = Vec::new();
    for _ in 0..20 {
        instances.push(plugins().instance(arm_policy(), &shared).await);
    }
    let tasks: Vec<_> = instances
        .into_iter()
        .map(|mut plugin| tokio::spawn(async move { plugin.token("arm", &[ARM_SCOPE]).await }))
        .collect();
    let mut tokens = Vec::new();
    for task in tasks {
        tokens.push(task.await.expect("the task ran").expect("a token").token);
    }
    assert_eq!(tokens.len(), 20);
    assert!(tokens.windows(2).all(|w| w[0] == w[1]), "every plugin got the one token");
    assert_eq!(requests_to(&emu, "imds"), 1, "{:?}", emu.requests());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugins_share_the_embedders_own_credential() {
    let emu = emulator();
    let base = identities(&emu, "imds", None);
    // The embedder's credential, used natively first: its cache now holds the token.
    let credential = base.credential(&azmi_core::Identity::SystemAssigned);
    let native = tokio::task::spawn_blocking({
        let credential = credential.clone();
        move || credential.get_token(&[ARM_SCOPE]).map(|t| t.secret().to_owned())
    });
    let native = native.await.expect("ran").expect("a token");
    let env = azmi_host::EnvSource::Fixed(azmi_core::EnvSnapshot::from_vars(emu.env_for("imds")));
    let shared = std::sync::Arc::new(PluginIdentities::from_credential(credential, env));
    let mut plugin = plugins().instance(arm_policy(), &shared).await;
    let token = plugin.token("arm", &[ARM_SCOPE]).await.expect("from the shared cache");
    assert!(token.token == native, "the plugin got the embedder's cached token");
    assert_eq!(requests_to(&emu, "imds"), 1, "{:?}", emu.requests());
}
