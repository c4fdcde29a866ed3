//! `azmi emulate`: serve every identity endpoint and a small ARM on loopback until stopped.

use std::path::PathBuf;
use std::time::Duration;

use azmi_emulator::{Emulator, EmulatorConfig, Fault, ENDPOINTS, SOURCES};
use clap::Args as ClapArgs;

use crate::Failure;

#[derive(ClapArgs)]
pub(crate) struct Args {
    /// Print only the environment variables that point a client at SOURCE (as `export` lines).
    #[arg(long, value_name = "SOURCE")]
    print_env: Option<String>,
    /// Lifetime of issued tokens, in seconds.
    #[arg(long, default_value_t = 3600)]
    token_lifetime: u64,
    /// Also serve the legacy VM extension on this port (0: any free port).
    #[arg(long)]
    legacy_port: Option<u16>,
    /// Keep resource groups and resources in this JSON file across runs.
    #[arg(long)]
    state_file: Option<PathBuf>,
    /// Queue faults for an endpoint, as ENDPOINT=JSON, e.g.
    /// `imds=["gone",{"kind":"throttle","retry_after_secs":2}]` (repeatable; endpoints: imds,
    /// app_service, app_service_2017, azure_ml, cloud_shell, azure_arc, service_fabric,
    /// legacy_vm_extension, arm).
    #[arg(long = "fault", value_name = "ENDPOINT=JSON")]
    faults: Vec<String>,
    /// Stop after this many seconds (default: run until interrupted).
    #[arg(long)]
    duration: Option<u64>,
}

pub(crate) fn run(args: Args) -> Result<(), Failure> {
    if let Some(source) = &args.print_env {
        if !SOURCES.contains(&source.as_str()) {
            return Err(Failure::new(
                "config",
                format!("unknown source {source:?}; one of {}", SOURCES.join(", ")),
            ));
        }
    }
    let cfg = EmulatorConfig {
        token_lifetime: Duration::from_secs(args.token_lifetime.max(1)),
        legacy_port: args.legacy_port,
        state_file: args.state_file.clone(),
        ..EmulatorConfig::default()
    };
    let faults = args.faults.iter().map(|spec| parse_fault(spec)).collect::<Result<Vec<_>, _>>()?;
    let emu = Emulator::start(cfg)?;
    for (endpoint, list) in faults {
        emu.inject(&endpoint, list);
    }
    match &args.print_env {
        Some(source) => print_env(&emu, source),
        None => describe(&emu),
    }
    match args.duration {
        Some(secs) => std::thread::sleep(Duration::from_secs(secs)),
        None => loop {
            std::thread::park();
        },
    }
    emu.stop();
    Ok(())
}

fn print_env(emu: &Emulator, source: &str) {
    for (name, value) in emu.env_for(source) {
        println!("export {name}='{value}'");
    }
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
    println!("  control API:                {}/_emulator/info", emu.http_url());
    println!("identities:");
    for id in emu.identities() {
        println!(
            "  {:?} {}: client_id {} object_id {}",
            id.kind, id.name, id.client_id, id.object_id
        );
    }
    println!("point a client at a source (e.g. `eval \"$(azmi emulate --print-env imds)\"` in another shell, or):");
    for source in SOURCES {
        let vars: Vec<String> =
            emu.env_for(source).into_iter().map(|(k, v)| format!("{k}={v}")).collect();
        println!("  {source:<20} {}", vars.join(" "));
    }
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
