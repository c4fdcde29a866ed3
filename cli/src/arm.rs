//! `azmi arm`: subscriptions, resource groups, and any request, as the managed identity.

use azmi_core::{ArmOutcome, ArmRequest, Cloud};
use azmi_host::{ArmClient, Progress};
use clap::{Args as ClapArgs, Subcommand};
use serde_json::Value;

use crate::engine::EngineArg;
use crate::identity::IdentityArgs;
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
    let cloud = cloud(&args.cloud, &args.cloud_resource)?;
    let cfg = args.identity.config()?;
    let request = request(args.command)?;
    let credential = args.engine.credential(cfg)?;
    let outcome = ArmClient::new(credential, cloud).execute_with_progress(&request, report_wait)?;
    println!("{:#}", outcome_json(&outcome));
    Ok(())
}

fn request(command: ArmCommand) -> Result<ArmRequest, Failure> {
    Ok(match command {
        ArmCommand::Subscriptions => ArmRequest::list_subscriptions(),
        ArmCommand::Groups { command: GroupCommand::List { subscription } } => {
            ArmRequest::list_resource_groups(&subscription, None, None)?
        }
        ArmCommand::Groups { command: GroupCommand::Create { subscription, name, location } } => {
            ArmRequest::create_or_update_resource_group(&subscription, &name, &location, None)?
        }
        ArmCommand::Groups { command: GroupCommand::Delete { subscription, name } } => {
            ArmRequest::delete_resource_group(&subscription, &name, None)?
        }
        ArmCommand::Get { path, api_version } => {
            ArmRequest::generic("GET", &path, &api_version, None)?
        }
        ArmCommand::Put { path, api_version, body } => {
            ArmRequest::generic("PUT", &path, &api_version, Some(json_body(&body)?))?.long_running()
        }
        ArmCommand::Delete { path, api_version } => {
            ArmRequest::generic("DELETE", &path, &api_version, None)?.long_running()
        }
    })
}

fn json_body(body: &str) -> Result<Value, Failure> {
    serde_json::from_str(body)
        .map_err(|e| Failure::new("config", format!("--body is not JSON: {e}")))
}

pub(crate) fn cloud(name: &str, resource: &str) -> Result<Cloud, Failure> {
    match Cloud::from_name(name) {
        Some(cloud) => Ok(cloud),
        None => Ok(Cloud::custom(name, resource)?),
    }
}

/// Tells the user (on stderr) how long azmi waits, e.g. while a deletion runs.
pub(crate) fn report_wait(progress: Progress) {
    let Progress::Waiting(until) = progress;
    let secs = until.0.saturating_sub(azmi_host::now().0) as f64 / 1000.0;
    eprintln!("  … waiting {secs:.1} s (ARM asked to poll later)");
}

fn outcome_json(outcome: &ArmOutcome) -> Value {
    match outcome {
        ArmOutcome::Response(r) => serde_json::json!({ "status": r.status, "body": r.body }),
        ArmOutcome::Items { items, .. } => Value::Array(items.clone()),
        ArmOutcome::Exists { exists, .. } => Value::Bool(*exists),
        ArmOutcome::Cloud(c) => {
            serde_json::json!({ "arm_endpoint": c.endpoint(), "resource": c.resource().as_str() })
        }
    }
}
