//! `SSL_CERT_FILE` and `AZMI_ARM_ENDPOINT` as a user's shell sets them after `azmi emulate
//! --print-env`: the transport trusts the emulator's CA beside its built-in roots, and the core
//! makes the variable the default cloud. Its own test binary: it sets the process environment,
//! which `Transport::new` reads. Everything is on 127.0.0.1.

use azmi_core::{ArmError, ArmErrorKind, Config, EnvSnapshot, Options, SourceKind};
use azmi_emulator::Emulator;
use azmi_host::{ArmClient, EnvSource, ManagedIdentityCredential, CA_FILE_VARIABLE};

/// The IMDS and ARM variables the emulator prints, as a snapshot.
fn snapshot(emu: &Emulator) -> EnvSnapshot {
    let mut vars = emu.env_for("imds");
    vars.extend(emu.arm_env());
    EnvSnapshot::from_vars(vars)
}

/// The certificate was refused: the error says TLS and no request reached ARM.
fn assert_tls_refused(emu: &Emulator, err: &ArmError) {
    assert!(matches!(err.kind, ArmErrorKind::Unavailable { .. }), "{err:?}");
    assert!(err.to_string().to_lowercase().contains("tls"), "{err}");
    assert!(emu.requests().iter().all(|r| r.endpoint != "arm"), "{:?}", emu.requests());
}

fn list_subscriptions(emu: &Emulator) -> Result<usize, ArmError> {
    let mut cfg = Config::default();
    cfg.source = Some(SourceKind::Imds);
    // A transport made now, from the process environment as it is now.
    let credential = ManagedIdentityCredential::with_env(cfg, EnvSource::Fixed(snapshot(emu)));
    let cloud =
        Options::default().cloud(&credential.snapshot()).expect("AZMI_ARM_ENDPOINT is valid");
    assert_eq!(cloud.endpoint(), emu.arm_https_endpoint());
    ArmClient::new(credential, cloud).list_subscriptions().map(|s| s.len())
}

#[test]
fn ssl_cert_file_adds_the_emulator_ca_and_azmi_arm_endpoint_picks_the_cloud() {
    let emu = Emulator::start(Default::default()).expect("emulator starts on loopback");
    // One test, in order: the environment is the process's.
    std::env::remove_var(CA_FILE_VARIABLE);
    let untrusted = list_subscriptions(&emu).unwrap_err();
    assert_tls_refused(&emu, &untrusted);

    std::env::set_var(CA_FILE_VARIABLE, emu.ca_bundle_file());
    assert_eq!(list_subscriptions(&emu).unwrap(), 1);
    emu.reset();

    // An unreadable file is skipped (logged), not fatal: the built-in roots still apply.
    std::env::set_var(CA_FILE_VARIABLE, "/nonexistent/azmi-ca.pem");
    let skipped = list_subscriptions(&emu).unwrap_err();
    assert_tls_refused(&emu, &skipped);
    std::env::remove_var(CA_FILE_VARIABLE);
}
