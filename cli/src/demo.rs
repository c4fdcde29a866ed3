//! `azmi demo`: the seeds' sample on a fresh machine. Starts the emulator in-process on an
//! ephemeral loopback port, points a credential at it through the same environment overrides a
//! user would set, and runs: token, first subscription, list resource groups, create one,
//! delete it (polling the long-running operation), list again.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use azmi_core::{ArmConfig, Config, EnvSnapshot, Options, SourceKind, ARM_ENDPOINT_VARIABLE};
use azmi_emulator::{Emulator, EmulatorConfig};
use azmi_host::{now, ArmClient, EnvSource, ManagedIdentityCredential, Progress, Transport};
use clap::Args as ClapArgs;
use serde_json::Value;

use crate::Failure;

#[derive(ClapArgs)]
pub(crate) struct Args {
    /// The identity source to demonstrate (any of them works against the emulator): imds,
    /// app_service, app_service_2017, azure_ml, cloud_shell, azure_arc, service_fabric,
    /// legacy_vm_extension.
    #[arg(long, default_value = "imds", value_name = "NAME")]
    source: String,
    /// Location of the resource group the demo creates.
    #[arg(long, default_value = "westeurope", value_name = "LOCATION")]
    location: String,
}

pub(crate) fn run(args: Args) -> Result<(), Failure> {
    let started = Instant::now();
    // The core's parse: an unknown name is an error listing every source.
    let kind: SourceKind = args.source.parse()?;
    let emu =
        Emulator::start(EmulatorConfig { legacy_port: Some(0), ..EmulatorConfig::default() })?;
    step(1, &format!("emulator listening on {} (loopback only)", emu.http_url()));

    let mut vars = emu.env_for(kind.as_str());
    // ARM over https, named the way a user's shell would name it; the core reads it.
    vars.push((ARM_ENDPOINT_VARIABLE.to_owned(), emu.arm_https_endpoint()));
    for (name, value) in &vars {
        println!(
            "     {name}={}",
            if name.contains("HEADER") || name.contains("SECRET") { "***" } else { value.as_str() }
        );
    }
    let mut cfg = Config::default();
    cfg.source = Some(kind);
    cfg.legacy_port = emu.legacy_port().unwrap_or(cfg.legacy_port);
    // Trusts the emulator's CA, as SSL_CERT_FILE makes a user's azmi do.
    let transport = Transport::with_extra_roots_pem(emu.ca_pem().as_bytes())?;
    let env = EnvSnapshot::from_vars(vars);
    let credential =
        ManagedIdentityCredential::with_transport(cfg, EnvSource::Fixed(env), Arc::new(transport));

    // The token the ARM calls will use: for the cloud's own resource, so the cache serves them.
    let cloud = Options::default().cloud(&credential.snapshot())?;
    let token = credential.get_token_for(cloud.resource())?;
    let minutes = token.expires_on.0.saturating_sub(now().0) / 60_000;
    let source = credential.detection().explain();
    let size = token.secret().len();
    step(
        2,
        &format!(
            "{} token from {source}: {size} bytes, expires in {minutes} min",
            token.token_type
        ),
    );

    let mut arm_cfg = ArmConfig::default();
    arm_cfg.deadline = Duration::from_secs(120);
    let arm = ArmClient::new(credential, cloud).with_config(arm_cfg);
    let subscriptions = arm.list_subscriptions()?;
    let first = subscriptions
        .first()
        .ok_or_else(|| Failure::new("not_found", "the emulator has no subscription"))?;
    let sub = text(first, "subscriptionId").to_owned();
    step(3, &format!("first subscription: {sub} ({})", text(first, "displayName")));

    let groups = arm.list_resource_groups(&sub)?;
    step(4, &format!("resource groups: {}", names(&groups)));

    let name = format!("azmi-demo-{}", std::process::id());
    let group = arm.create_resource_group(&sub, &name, &args.location, None)?;
    step(
        5,
        &format!(
            "created {} in {} ({})",
            text(&group, "name"),
            text(&group, "location"),
            group.pointer("/properties/provisioningState").and_then(Value::as_str).unwrap_or("?")
        ),
    );

    step(6, &format!("deleting {name} (a long-running operation)"));
    arm.delete_resource_group(&sub, &name, |progress: Progress| {
        let secs = progress.until.0.saturating_sub(now().0) as f64 / 1000.0;
        match progress.reason {
            Some(reason) => println!("     … {reason}"),
            None => println!("     … waiting {secs:.1} s"),
        }
    })?;
    println!("     deleted");

    let groups = arm.list_resource_groups(&sub)?;
    step(7, &format!("resource groups: {}", names(&groups)));

    let mut by_endpoint: BTreeMap<String, usize> = BTreeMap::new();
    for r in emu.requests() {
        *by_endpoint.entry(r.endpoint).or_default() += 1;
    }
    println!(
        "done in {:.1} s; requests the emulator saw: {by_endpoint:?}",
        started.elapsed().as_secs_f64()
    );
    emu.stop();
    Ok(())
}

fn step(n: u32, text: &str) {
    println!("[{n}/7] {text}");
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("?")
}

fn names(groups: &[Value]) -> String {
    if groups.is_empty() {
        return "(none)".to_owned();
    }
    groups.iter().map(|g| text(g, "name")).collect::<Vec<_>>().join(", ")
}
