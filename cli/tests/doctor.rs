//! `azmi doctor` against the emulator (issue 14 item 4): what is set and what is missing, the
//! source and why, the exact request, a real token's identity claims (never the token), and an
//! exit status that says whether a token can be had.

mod support;

use azmi_emulator::{Emulator, EmulatorConfig, Fault};
use support::{azmi, run};

fn var(vars: &[(String, String)], name: &str) -> String {
    vars.iter().find(|(k, _)| k == name).unwrap_or_else(|| panic!("no {name}")).1.clone()
}

/// Only IDENTITY_ENDPOINT set: doctor says IDENTITY_HEADER is missing (App Service) and never
/// that no variables are set; the fetch goes to IMDS (the emulator's, through the pod identity
/// override) and succeeds.
#[test]
fn a_lone_identity_endpoint_is_named_with_what_it_lacks() {
    let emu = Emulator::start(EmulatorConfig::default()).unwrap();
    let app = emu.env_for("app_service");
    let mut cmd = azmi();
    cmd.arg("doctor")
        .env("IDENTITY_ENDPOINT", var(&app, "IDENTITY_ENDPOINT"))
        .envs(emu.env_for("imds"));
    let (ok, stdout, stderr) = run(&mut cmd);
    assert!(ok, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("App Service: IDENTITY_ENDPOINT is set, IDENTITY_HEADER is missing"),
        "{stdout}"
    );
    assert!(stdout.contains("IMDS_ENDPOINT is missing"), "{stdout}");
    assert!(!stdout.contains("no managed identity variables"), "{stdout}");
    assert!(stdout.contains("source: IMDS (the default"), "{stdout}");
    assert!(stdout.contains("token request: GET http://127.0.0.1:"), "{stdout}");
    assert!(stdout.contains("  metadata: true"), "{stdout}");
    assert!(stdout.contains("token: Bearer token in"), "{stdout}");
}

/// A full diagnosis: the request with its secret header hidden, and the token's identity claims
/// (the emulator's system identity, its tenant, the audience), never the token itself.
#[test]
fn the_token_is_fetched_and_described_never_shown() {
    let emu = Emulator::start(EmulatorConfig::default()).unwrap();
    let vars = emu.env_for("app_service");
    let mut cmd = azmi();
    cmd.args(["doctor", "--resource", "https://vault.azure.net"]).envs(vars.clone());
    let (ok, stdout, stderr) = run(&mut cmd);
    assert!(ok, "{stdout}\n{stderr}");
    assert!(stdout.contains("source: App Service (IDENTITY_ENDPOINT + IDENTITY_HEADER set)"));
    assert!(stdout.contains("x-identity-header: ***"), "{stdout}");
    assert!(stdout.contains("resource=https%3A%2F%2Fvault.azure.net"), "{stdout}");
    let me = &emu.identities()[0];
    for expected in [
        format!("oid (object id): {}", me.object_id),
        format!("appid (client id): {}", me.client_id),
        format!("tid (tenant): {}", emu.tenant_id()),
        "aud (audience): https://vault.azure.net".to_owned(),
    ] {
        assert!(stdout.contains(&expected), "missing {expected:?}:\n{stdout}");
    }
    assert!(!stdout.contains(&var(&vars, "IDENTITY_HEADER")), "the secret header:\n{stdout}");
    assert!(!stdout.contains("eyJ"), "the token itself:\n{stdout}");
}

/// No token to be had is a non-zero exit, with the endpoint's answer; `--no-fetch` stops before
/// fetching (and succeeds when the request can be built).
#[test]
fn no_token_means_a_failing_exit_status() {
    let emu = Emulator::start(EmulatorConfig::default()).unwrap();
    emu.inject("app_service", vec![Fault::IdentityNotFound]);
    let mut cmd = azmi();
    cmd.arg("doctor").envs(emu.env_for("app_service"));
    let (ok, stdout, stderr) = run(&mut cmd);
    assert!(!ok, "{stdout}");
    assert!(stdout.contains("token: none after"), "{stdout}");
    assert!(stderr.contains("[identity_not_found]"), "{stderr}");

    let mut cmd = azmi();
    cmd.args(["doctor", "--no-fetch"]).envs(emu.env_for("app_service"));
    let (ok, stdout, stderr) = run(&mut cmd);
    assert!(ok, "{stdout}\n{stderr}");
    assert!(stdout.contains("token: not fetched (--no-fetch)"), "{stdout}");

    // A forced source whose variable is missing: named, and a configuration error.
    let mut cmd = azmi();
    cmd.args(["doctor", "--source", "app_service"])
        .env("IDENTITY_ENDPOINT", "http://127.0.0.1:9/msi/token");
    let (ok, stdout, stderr) = run(&mut cmd);
    assert!(!ok, "{stdout}");
    assert!(stdout.contains("IDENTITY_HEADER is missing"), "{stdout}");
    assert!(stderr.contains("[config]") && stderr.contains("IDENTITY_HEADER"), "{stderr}");
}
