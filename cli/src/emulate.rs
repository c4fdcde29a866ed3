//! `azmi emulate`: serve every identity endpoint and a small ARM (http, https, and behind a
//! `CONNECT` proxy for the real ARM host names) on loopback, until stopped. Three ways to use
//! it from a shell:
//!
//! - `eval "$(azmi emulate --print-env imds --background)"`: starts a detached emulator and
//!   exports its variables (with `AZMI_EMULATOR_PID`; `kill $AZMI_EMULATOR_PID` stops it);
//! - `azmi emulate --env-file PATH`: the same variables written to a file (`. PATH`);
//! - `azmi emulate -- CMD ARGS...`: runs one command with the variables set, then stops, and
//!   exits with the command's status.

mod background;
mod stop;

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use azmi_emulator::{Emulator, EmulatorConfig, Fault, ENDPOINTS, SOURCES};
use clap::Args as ClapArgs;

use crate::Failure;

/// Names the emulator's process in the printed variables, so another shell can stop it.
const PID_VARIABLE: &str = "AZMI_EMULATOR_PID";

#[derive(ClapArgs)]
pub(crate) struct Args {
    /// Print only the variables that point a client at SOURCE and at the emulator's ARM (as
    /// `export` lines, with AZMI_EMULATOR_PID), then close stdout and go on serving.
    #[arg(long, value_name = "SOURCE")]
    print_env: Option<String>,
    /// Start the emulator detached (its own process group, no terminal), wait until it listens,
    /// print its variables (--print-env) and exit: `eval "$(azmi emulate --print-env imds
    /// --background)"`; stop it with `kill $AZMI_EMULATOR_PID`.
    #[arg(long, requires = "print_env", conflicts_with = "command")]
    background: bool,
    /// Also write the variables to PATH (shell syntax: `. PATH`).
    #[arg(long, value_name = "PATH")]
    env_file: Option<PathBuf>,
    /// The source whose variables --env-file and `-- CMD` use, when --print-env names none.
    #[arg(long, value_name = "SOURCE", default_value = "imds")]
    source: String,
    /// Port of the main listener: identity endpoints, ARM over http, the control API and the
    /// CONNECT proxy (HTTPS_PROXY). 0: any free port.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Port of ARM over https (AZMI_ARM_ENDPOINT). 0: any free port.
    #[arg(long, default_value_t = 0)]
    https_port: u16,
    /// Port of the Service Fabric endpoint (https, self-signed). 0: any free port.
    #[arg(long, default_value_t = 0)]
    sf_port: u16,
    /// Also serve the legacy VM extension on this port (0: any free port).
    #[arg(long)]
    legacy_port: Option<u16>,
    /// Write the emulator's CA certificate (PEM) here, and the bundle of the system CAs and it
    /// beside it as NAME-bundle.pem (default: a private temp dir, removed when it stops).
    #[arg(long, value_name = "PATH")]
    ca_file: Option<PathBuf>,
    /// Lifetime of issued tokens, in seconds.
    #[arg(long, default_value_t = 3600)]
    token_lifetime: u64,
    /// Keep resource groups and resources in this JSON file across runs.
    #[arg(long)]
    state_file: Option<PathBuf>,
    /// Queue faults for an endpoint, as ENDPOINT=JSON, e.g.
    /// `imds=["gone",{"kind":"throttle","retry_after_secs":2}]` (repeatable; endpoints: imds,
    /// app_service, app_service_2017, azure_ml, cloud_shell, azure_arc, service_fabric,
    /// legacy_vm_extension, arm).
    #[arg(long = "fault", value_name = "ENDPOINT=JSON")]
    faults: Vec<String>,
    /// Stop after this many seconds (default: run until interrupted or killed).
    #[arg(long, conflicts_with = "command")]
    duration: Option<u64>,
    /// Run this command with the variables set, stop when it ends, and exit with its status.
    #[arg(last = true, value_name = "CMD")]
    command: Vec<String>,
}

