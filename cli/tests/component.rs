//! `azmi token --engine component` and `azmi arm --engine component`: the CLI through the
//! WebAssembly component, against the emulator on loopback.

use std::process::Command;

use azmi_emulator::{Emulator, EmulatorConfig};
use serde_json::Value;

fn azmi() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_azmi"));
    // No managed identity variables from the machine, and the component this checkout built.
    for name in azmi_core::VARIABLES {
        cmd.env_remove(name);
    }
    cmd.env_remove("AZMI_COMPONENT");
    cmd
}

fn run(cmd: &mut Command) -> (bool, String, String) {
    let out = cmd.output().expect("azmi runs");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.success(), text(&out.stdout), text(&out.stderr))
}

/// The log without its colours.
fn plain(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            chars.by_ref().find(|c| c.is_ascii_alphabetic());
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn token_through_the_component_matches_the_native_engine() {
    let emu = Emulator::start(EmulatorConfig::default()).unwrap();
    let mut tokens = Vec::new();
    for engine in ["component", "native"] {
        let mut cmd = azmi();
        cmd.args([
            "-v",
            "token",
            "--scope",
            "https://vault.azure.net/.default",
            "--engine",
            engine,
        ])
        .envs(emu.env_for("app_service"));
        let (ok, stdout, stderr) = run(&mut cmd);
        assert!(ok, "{engine}: {stdout}\n{stderr}");
        let json: Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(json["source"], "app_service", "{engine}");
        assert_eq!(json["resource"], "https://vault.azure.net", "{engine}");
        assert!(json["access_token"].as_str().unwrap().starts_with("ey"), "{engine}");
        // The verbose log names the engine that fetched: one credential, the engine its argument.
        let log = plain(&stderr);
        assert!(log.contains(&format!("engine=\"{engine}\"")), "{log}");
        assert!(log.contains("fetching a managed identity token"), "{log}");
        tokens.push(json);
    }
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&tokens[0]), keys(&tokens[1]), "the same output shape");
}

#[test]
fn a_missing_component_is_a_clear_error() {
    let emu = Emulator::start(EmulatorConfig::default()).unwrap();
    let mut cmd = azmi();
    cmd.args(["token", "--engine", "component"])
        .env("AZMI_COMPONENT", "/nonexistent/azmi.wasm")
        .envs(emu.env_for("imds"));
    let (ok, _, stderr) = run(&mut cmd);
    assert!(!ok);
    assert!(stderr.contains("[component_load]"), "{stderr}");
    assert!(stderr.contains("/nonexistent/azmi.wasm"), "{stderr}");
    assert!(stderr.contains("scripts/build-component"), "names the fix: {stderr}");
    // The core's own errors come through the component with their codes.
    let mut cmd = azmi();
    cmd.args(["token", "--engine", "component", "--scope", "a/.default", "--source", "imds"])
        .args(["--client-id", "a", "--object-id", "b"]);
    let (ok, _, stderr) = run(&mut cmd);
    assert!(!ok);
    assert!(stderr.contains("[config]"), "{stderr}");
}

#[test]
fn arm_through_the_component() {
    let emu = Emulator::start(EmulatorConfig::default()).unwrap();
    let arm = |args: &[&str]| {
        let mut cmd = azmi();
        cmd.args(["arm", "--engine", "component", "--cloud", &emu.arm_endpoint()])
            .args(args)
            .envs(emu.env_for("imds"));
        let (ok, stdout, stderr) = run(&mut cmd);
        assert!(ok, "{args:?}: {stdout}\n{stderr}");
        serde_json::from_str::<Value>(&stdout).unwrap()
    };
    // Lists print ARM's own shape, {"value": [...]}, every page's items.
    let subs = arm(&["subscriptions"]);
    let sub = subs["value"][0]["subscriptionId"].as_str().unwrap().to_owned();
    let before =
        arm(&["groups", "list", "--subscription", &sub])["value"].as_array().unwrap().len();
    let create = ["groups", "create", "--subscription", &sub, "--name", "cli-wasm-rg"];
    let created = arm(&[&create[..], &["--location", "westeurope"]].concat());
    // The natural value of a response: its body.
    assert_eq!(created["name"], "cli-wasm-rg", "{created}");
    let groups = arm(&["groups", "list", "--subscription", &sub]);
    let groups = groups["value"].as_array().unwrap();
    assert_eq!(groups.len(), before + 1);
    assert!(groups.iter().any(|g| g["name"] == "cli-wasm-rg"), "{groups:?}");
}
