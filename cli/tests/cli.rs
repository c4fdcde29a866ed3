//! The `azmi` binary end to end, against the emulator on loopback.

use std::process::Command;

use azmi_emulator::{Emulator, EmulatorConfig};

fn azmi() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_azmi"));
    // Start from an environment with no managed identity variables, whatever the machine has.
    for name in azmi_core::VARIABLES {
        cmd.env_remove(name);
    }
    cmd
}

fn run(cmd: &mut Command) -> (bool, String, String) {
    let out = cmd.output().expect("azmi runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn demo_runs_the_whole_flow() {
    let (ok, stdout, stderr) = run(azmi().arg("demo"));
    assert!(ok, "{stdout}\n{stderr}");
    for step in [
        "[1/7]",
        "[2/7]",
        "[3/7]",
        "[5/7] created azmi-demo-",
        "[6/7] deleting",
        "deleted",
        "[7/7]",
    ] {
        assert!(stdout.contains(step), "missing {step:?} in\n{stdout}");
    }
    assert!(stdout.contains("\"imds\": 1"), "one token served the demo:\n{stdout}");
}

#[test]
fn token_and_doctor_follow_the_environment_overrides() {
    let emu = Emulator::start(EmulatorConfig::default()).unwrap();
    let mut cmd = azmi();
    cmd.args(["token", "--resource", "https://management.azure.com/"])
        .envs(emu.env_for("app_service"));
    let (ok, stdout, stderr) = run(&mut cmd);
    assert!(ok, "{stdout}\n{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["source"], "app_service");
    assert!(json["access_token"].as_str().unwrap().starts_with("ey"));

    let mut cmd = azmi();
    cmd.arg("doctor").envs(emu.env_for("app_service"));
    let (ok, stdout, stderr) = run(&mut cmd);
    assert!(ok, "{stdout}\n{stderr}");
    assert!(stdout.contains("App Service (IDENTITY_ENDPOINT + IDENTITY_HEADER set)"), "{stdout}");
    assert!(stdout.contains("token: Bearer token in"), "{stdout}");
    let header =
        emu.env_for("app_service").into_iter().find(|(k, _)| k == "IDENTITY_HEADER").unwrap().1;
    assert!(!stdout.contains(&header), "doctor must hide the secret:\n{stdout}");
}

#[test]
fn bad_input_is_a_clear_error() {
    let (ok, _, stderr) = run(azmi().args(["token", "--client-id", "a", "--object-id", "b"]));
    assert!(!ok);
    assert!(stderr.contains("[config]") && stderr.contains("client_id, object_id"), "{stderr}");
    let (ok, _, stderr) = run(azmi().args(["token", "--source", "nowhere"]));
    assert!(!ok);
    assert!(stderr.contains("unknown source"), "{stderr}");
}

/// Deadlines out of range (a day at most) are configuration errors naming the flag, before
/// anything is sent; never a panic (exit 101).
#[test]
fn deadlines_are_range_checked() {
    let cases: [&[&str]; 6] = [
        &["token", "--timeout", "1e30"],
        &["token", "--timeout", "0"],
        &["token", "--timeout", "NaN"],
        &["arm", "--timeout", "1e30", "subscriptions"],
        &["arm", "--arm-timeout", "1e30", "subscriptions"],
        &["arm", "--arm-timeout=-1", "subscriptions"],
    ];
    for args in cases {
        let out = azmi().args(args).output().expect("azmi runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        let arm = args.iter().any(|a| a.starts_with("--arm-timeout"));
        let flag = if arm { "--arm-timeout" } else { "--timeout" };
        assert!(stderr.contains("[config]") && stderr.contains(flag), "{args:?}: {stderr}");
    }
}

/// `--arm-timeout` bounds an ARM call: against an ARM that accepts and never answers, the call
/// fails with `deadline_exceeded` soon after the deadline, not after the default ten minutes.
#[test]
fn arm_timeout_bounds_an_unanswered_call() {
    use std::net::TcpListener;
    use std::time::{Duration, Instant};

    let emu = Emulator::start(EmulatorConfig::default()).unwrap();
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    // Holds what it accepts without answering, for 20 s at most.
    silent.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let (end, mut held) = (Instant::now() + Duration::from_secs(20), Vec::new());
        while Instant::now() < end {
            match silent.accept() {
                Ok((conn, _)) => held.push(conn),
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    });
    let started = Instant::now();
    let mut cmd = azmi();
    cmd.args(["arm", "--cloud", &url, "--arm-timeout", "1.5", "subscriptions"])
        .envs(emu.env_for("imds"));
    let (ok, stdout, stderr) = run(&mut cmd);
    let took = started.elapsed();
    assert!(!ok, "{stdout}");
    assert!(stderr.contains("[deadline_exceeded]"), "{stderr}");
    assert!(took < Duration::from_secs(10), "took {took:?}: {stderr}");
}

#[test]
fn arm_commands_reach_the_emulator() {
    let emu = Emulator::start(EmulatorConfig::default()).unwrap();
    let mut cmd = azmi();
    cmd.args(["arm", "--cloud", &emu.arm_endpoint(), "subscriptions"]).envs(emu.env_for("imds"));
    let (ok, stdout, stderr) = run(&mut cmd);
    assert!(ok, "{stdout}\n{stderr}");
    assert!(stdout.contains(azmi_emulator::DEFAULT_SUBSCRIPTION_ID), "{stdout}");
}

/// `arm run` takes any operation in its JSON form and prints the outcome's natural value (a
/// boolean for an existence check), or with `--full` the whole outcome; a misspelt key is
/// refused before anything is sent, naming the key and the accepted ones.
#[test]
fn arm_run_takes_operations_as_json() {
    let emu = Emulator::start(EmulatorConfig::default()).unwrap();
    let sub = azmi_emulator::DEFAULT_SUBSCRIPTION_ID;
    let arm = |args: &[&str]| {
        let mut cmd = azmi();
        cmd.args(["arm", "--cloud", &emu.arm_endpoint()]).args(args).envs(emu.env_for("imds"));
        run(&mut cmd)
    };
    let exists = format!(
        r#"{{"op": "resource_group_exists", "subscription_id": "{sub}", "name": "no-such-rg"}}"#
    );
    let (ok, stdout, stderr) = arm(&["run", &exists]);
    assert!(ok, "{stdout}\n{stderr}");
    assert_eq!(serde_json::from_str::<serde_json::Value>(&stdout).unwrap()["exists"], false);
    let (ok, stdout, stderr) = arm(&["--full", "run", &exists]);
    assert!(ok, "{stdout}\n{stderr}");
    let full: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!((&full["exists"], &full["last"]["status"]), (&false.into(), &404.into()), "{full}");
    let (ok, _, stderr) = arm(&["run", r#"{"op": "list_subscriptions", "top": 1}"#]);
    assert!(!ok);
    assert!(stderr.contains("[config]") && stderr.contains("`top`"), "{stderr}");
    let (ok, stdout, _) = run(azmi().args(["arm", "operations"]));
    assert!(ok && stdout.contains("resource_group_exists") && stdout.contains("HEAD"), "{stdout}");
}

#[test]
fn emulate_prints_the_environment_for_a_source() {
    let (ok, stdout, stderr) =
        run(azmi().args(["emulate", "--print-env", "imds", "--duration", "0"]));
    assert!(ok, "{stdout}\n{stderr}");
    assert!(
        stdout.starts_with("export AZURE_POD_IDENTITY_AUTHORITY_HOST='http://127.0.0.1:"),
        "{stdout}"
    );
}

#[test]
fn emulate_takes_faults_by_flag() {
    let (ok, _, stderr) =
        run(azmi().args(["emulate", "--fault", "nowhere=[\"drop\"]", "--duration", "0"]));
    assert!(!ok);
    assert!(stderr.contains("unknown endpoint"), "{stderr}");
    let (ok, _, stderr) =
        run(azmi().args(["emulate", "--fault", "imds=[\"explode\"]", "--duration", "0"]));
    assert!(!ok);
    assert!(stderr.contains("unknown fault"), "{stderr}");
    let (ok, stdout, stderr) = run(azmi().args([
        "emulate",
        "--fault",
        "imds=[\"gone\",{\"kind\":\"throttle\",\"retry_after_secs\":1}]",
        "--print-env",
        "imds",
        "--duration",
        "0",
    ]));
    assert!(ok, "{stdout}\n{stderr}");
}

/// Without the `component` feature, `--engine component` says how to get it.
#[cfg(not(feature = "component"))]
#[test]
fn the_component_engine_needs_the_feature() {
    for args in [
        &["token", "--engine", "component"][..],
        &["arm", "--engine", "component", "subscriptions"],
    ] {
        let (ok, _, stderr) = run(azmi().args(args));
        assert!(!ok, "{args:?}");
        assert!(stderr.contains("[config]") && stderr.contains("--features component"), "{stderr}");
    }
}
