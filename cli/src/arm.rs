//! `azmi arm`: subscriptions, resource groups, and any request, as the managed identity.

use azmi_core::{ArmOutcome, ArmRequest, Cloud, Config};
use azmi_host::{ArmClient, ManagedIdentityCredential, Progress};
use clap::{Args as ClapArgs, Subcommand};
use serde_json::Value;

use crate::engine::Engine;
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
    #[arg(long, value_enum, default_value_t = Engine::Native, global = true)]
    engine: Engine,
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
    let outcome = match args.engine {
        Engine::Native => {
            let request = native_request(args.command)?;
            let client = ArmClient::new(ManagedIdentityCredential::new(cfg), cloud);
            client.execute_with_progress(&request, report_wait)?
        }
        Engine::Component => component_outcome(cfg, cloud, args.command)?,
    };
    println!("{:#}", outcome_json(&outcome));
    Ok(())
}

fn native_request(command: ArmCommand) -> Result<ArmRequest, Failure> {
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
            long_running("PUT", path, api_version, Some(json_body(&body)?))?
        }
        ArmCommand::Delete { path, api_version } => {
            long_running("DELETE", path, api_version, None)?
        }
    })
}

fn long_running(
    method: &str,
    path: String,
    api_version: String,
    body: Option<Value>,
) -> Result<ArmRequest, Failure> {
    let method = method.to_owned();
    let (paged, long_running) = (false, true);
    let op =
        azmi_core::ArmOperation::Generic { method, path, api_version, body, paged, long_running };
    Ok(ArmRequest::new(op)?)
}

fn json_body(body: &str) -> Result<Value, Failure> {
    serde_json::from_str(body)
        .map_err(|e| Failure::new("config", format!("--body is not JSON: {e}")))
}

/// The same command through the component: the request in WIT's terms, checked by the core in
/// the component.
#[cfg(feature = "component")]
fn component_outcome(
    cfg: Config,
    cloud: Cloud,
    command: ArmCommand,
) -> Result<ArmOutcome, Failure> {
    use azmi_host::component::wit::arm as wa;
    use azmi_host::component::{ComponentArmClient, ComponentCredential};
    let generic = |method: &str, path, api_version, body_json, long_running| {
        wa::ArmOperation::Generic(wa::GenericRequest {
            method: method.to_owned(),
            path,
            api_version,
            body_json,
            paged: false,
            long_running,
        })
    };
    let operation = match command {
        ArmCommand::Subscriptions => wa::ArmOperation::ListSubscriptions,
        ArmCommand::Groups { command: GroupCommand::List { subscription } } => {
            wa::ArmOperation::ListResourceGroups(wa::ListResourceGroups {
                subscription_id: subscription,
                filter: None,
                top: None,
            })
        }
        ArmCommand::Groups { command: GroupCommand::Create { subscription, name, location } } => {
            wa::ArmOperation::CreateOrUpdateResourceGroup(wa::CreateResourceGroup {
                subscription_id: subscription,
                name,
                location,
                tags_json: None,
            })
        }
        ArmCommand::Groups { command: GroupCommand::Delete { subscription, name } } => {
            wa::ArmOperation::DeleteResourceGroup(wa::DeleteResourceGroup {
                subscription_id: subscription,
                name,
                force_deletion_types: None,
            })
        }
        ArmCommand::Get { path, api_version } => generic("GET", path, api_version, None, false),
        ArmCommand::Put { path, api_version, body } => {
            json_body(&body)?;
            generic("PUT", path, api_version, Some(body), true)
        }
        ArmCommand::Delete { path, api_version } => {
            generic("DELETE", path, api_version, None, true)
        }
    };
    let request = wa::ArmRequest { operation, api_version: None, query: Vec::new() };
    let client = ComponentArmClient::new(ComponentCredential::new(cfg)?, cloud);
    Ok(client.execute_with_progress(&request, report_wait)?)
}

#[cfg(not(feature = "component"))]
fn component_outcome(_: Config, _: Cloud, _: ArmCommand) -> Result<ArmOutcome, Failure> {
    Err(crate::engine::not_built())
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
