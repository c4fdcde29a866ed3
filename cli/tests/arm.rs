//! `azmi arm` and `azmi token` for scripts (issue 14 item 9), and the logs (item 5), against the
//! emulator: one output shape, queries and full URLs, bodies from files and stdin, identity
//! options anywhere, az's token format, and each retry logged with its reason.

mod support;

use azmi_emulator::{Emulator, EmulatorConfig, Fault, DEFAULT_SUBSCRIPTION_ID as SUB};
use support::{azmi, json, run, run_with_stdin};

/// `azmi arm --cloud <emulator> ARGS` with the IMDS variables.
fn arm(emu: &Emulator, args: &[&str]) -> (bool, String, String) {
    let mut cmd = azmi();
    cmd.args(["arm", "--cloud", &emu.arm_endpoint()]).args(args).envs(emu.env_for("imds"));
    run(&mut cmd)
}

fn names(list: &serde_json::Value) -> Vec<String> {
    let items = list["value"].as_array().unwrap_or_else(|| panic!("no value array: {list}"));
    items.iter().map(|g| g["name"].as_str().unwrap().to_owned()).collect()
}

/// A list command prints what ARM answers for a list, `{"value": [...]}`, like `arm get` of the
/// same path; `-o tsv`, `-o table` and `-o none` print the same rows differently.
#[test]
fn every_arm_command_prints_one_shape() {
    let emu = Emulator::start(EmulatorConfig::default()).unwrap();
    for name in ["rg-a", "rg-b"] {
        let create = ["groups", "create", "--subscription", SUB, "--name", name];
        let (ok, stdout, stderr) =
            arm(&emu, &[&create[..], &["--location", "westeurope"]].concat());
        assert!(ok, "{stdout}\n{stderr}");
        assert_eq!(json(&stdout)["name"], name);
    }
    let (ok, listed, stderr) = arm(&emu, &["groups", "list", "--subscription", SUB]);
    assert!(ok, "{stderr}");
    let path = format!("/subscriptions/{SUB}/resourcegroups");
    let (ok, got, stderr) = arm(&emu, &["get", &path, "--api-version", "2021-04-01"]);
    assert!(ok, "{stderr}");
    assert_eq!(names(&json(&listed)), names(&json(&got)));
    assert!(names(&json(&listed)).contains(&"rg-b".to_owned()), "{listed}");

    let (ok, tsv, _) = arm(&emu, &["-o", "tsv", "groups", "list", "--subscription", SUB]);
    assert!(ok);
    let row = tsv.lines().find(|l| l.starts_with("rg-a\t")).unwrap_or_else(|| panic!("{tsv}"));
    assert!(row.contains("westeurope"), "{tsv}");
    let (ok, table, _) = arm(&emu, &["groups", "list", "--subscription", SUB, "--output", "table"]);
    assert!(ok && table.lines().next().unwrap().contains("name"), "{table}");
    let (ok, none, _) = arm(&emu, &["groups", "list", "--subscription", SUB, "-o", "none"]);
    assert!(ok && none.is_empty(), "{none}");
}

/// A path may carry a query (`$top`), or be a full URL on the configured endpoint; a URL on
/// any other host is refused before a token is asked for.
#[test]
fn paths_take_a_query_or_a_url_on_the_arm_host() {
    let emu = Emulator::start(EmulatorConfig::default()).unwrap();
    for name in ["rg-1", "rg-2"] {
        let args = ["groups", "create", "--subscription", SUB, "--name", name, "--location", "x"];
        assert!(arm(&emu, &args).0);
    }
    let top = format!("/subscriptions/{SUB}/resourcegroups?$top=1");
    let (ok, stdout, stderr) = arm(&emu, &["get", &top, "--api-version", "2021-04-01"]);
    assert!(ok, "{stderr}");
    assert_eq!(names(&json(&stdout)).len(), 1, "{stdout}");
    let logged = emu.requests().into_iter().rev().find(|r| r.endpoint == "arm").unwrap();
    assert!(logged.path.contains("api-version=2021-04-01&%24top=1"), "{}", logged.path);

    let url = format!("{}/subscriptions?api-version=2022-12-01", emu.arm_endpoint());
    let (ok, stdout, stderr) = arm(&emu, &["get", &url, "--api-version", "2022-12-01"]);
    assert!(ok, "{stderr}");
    assert_eq!(json(&stdout)["value"][0]["subscriptionId"], SUB);

    let before = emu.requests().len();
    let foreign = "https://management.azure.com/subscriptions";
    let (ok, _, stderr) = arm(&emu, &["get", foreign, "--api-version", "2022-12-01"]);
    assert!(!ok);
    assert!(stderr.contains("[foreign_host]"), "{stderr}");
    assert_eq!(emu.requests().len(), before, "nothing was sent, not even for a token");
    let (ok, _, stderr) = arm(&emu, &["get", &url, "--api-version", "2021-01-01"]);
    assert!(!ok && stderr.contains("[config]") && stderr.contains("api-version"), "{stderr}");
}

