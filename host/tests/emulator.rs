//! The host against the emulator over real loopback HTTP: every identity source, retries under
//! injected faults, single-flight across threads, thumbprint pinning, and the ARM demo flow.
//! Nothing here leaves 127.0.0.1: every endpoint comes from the emulator's environment overrides.

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use azmi_core::{Config, EnvSnapshot, Identity, Resource, SourceKind};
use azmi_emulator::{Emulator, EmulatorConfig, Fault};
use azmi_host::{
    ArmClient, AsyncManagedIdentityCredential, EnvSource, ManagedIdentityCredential, Transport,
};
use base64::Engine;
use serde_json::Value;

const ARM: &str = "https://management.azure.com/";

fn emulator() -> Emulator {
    let cfg = EmulatorConfig { legacy_port: Some(0), ..EmulatorConfig::default() };
    Emulator::start(cfg).expect("emulator starts on loopback")
}

fn env(emu: &Emulator, source: &str) -> EnvSnapshot {
    let vars = emu.env_for(source);
    for (name, value) in &vars {
        if name.ends_with("ENDPOINT") || name.ends_with("HOST") {
            assert!(value.contains("127.0.0.1"), "{name}={value} must point at loopback");
        }
    }
    EnvSnapshot::from_vars(vars)
}

/// A credential forced onto `source`, pointed at the emulator, with quick retries.
fn credential(emu: &Emulator, source: &str, identity: Identity) -> ManagedIdentityCredential {
    let mut cfg = Config::default();
    cfg.source = SourceKind::from_name(source);
    cfg.identity = identity;
    cfg.legacy_port = emu.legacy_port().unwrap_or(0);
    cfg.retry.initial_delay = Duration::from_millis(50);
    cfg.retry.jitter = 0.0;
    ManagedIdentityCredential::with_env(cfg, EnvSource::Fixed(env(emu, source)))
}

fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn requests_to(emu: &Emulator, endpoint: &str) -> usize {
    emu.requests().iter().filter(|r| r.endpoint == endpoint).count()
}

#[test]
fn every_source_gives_a_token_for_its_identity() {
    let emu = emulator();
    let system = emu.identities()[0].clone();
    let user = emu.identities()[1].clone();
    let resource = Resource::new(ARM).unwrap();
    for source in SourceKind::ALL {
        let name = source.as_str();
        let token = credential(&emu, name, Identity::SystemAssigned).get_token_for(&resource);
        let token = token.unwrap_or_else(|e| panic!("{name}: {e}"));
        let c = claims(token.secret());
        assert_eq!(c["aud"], ARM, "{name}");
        assert_eq!(c["oid"], system.object_id.as_str(), "{name}");
        assert!(token.expires_on.0 > azmi_host::now().0, "{name}");
    }
    // User-assigned, by each selector the source can carry.
    let cases: [(&str, Identity); 6] = [
        ("imds", Identity::ResourceId(user.resource_id.clone())),
        ("imds", Identity::ObjectId(user.object_id.clone())),
        ("app_service", Identity::ClientId(user.client_id.clone())),
        ("azure_arc", Identity::ClientId(user.client_id.clone())),
        ("app_service_2017", Identity::ClientId(user.client_id.clone())),
        ("legacy_vm_extension", Identity::ClientId(user.client_id.clone())),
    ];
    for (name, identity) in cases {
        let token = credential(&emu, name, identity)
            .get_token_for(&resource)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(claims(token.secret())["appid"], user.client_id.as_str(), "{name}");
    }
}

#[test]
fn an_unknown_identity_is_identity_not_found() {
    let emu = emulator();
    let cred =
        credential(&emu, "imds", Identity::ClientId("00000000-0000-0000-0000-00000000dead".into()));
    let err = cred.get_token(&["https://management.azure.com/.default"]).unwrap_err();
    assert_eq!(err.code(), "identity_not_found", "{err}");
}

#[test]
fn retries_ride_out_throttling_and_updates() {
    let emu = emulator();
    emu.inject(
        "imds",
        vec![
            Fault::Throttle { retry_after_secs: 1 },
            Fault::Gone,
            Fault::Status { status: 503, headers: vec![], body: "{}".into() },
            Fault::Drop,
        ],
    );
    let started = Instant::now();
    let token = credential(&emu, "imds", Identity::SystemAssigned)
        .get_token(&["https://management.azure.com/.default"]);
    assert!(token.is_ok(), "{token:?}");
    assert_eq!(requests_to(&emu, "imds"), 5, "{:?}", emu.requests());
    assert!(started.elapsed() >= Duration::from_secs(1), "Retry-After: 1 was honoured");
}

#[test]
fn docker_desktop_403_is_unavailable_at_once() {
    let emu = emulator();
    emu.inject("imds", vec![Fault::DockerDesktop403]);
    let err = credential(&emu, "imds", Identity::SystemAssigned)
        .get_token(&["https://management.azure.com/.default"])
        .unwrap_err();
    assert_eq!(err.code(), "unavailable", "{err}");
    assert_eq!(requests_to(&emu, "imds"), 1);
}

