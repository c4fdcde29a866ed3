//! `azmi arm`: subscriptions, resource groups, and any request, as the managed identity.

use std::time::Duration;

use azmi_core::{ArmConfig, ArmOperation, ArmOperationKind, ArmRequest, Cloud};
use azmi_host::{ArmClient, Progress};
use clap::{Args as ClapArgs, Subcommand};
use serde_json::Value;

use crate::engine::EngineArg;
use crate::identity::{seconds_as_ms, IdentityArgs};
use crate::Failure;

#[derive(ClapArgs)]
pub(crate) struct Args {
    /// public, us_government, china, or an ARM endpoint URL (https, or loopback).
    #[arg(long, default_value = "public", global = true)]
    cloud: String,
    /// Token resource for a custom --cloud URL.
    #[arg(long, default_value = "https://management.azure.com/", global = true)]
    cloud_resource: String,
    #[command(flatten)]
    identity: IdentityArgs,
    /// native: the core built into azmi; component: the same core as a WebAssembly component
    /// (component/azmi.wasm or $AZMI_COMPONENT), run by wasmtime.
    #[arg(long, value_enum, default_value_t = EngineArg::Native, global = true)]
    engine: EngineArg,
    /// Overall deadline of the operation (polling of a long-running one included), in seconds.
    #[arg(long, default_value_t = 600.0, global = true)]
    arm_timeout: f64,
    /// Print the whole outcome (status, body, request ids, rate limits), not just its value.
    #[arg(long, global = true)]
    full: bool,
    #[command(subcommand)]
    command: ArmCommand,
}

#[derive(Subcommand)]
enum ArmCommand {
    /// List subscriptions.
    Subscriptions,
    /// Resource groups.
    Groups {
        #[command(subcommand)]
        command: GroupCommand,
    },
    /// GET any resource path.
    Get {
        path: String,
        #[arg(long)]
        api_version: String,
    },
    /// PUT any resource path with a JSON body.
    Put {
        path: String,
        #[arg(long)]
        api_version: String,
        #[arg(long)]
        body: String,
    },
    /// DELETE any resource path (polls a long-running delete).
    Delete {
        path: String,
        #[arg(long)]
        api_version: String,
    },
    /// Any operation in its JSON form, e.g.
    /// '{"op": "resource_group_exists", "subscription_id": "…", "name": "…"}'
    /// (the names: `azmi arm operations`).
    Run { operation: String },
    /// The operations azmi knows by name: what each sends and what it returns.
    Operations,
}

#[derive(Subcommand)]
enum GroupCommand {
    /// List the groups of a subscription.
    List {
        #[arg(long)]
        subscription: String,
    },
    /// Create or update a group.
    Create {
        #[arg(long)]
        subscription: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        location: String,
    },
    /// Delete a group (waits for ARM to finish).
    Delete {
        #[arg(long)]
        subscription: String,
        #[arg(long)]
        name: String,
    },
}

pub(crate) fn run(args: Args) -> Result<(), Failure> {
    if let ArmCommand::Operations = args.command {
        print!("{}", operations_table());
        return Ok(());
    }
    let cloud = cloud(&args.cloud, &args.cloud_resource)?;
    let cfg = args.identity.config()?;
    let mut limits = ArmConfig::default();
    limits.deadline = Duration::from_millis(seconds_as_ms("--arm-timeout", args.arm_timeout)?);
    let request = request(args.command)?;
    let credential = args.engine.credential(cfg)?;
    let client = ArmClient::new(credential, cloud).with_config(limits);
    let outcome = client.execute_with_progress(&request, report_wait)?;
    // The one JSON conversion of every surface: the plain value, or with --full the whole outcome.
    let shown = if args.full {
        serde_json::to_value(&outcome).map_err(|e| Failure::new("io", e.to_string()))?
    } else {
        outcome.into_value()
    };
    println!("{shown:#}");
    Ok(())
}

/// The command as the core's request: flags become an `ArmOperation`, `run` takes its JSON form.
fn request(command: ArmCommand) -> Result<ArmRequest, Failure> {
    let generic = |method: &str, path, api_version, body, long_running| ArmOperation::Generic {
        method: method.to_owned(),
        path,
        api_version,
        body,
        paged: false,
        long_running,
    };
    let operation = match command {
        ArmCommand::Subscriptions => ArmOperation::ListSubscriptions {},
        ArmCommand::Groups { command: GroupCommand::List { subscription } } => {
            ArmOperation::ListResourceGroups {
                subscription_id: subscription,
                filter: None,
                top: None,
            }
        }
        ArmCommand::Groups { command: GroupCommand::Create { subscription, name, location } } => {
            ArmOperation::CreateOrUpdateResourceGroup {
                subscription_id: subscription,
                name,
                location,
                tags: None,
            }
        }
        ArmCommand::Groups { command: GroupCommand::Delete { subscription, name } } => {
            ArmOperation::DeleteResourceGroup {
                subscription_id: subscription,
                name,
                force_deletion_types: None,
            }
        }
        ArmCommand::Get { path, api_version } => generic("GET", path, api_version, None, false),
        ArmCommand::Put { path, api_version, body } => {
            generic("PUT", path, api_version, Some(json_body(&body)?), true)
        }
        ArmCommand::Delete { path, api_version } => {
            generic("DELETE", path, api_version, None, true)
        }
        ArmCommand::Run { operation } => {
            return serde_json::from_str(&operation)
                .map_err(|e| Failure::new("config", format!("the operation: {e}")));
        }
        ArmCommand::Operations => unreachable!("answered before any request"),
    };
    Ok(ArmRequest::new(operation)?)
}

fn json_body(body: &str) -> Result<Value, Failure> {
    serde_json::from_str(body)
        .map_err(|e| Failure::new("config", format!("--body is not JSON: {e}")))
}

/// The core's table, one operation a line.
fn operations_table() -> String {
    let mut out = String::new();
    for kind in ArmOperationKind::ALL {
        let line = match kind.spec() {
            Some(s) => {
                let mut how = vec![format!("{:?}", s.result).to_lowercase()];
                how.extend(s.paged.then(|| "paged".to_owned()));
                how.extend(s.long_running.then(|| "long-running".to_owned()));
                let method = s.method.as_str();
                format!(
                    "{kind:<32} {method:<7} {:<54} {}  {}",
                    s.path,
                    s.api_version,
                    how.join(", ")
                )
            }
            None => format!("{kind:<32} any method, path and api-version (paged or lro optional)"),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

pub(crate) fn cloud(name: &str, resource: &str) -> Result<Cloud, Failure> {
    match Cloud::from_name(name) {
        Some(cloud) => Ok(cloud),
        None => Ok(Cloud::custom(name, resource)?),
    }
}

/// Tells the user (on stderr) how long azmi waits, e.g. while a deletion runs.
pub(crate) fn report_wait(progress: Progress) {
    let secs = progress.until.0.saturating_sub(azmi_host::now().0) as f64 / 1000.0;
    match progress.reason {
        // The core's words: a retry and what its attempt got, or ARM's state of the operation.
        Some(reason) => eprintln!("  … {reason}"),
        None => eprintln!("  … waiting {secs:.1} s before the next ARM request"),
    }
}