pub(crate) fn run(args: Args) -> Result<(), Failure> {
    let source = args.print_env.clone().unwrap_or_else(|| args.source.clone());
    if !SOURCES.contains(&source.as_str()) {
        return Err(Failure::new(
            "config",
            format!("unknown source {source:?}; one of {}", SOURCES.join(", ")),
        ));
    }
    let faults = args.faults.iter().map(|spec| parse_fault(spec)).collect::<Result<Vec<_>, _>>()?;
    if args.background {
        return background::start();
    }
    // Before any thread exists, so that every thread leaves these signals to `stop`.
    let stop = stop::Signals::catch();
    let cfg = EmulatorConfig {
        token_lifetime: Duration::from_secs(args.token_lifetime.max(1)),
        legacy_port: args.legacy_port,
        state_file: args.state_file.clone(),
        http_port: args.port,
        arm_https_port: args.https_port,
        service_fabric_port: args.sf_port,
        ca_file: args.ca_file.clone(),
        ..EmulatorConfig::default()
    };
    let emu = Emulator::start(cfg)?;
    for (endpoint, list) in faults {
        emu.inject(&endpoint, list);
    }
    let vars = variables(&emu, &source);
    if let Some(path) = &args.env_file {
        std::fs::write(path, shell_lines(&vars))
            .map_err(|e| Failure::new("io", format!("--env-file {}: {e}", path.display())))?;
    }
    if !args.command.is_empty() {
        let status = run_command(&args.command, &vars, &stop);
        emu.stop();
        std::process::exit(status?);
    }
    match &args.print_env {
        Some(_) => {
            // One write, so a reader polling a file never sources half a line.
            let text = format!("{}# stop it: kill ${PID_VARIABLE}\n", shell_lines(&vars));
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
            // `$(…)` and pipes end here; the emulator goes on serving.
            stop::close_stdout();
        }
        None => describe(&emu),
    }
    stop.wait(args.duration.map(Duration::from_secs));
    emu.stop();
    Ok(())
}

/// The source's variables, the ARM ones, and this process's id.
fn variables(emu: &Emulator, source: &str) -> Vec<(String, String)> {
    let mut vars = emu.env_for(source);
    vars.extend(emu.arm_env());
    vars.push((PID_VARIABLE.to_owned(), std::process::id().to_string()));
    vars
}

/// `export NAME='value'` lines; a `'` in a value is closed, escaped and reopened.
fn shell_lines(vars: &[(String, String)]) -> String {
    let mut out = String::new();
    for (name, value) in vars {
        let _ = writeln!(out, "export {name}='{}'", value.replace('\'', r"'\''"));
    }
    out
}

/// Runs `command` with the emulator's variables instead of any identity variable the shell
/// has; returns the exit status to pass on (128 + N for a signal, as shells report it).
fn run_command(
    command: &[String],
    vars: &[(String, String)],
    stop: &stop::Signals,
) -> Result<i32, Failure> {
    let mut cmd = Command::new(&command[0]);
    cmd.args(&command[1..]);
    for name in azmi_core::VARIABLES {
        cmd.env_remove(name);
    }
    cmd.envs(vars.iter().map(|(k, v)| (k, v)));
    let child =
        cmd.spawn().map_err(|e| Failure::new("io", format!("cannot run {:?}: {e}", command[0])))?;
    let status = stop.wait_for_child(child)?;
    Ok(stop::exit_code(status))
}

fn describe(emu: &Emulator) {
    println!("azmi emulator (loopback only; no authentication on the control API)");
    println!("  identity endpoints and ARM: {}", emu.http_url());
    println!(
        "  Service Fabric (https):     {} thumbprint {}",
        emu.https_url(),
        emu.sf_thumbprint()
    );
    if let Some(port) = emu.legacy_port() {
        println!("  legacy VM extension:        http://127.0.0.1:{port}/oauth2/token");
    }
    println!("  ARM endpoint:               {}", emu.arm_endpoint());
    println!("  ARM over https:             {}", emu.arm_https_endpoint());
    println!("  CA certificate:             {}", emu.ca_file().display());
    println!("  CA bundle (system + CA):    {}", emu.ca_bundle_file().display());
    println!("  proxy (ARM host names only): {}", emu.http_url());
    println!("  control API:                {}/_emulator/info", emu.http_url());
    println!("identities:");
    for id in emu.identities() {
        println!(
            "  {:?} {}: client_id {} object_id {}",
            id.kind, id.name, id.client_id, id.object_id
        );
    }
    println!(
        "point a shell at it: eval \"$(azmi emulate --print-env imds --background)\" starts \
         another one in the background; for this one, set:"
    );
    for source in SOURCES {
        let vars: Vec<String> =
            emu.env_for(source).into_iter().map(|(k, v)| format!("{k}={v}")).collect();
        println!("  {source:<20} {}", vars.join(" "));
    }
    let arm: Vec<String> = emu.arm_env().into_iter().map(|(k, v)| format!("{k}={v}")).collect();
    println!("  {:<20} {}", "ARM (any source)", arm.join(" "));
}

fn parse_fault(spec: &str) -> Result<(String, Vec<Fault>), Failure> {
    let (endpoint, json) = spec.split_once('=').ok_or_else(|| {
        Failure::new("config", format!("--fault {spec:?}: expected ENDPOINT=JSON"))
    })?;
    if !ENDPOINTS.contains(&endpoint) {
        return Err(Failure::new(
            "config",
            format!("--fault: unknown endpoint {endpoint:?}; one of {}", ENDPOINTS.join(", ")),
        ));
    }
    let faults = Fault::parse_list(json)
        .map_err(|e| Failure::new("config", format!("--fault {endpoint}: {e}")))?;
    Ok((endpoint.to_owned(), faults))
}