/// `--body @file` and `--body @-` read the JSON from a file and from stdin; identity options
/// are accepted after the subcommand too.
#[test]
fn bodies_come_from_files_and_stdin() {
    let emu = Emulator::start(EmulatorConfig::default()).unwrap();
    let file = std::env::temp_dir().join(format!("azmi-body-{}.json", std::process::id()));
    std::fs::write(&file, r#"{"location": "northeurope", "tags": {"from": "file"}}"#).unwrap();
    let path = format!("/subscriptions/{SUB}/resourcegroups/rg-file");
    let body = format!("@{}", file.display());
    let (ok, stdout, stderr) =
        arm(&emu, &["put", &path, "--api-version", "2021-04-01", "--body", &body]);
    std::fs::remove_file(&file).unwrap();
    assert!(ok, "{stderr}");
    assert_eq!(json(&stdout)["tags"]["from"], "file");

    let path = format!("/subscriptions/{SUB}/resourcegroups/rg-stdin");
    let mut cmd = azmi();
    cmd.args(["arm", "put", &path, "--api-version", "2021-04-01", "--body", "@-"])
        .args(["--cloud", &emu.arm_endpoint(), "--timeout", "20"])
        .envs(emu.env_for("imds"));
    let (ok, stdout, stderr) = run_with_stdin(&mut cmd, r#"{"location": "westus"}"#);
    assert!(ok, "{stderr}");
    assert_eq!(json(&stdout)["location"], "westus");

    let (ok, _, stderr) =
        arm(&emu, &["put", &path, "--api-version", "1", "--body", "@/no/such/file"]);
    assert!(!ok && stderr.contains("--body: cannot read /no/such/file"), "{stderr}");
}

/// `--source` errors list the sources, wherever the flag is given.
#[test]
fn source_errors_list_the_sources() {
    for args in [&["demo", "--source", "bogus"][..], &["token", "--source", "bogus"]] {
        let (ok, _, stderr) = run(azmi().args(args));
        assert!(!ok, "{args:?}");
        assert!(stderr.contains("unknown source \"bogus\"; one of imds, app_service"), "{stderr}");
        assert_eq!(stderr.matches("[config]").count(), 1, "{stderr}");
    }
    let (ok, _, stderr) = run(azmi().args([
        "arm",
        "subscriptions",
        "--source",
        "bogus",
        "--cloud",
        "http://127.0.0.1:9",
    ]));
    assert!(!ok && stderr.contains("one of imds"), "{stderr}");
}

/// `token --output az` is `az account get-access-token`'s JSON.
#[test]
fn token_prints_the_az_format() {
    let emu = Emulator::start(EmulatorConfig::default()).unwrap();
    let mut cmd = azmi();
    cmd.args(["token", "--output", "az"]).envs(emu.env_for("imds"));
    let (ok, stdout, stderr) = run(&mut cmd);
    assert!(ok, "{stderr}");
    let az = json(&stdout);
    assert!(az["accessToken"].as_str().unwrap().starts_with("ey"), "{az}");
    assert_eq!((&az["tokenType"], &az["tenant"]), (&"Bearer".into(), &emu.tenant_id().into()));
    let expires_on = az["expires_on"].as_u64().unwrap();
    assert!(expires_on > 1_700_000_000, "{az}");
    // "YYYY-MM-DD HH:MM:SS.ffffff", local time.
    let local = az["expiresOn"].as_str().unwrap();
    let shape: String = local.chars().map(|c| if c.is_ascii_digit() { 'd' } else { c }).collect();
    assert_eq!(shape, "dddd-dd-dd dd:dd:dd.dddddd", "{local}");
}

/// `-v` logs each retry with the core's reason (the status, and whether Retry-After or the
/// backoff set the wait) to stderr, without colours in a pipe and without the token;
/// `AZMI_LOG` (else `RUST_LOG`) filters the same events.
#[test]
fn retries_are_logged_with_their_reasons() {
    let emu = Emulator::start(EmulatorConfig::default()).unwrap();
    let token = |extra: &[(&str, &str)], verbose: bool| {
        emu.inject("imds", vec![Fault::Gone, Fault::Throttle { retry_after_secs: 1 }]);
        let mut cmd = azmi();
        cmd.args(["token", "--output", "raw"]).envs(emu.env_for("imds"));
        cmd.envs(extra.iter().copied());
        if verbose {
            cmd.arg("-v");
        }
        run(&mut cmd)
    };
    let (ok, secret, log) = token(&[], true);
    assert!(ok, "{log}");
    for expected in [
        "managed identity source chosen",
        "retrying after status 410",
        "set_by=\"backoff\"",
        "retrying after status 429",
        "set_by=\"retry_after\"",
        "wait_ms=",
        "sending",
    ] {
        assert!(log.contains(expected), "missing {expected:?} in\n{log}");
    }
    assert!(!log.contains('\u{1b}'), "no colours in a pipe:\n{log}");
    assert!(!log.contains(secret.trim()), "the token is never logged");

    let (ok, _, log) = token(&[("AZMI_LOG", "azmi_host=info")], false);
    assert!(ok && log.contains("retrying after status 429"), "{log}");
    assert!(!log.contains("sending"), "debug events filtered out:\n{log}");
    let (ok, _, log) = token(&[("RUST_LOG", "azmi_host=info")], false);
    assert!(ok && log.contains("retrying after status 410"), "{log}");
    let (ok, _, log) = token(&[], false);
    assert!(ok && log.is_empty(), "nothing logged unless asked:\n{log}");
}
