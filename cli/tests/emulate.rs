//! `azmi emulate` from a shell, as the README tells people to use it: in the background with
//! `eval "$(…)"`, through an env file from another shell, and around one command with `--`.
//! Every run is bounded (`--duration`, `timeout`) and everything is on 127.0.0.1.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SUB: &str = "20000000-0000-4000-8000-000000000001";

fn bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_azmi")).parent().unwrap().to_path_buf()
}

/// `sh -c script` with azmi first on PATH and no identity or ARM variable from the machine.
fn shell(script: &str) -> Output {
    let path = format!("{}:{}", bin_dir().display(), std::env::var("PATH").unwrap_or_default());
    let mut cmd = Command::new("timeout");
    cmd.args(["120", "sh", "-c", script]).env("PATH", path);
    for name in azmi_core::VARIABLES {
        cmd.env_remove(name);
    }
    for name in ["HTTPS_PROXY", "https_proxy", "SSL_CERT_FILE", "AZMI_EMULATOR_PID"] {
        cmd.env_remove(name);
    }
    cmd.output().expect("sh runs")
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn background_print_env_round_trip_from_a_shell() {
    let out = shell(
        r#"set -e
        eval "$(azmi emulate --print-env imds --background --duration 60)"
        echo "pid=$AZMI_EMULATOR_PID ca=$SSL_CERT_FILE arm=$AZMI_ARM_ENDPOINT"
        azmi token --resource https://management.azure.com/
        azmi arm subscriptions
        ca_dir=$(dirname "$SSL_CERT_FILE")
        kill "$AZMI_EMULATOR_PID"
        i=0; while [ -d "$ca_dir" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
        [ -d "$ca_dir" ] && echo "ca dir left behind" || echo "stopped and cleaned up"
        "#,
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("arm=https://127.0.0.1:"), "{stdout}");
    assert!(stdout.contains("\"source\"") && stdout.contains("imds"), "{stdout}");
    assert!(
        stdout.contains(SUB),
        "azmi arm used AZMI_ARM_ENDPOINT over https:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("stopped and cleaned up"), "{stdout}");
}

#[test]
fn an_env_file_serves_other_shells() {
    let dir = std::env::temp_dir().join(format!("azmi-envfile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("emulator.env");
    let start = format!(
        "azmi emulate --print-env app_service --env-file {} --background --duration 60 >/dev/null",
        file.display()
    );
    let out = shell(&start);
    assert!(out.status.success(), "{:?}", text(&out));
    let written = std::fs::read_to_string(&file).unwrap();
    for name in ["IDENTITY_ENDPOINT", "IDENTITY_HEADER", "AZMI_ARM_ENDPOINT", "AZMI_EMULATOR_PID"] {
        assert!(written.contains(&format!("export {name}='")), "{name} missing:\n{written}");
    }
    // Another shell: source the file, use it, stop the emulator.
    let use_it =
        format!(". {}; azmi arm subscriptions && kill \"$AZMI_EMULATOR_PID\"", file.display());
    let out = shell(&use_it);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success() && stdout.contains(SUB), "{stdout}\n{stderr}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_command_runs_with_the_variables_and_its_status_is_passed_on() {
    let out = shell(
        r#"azmi emulate --source azure_ml -- sh -c 'echo "msi=$MSI_ENDPOINT"; azmi arm subscriptions && exit 7'"#,
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(7), "{stdout}\n{stderr}");
    assert!(stdout.contains("msi=http://127.0.0.1:") && stdout.contains("/ml/token"), "{stdout}");
    assert!(stdout.contains(SUB), "{stdout}\n{stderr}");

    // The emulator's variables replace the shell's identity variables.
    let out = shell(
        "IDENTITY_ENDPOINT=http://127.0.0.1:9/x azmi emulate -- sh -c 'echo \"[$IDENTITY_ENDPOINT]\"'",
    );
    assert!(out.status.success() && text(&out).0.contains("[]"), "{:?}", text(&out));

    let out = shell("azmi emulate -- /nonexistent/command");
    assert!(!out.status.success());
    assert!(text(&out).1.contains("cannot run"), "{:?}", text(&out));
}

#[test]
fn ports_are_chosen_by_flag() {
    let (port, https, sf) = (free_port(), free_port(), free_port());
    let script = format!(
        "azmi emulate --port {port} --https-port {https} --sf-port {sf} --print-env service_fabric --duration 0"
    );
    let out = shell(&script);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!("IDENTITY_ENDPOINT='https://127.0.0.1:{sf}/sf/token'")),
        "{stdout}"
    );
    assert!(stdout.contains(&format!("AZMI_ARM_ENDPOINT='https://127.0.0.1:{https}'")), "{stdout}");
    assert!(stdout.contains(&format!("HTTPS_PROXY='http://127.0.0.1:{port}'")), "{stdout}");
    assert!(stdout.contains("kill $AZMI_EMULATOR_PID"), "{stdout}");

    // A port in use is a clear error, in the background too.
    let busy = TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = busy.local_addr().unwrap().port();
    let out = shell(&format!("azmi emulate --port {taken} --print-env imds --background"));
    assert!(!out.status.success());
    assert!(text(&out).1.contains("before it was ready"), "{:?}", text(&out));
}
