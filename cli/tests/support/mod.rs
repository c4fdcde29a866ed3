//! What the CLI's test files share: the binary with a clean environment, and running it.
// Each test file uses some of these.
#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Stdio};

/// `azmi`, seeing no managed identity or log variables from the machine.
pub fn azmi() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_azmi"));
    for name in azmi_core::VARIABLES.iter().chain(&["AZMI_LOG", "RUST_LOG", "NO_COLOR"]) {
        cmd.env_remove(name);
    }
    cmd
}

/// Runs it: (success, stdout, stderr).
pub fn run(cmd: &mut Command) -> (bool, String, String) {
    let out = cmd.output().expect("azmi runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs it with `input` on stdin.
pub fn run_with_stdin(cmd: &mut Command, input: &str) -> (bool, String, String) {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("azmi starts");
    child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("stdin written");
    let out = child.wait_with_output().expect("azmi ends");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The JSON document a command printed.
pub fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: not JSON:\n{stdout}"))
}