#[test]
fn a_hanging_endpoint_is_cut_off_by_the_attempt_timeout() {
    let emu = emulator();
    emu.inject("app_service", vec![Fault::Hang(Duration::from_secs(5))]);
    let mut cred_cfg = credential(&emu, "app_service", Identity::SystemAssigned).config().clone();
    cred_cfg.attempt_timeout = Duration::from_millis(300);
    let cred =
        ManagedIdentityCredential::with_env(cred_cfg, EnvSource::Fixed(env(&emu, "app_service")));
    let started = Instant::now();
    let token = cred.get_token(&["https://management.azure.com/.default"]);
    assert!(token.is_ok(), "{token:?}");
    assert!(started.elapsed() < Duration::from_secs(4), "took {:?}", started.elapsed());
}

#[test]
fn a_missing_connection_on_imds_fails_fast() {
    // A port nothing listens on (bound, then closed): connection refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let env = EnvSnapshot::from_vars([(
        "AZURE_POD_IDENTITY_AUTHORITY_HOST",
        format!("http://127.0.0.1:{port}"),
    )]);
    let cred = ManagedIdentityCredential::with_env(Config::default(), EnvSource::Fixed(env));
    let started = Instant::now();
    let err = cred.get_token(&["https://management.azure.com/.default"]).unwrap_err();
    assert_eq!(err.code(), "unavailable", "{err}");
    assert_eq!(err.attempts.len(), 1);
    assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());
}

#[test]
fn a_wrong_thumbprint_is_refused() {
    let emu = emulator();
    let mut vars = emu.env_for("service_fabric");
    for (name, value) in &mut vars {
        if name == "IDENTITY_SERVER_THUMBPRINT" {
            *value = "00".repeat(20);
        }
    }
    let mut cfg = Config::default();
    cfg.source = Some(SourceKind::ServiceFabric);
    let cred =
        ManagedIdentityCredential::with_env(cfg, EnvSource::Fixed(EnvSnapshot::from_vars(vars)));
    let err = cred.get_token(&["https://management.azure.com/.default"]).unwrap_err();
    assert_eq!(err.code(), "unavailable", "{err}");
    assert!(err.to_string().contains("TLS"), "{err}");
}

#[test]
fn fifty_threads_on_a_cold_cache_make_one_request() {
    let emu = emulator();
    // A slow endpoint, so all threads arrive while the one fetch is in flight.
    emu.inject("imds", vec![Fault::Latency(Duration::from_millis(300))]);
    let cred = credential(&emu, "imds", Identity::SystemAssigned);
    let barrier = Arc::new(Barrier::new(50));
    let threads: Vec<_> = (0..50)
        .map(|_| {
            let (cred, barrier) = (cred.clone(), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                cred.get_token(&["https://management.azure.com/.default"])
                    .map(|t| t.secret().to_owned())
            })
        })
        .collect();
    let tokens: Vec<String> = threads.into_iter().map(|t| t.join().unwrap().unwrap()).collect();
    assert!(tokens.windows(2).all(|w| w[0] == w[1]), "every thread got the one token");
    assert_eq!(requests_to(&emu, "imds"), 1, "{:?}", emu.requests());
}

#[test]
fn the_async_credential_shares_the_cache() {
    let emu = emulator();
    let cred =
        AsyncManagedIdentityCredential::new(credential(&emu, "imds", Identity::SystemAssigned));
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let resource = Resource::new(ARM).unwrap();
    let tokens = runtime.block_on(async {
        let calls = (0..20).map(|_| {
            let (cred, resource) = (cred.clone(), resource.clone());
            tokio::spawn(async move {
                cred.get_token_for(&resource).await.map(|t| t.secret().to_owned())
            })
        });
        let mut out = Vec::new();
        for call in calls.collect::<Vec<_>>() {
            out.push(call.await.unwrap().unwrap());
        }
        out
    });
    assert!(tokens.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(requests_to(&emu, "imds"), 1);
}

#[test]
fn the_demo_flow_over_arm() {
    let emu = emulator();
    let cred = credential(&emu, "imds", Identity::SystemAssigned);
    let cloud = azmi_core::Cloud::custom(&emu.arm_endpoint(), ARM).unwrap();
    let mut cfg = azmi_core::ArmConfig::default();
    cfg.deadline = Duration::from_secs(60);
    let arm = ArmClient::new(cred, cloud).with_config(cfg);
    let subs = arm.list_subscriptions().unwrap();
    let sub = subs[0]["subscriptionId"].as_str().unwrap().to_owned();
    let before = arm.list_resource_groups(&sub).unwrap().len();
    let created = arm.create_resource_group(&sub, "azmi-test-rg", "westeurope", None).unwrap();
    assert_eq!(created["name"], "azmi-test-rg");
    assert_eq!(arm.list_resource_groups(&sub).unwrap().len(), before + 1);
    let mut waits = 0;
    arm.delete_resource_group(&sub, "azmi-test-rg", |_| waits += 1).unwrap();
    assert!(waits >= 1, "the delete was polled");
    let exists = arm
        .execute(&azmi_core::ArmRequest::resource_group_exists(&sub, "azmi-test-rg").unwrap())
        .unwrap();
    assert!(matches!(exists, azmi_core::ArmOutcome::Exists { exists: false, .. }), "{exists:?}");
    // One token served the whole conversation.
    assert_eq!(requests_to(&emu, "imds"), 1);
}

/// App Service rotates IDENTITY_HEADER: a credential reading the process environment picks up
/// the new value on its next fetch (the only test here that touches the process environment).
#[test]
fn a_rotated_identity_header_is_read_at_the_next_fetch() {
    let emu = emulator();
    for (name, value) in emu.env_for("app_service") {
        std::env::set_var(name, value);
    }
    let cred = ManagedIdentityCredential::new(Config::default());
    assert_eq!(cred.detection().source, SourceKind::AppService);
    cred.get_token_for(&Resource::new(ARM).unwrap()).unwrap();
    let rotated = emu.rotate_identity_header();
    std::env::set_var("IDENTITY_HEADER", &rotated);
    let other = Resource::new("https://vault.azure.net").unwrap();
    let token = cred.get_token_for(&other);
    for name in azmi_core::VARIABLES {
        std::env::remove_var(name);
    }
    assert!(token.is_ok(), "the rotated header was not used: {token:?}");
    assert_eq!(requests_to(&emu, "app_service"), 2);
}

/// The builder's native credential behaves as `with_transport`'s; a cached token is served
/// without a request, and a claims challenge (and only a non-empty one) makes the next call fetch.
#[test]
fn a_claims_challenge_makes_the_next_call_fetch() {
    let emu = emulator();
    let builder = ManagedIdentityCredential::builder(Config::default())
        .env(EnvSource::Fixed(env(&emu, "imds")))
        .transport(Arc::new(Transport::new()));
    let cred = builder.engine(azmi_host::Engine::native()).build().unwrap();
    assert_eq!(cred.engine().name(), "native");
    let resource = Resource::new(ARM).unwrap();
    assert!(cred.cached(&resource).is_none(), "nothing cached yet");
    let first = cred.get_token_for(&resource).unwrap();
    assert_eq!(cred.cached(&resource).unwrap().secret(), first.secret());
    cred.apply_claims(&resource, Some(""));
    cred.apply_claims(&resource, None);
    assert_eq!(cred.get_token_for(&resource).unwrap().secret(), first.secret());
    assert_eq!(requests_to(&emu, "imds"), 1);
    cred.apply_claims(&resource, Some(r#"{"access_token":{"nbf":{"essential":true}}}"#));
    assert!(cred.cached(&resource).is_none());
    cred.get_token_for(&resource).unwrap();
    assert_eq!(requests_to(&emu, "imds"), 2);
}

/// `execute_observed` shows each wait of a long-running delete with ARM's status and state, and
/// a hook that says stop ends the operation before its next request.
#[test]
fn a_progress_hook_sees_each_poll_and_can_stop() {
    use std::ops::ControlFlow;

    use azmi_core::{ArmRequest, WaitCause};

    let emu = emulator();
    let cred = credential(&emu, "imds", Identity::SystemAssigned);
    let cloud = azmi_core::Cloud::custom(&emu.arm_endpoint(), ARM).unwrap();
    let arm = ArmClient::new(cred, cloud);
    let sub = arm.list_subscriptions().unwrap()[0]["subscriptionId"].as_str().unwrap().to_owned();
    for name in ["azmi-hook-all", "azmi-hook-stop"] {
        arm.create_resource_group(&sub, name, "westeurope", None).unwrap();
    }

    let mut polls = Vec::new();
    let delete = ArmRequest::delete_resource_group(&sub, "azmi-hook-all", None).unwrap();
    let run = arm.execute_observed(&delete, |p| {
        match &p.reason.as_ref().expect("the core says why it waits").cause {
            WaitCause::Poll { status, state } => polls.push((*status, state.clone())),
            other => panic!("no retry expected: {other:?}"),
        }
        ControlFlow::<()>::Continue(())
    });
    assert!(matches!(run, ControlFlow::Continue(Ok(_))), "{run:?}");
    let running = Some("InProgress".to_owned());
    assert_eq!(polls, vec![(202, None), (200, running.clone()), (200, running)]);

    let before = requests_to(&emu, "arm");
    let delete = ArmRequest::delete_resource_group(&sub, "azmi-hook-stop", None).unwrap();
    let run = arm.execute_observed(&delete, |_| ControlFlow::Break("stop"));
    assert!(matches!(run, ControlFlow::Break("stop")), "{run:?}");
    assert_eq!(requests_to(&emu, "arm"), before + 1, "the DELETE only: no poll after the stop");
}
