//! `azmi arm`: subscriptions, resource groups, and any request, as the managed identity.

use std::time::Duration;

use azmi_core::{ArmConfig, ArmOperation, ArmOperationKind, ArmRequest, Cloud, Options};
use azmi_host::{ArmClient, Progress};
use clap::{Args as ClapArgs, Subcommand};
use serde_json::Value;

use crate::engine::EngineArg;
use crate::identity::{seconds_as_ms, IdentityArgs};
use crate::output::{self, ArmOutput};
use crate::Failure;

#[derive(ClapArgs)]
pub(crate) struct Args {
    /// public, us_government, china, or an ARM endpoint URL (https, or loopback); default:
    /// $AZMI_ARM_ENDPOINT, else public.
    #[arg(long, global = true, value_name = "CLOUD")]
    cloud: Option<String>,
    /// Token resource (audience) for a custom --cloud URL.
    #[arg(long, default_value = "https://management.azure.com/", global = true, value_name = "R")]
    cloud_resource: String,
    #[command(flatten)]
    identity: IdentityArgs,
    /// native: the core built into azmi; component: the same core as a WebAssembly component
    /// (component/azmi.wasm or $AZMI_COMPONENT), run by wasmtime.
    #[arg(long, value_enum, default_value_t = EngineArg::Native, global = true)]
    engine: EngineArg,
    /// Overall deadline of the operation (polling of a long-running one included), in seconds.
    #[arg(long, default_value_t = 600.0, global = true, value_name = "SECS")]
    arm_timeout: f64,
    /// How to print the result: one shape for every command (a resource's body; a list as
    /// {"value": [...]}, every page; an existence check as {"exists": bool}).
    #[arg(long, short = 'o', value_enum, default_value_t = ArmOutput::Json, global = true)]
    output: ArmOutput,
    /// Print the whole outcome as JSON (status, body, request ids, rate limits), not just its
    /// value.
    #[arg(long, global = true, conflicts_with = "output")]
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
    /// GET any resource path or URL.
    Get(Generic),
    /// PUT any resource path or URL with a JSON body (polls a long-running answer).
    Put {
        #[command(flatten)]
        target: Generic,
        /// The JSON body: the text itself, @FILE to read a file, or @- to read stdin.
        #[arg(long, value_name = "JSON|@FILE|@-")]
        body: String,
    },
    /// DELETE any resource path or URL (polls a long-running delete).
    Delete(Generic),
    /// Any operation in its JSON form, e.g.
    /// '{"op": "resource_group_exists", "subscription_id": "…", "name": "…"}'
    /// (the names: `azmi arm operations`).
    Run {
        /// The operation as JSON, @FILE or @- (stdin).
        #[arg(value_name = "JSON|@FILE|@-")]
        operation: String,
    },
    /// The operations azmi knows by name: what each sends and what it returns.
    Operations,
}

/// The target of a generic request.
#[derive(ClapArgs)]
struct Generic {
    /// A resource path (/subscriptions/…), with a query if needed
    /// ('/subscriptions/S/resources?$filter=resourceType eq …'), or a full URL on the ARM
    /// endpoint of --cloud (any other host is refused).
    #[arg(value_name = "PATH|URL")]
    path: String,
    /// The resource provider's api-version, e.g. 2021-04-01.
    #[arg(long, value_name = "VERSION")]
    api_version: String,
}

#[derive(Subcommand)]
enum GroupCommand {
    /// List the groups of a subscription.
    List {
        /// The subscription id.
        #[arg(long, value_name = "ID")]
        subscription: String,
    },
    /// Create or update a group.
    Create {
        /// The subscription id.
        #[arg(long, value_name = "ID")]
        subscription: String,
        /// The group's name.
        #[arg(long)]
        name: String,
        /// Where the group lives, e.g. westeurope (required by ARM).
        #[arg(long)]
        location: String,
    },
    /// Delete a group (waits for ARM to finish).
    Delete {
        /// The subscription id.
        #[arg(long, value_name = "ID")]
        subscription: String,
        /// The group's name.
        #[arg(long)]
        name: String,
    },
}

pub(crate) fn run(args: Args) -> Result<(), Failure> {
    if let ArmCommand::Operations = args.command {
        print!("{}", operations_table());
        return Ok(());
    }
    let cfg = args.identity.config()?;
    let mut limits = ArmConfig::default();
    limits.deadline = Duration::from_millis(seconds_as_ms("--arm-timeout", args.arm_timeout)?);
    let request = request(args.command)?;
    let credential = args.engine.credential(cfg)?;
    // No --cloud: the core decides from the credential's environment (AZMI_ARM_ENDPOINT).
    let cloud = match &args.cloud {
        Some(name) => cloud(name, &args.cloud_resource)?,
        None => Options::default().cloud(&credential.snapshot())?,
    };
    let client = ArmClient::new(credential, cloud).with_config(limits);
    let outcome = client.execute_with_progress(&request, report_wait)?;
    if args.full {
        let full = serde_json::to_value(&outcome).map_err(|e| Failure::new("io", e.to_string()))?;
        println!("{full:#}");
    } else if let Some(text) = output::render(&output::shape(outcome), args.output) {
        print!("{}", text.trim_end_matches('\n'));
        println!();
    }
    Ok(())
}

/// The command as the core's request: flags become an `ArmOperation`, `run` takes its JSON form.
fn request(command: ArmCommand) -> Result<ArmRequest, Failure> {
    let generic = |method: &str, target: Generic, body, long_running| ArmOperation::Generic {
        method: method.to_owned(),
        path: target.path,
        api_version: target.api_version,
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
        ArmCommand::Get(target) => generic("GET", target, None, false),
        ArmCommand::Put { target, body } => {
            generic("PUT", target, Some(json_arg("--body", &body)?), true)
        }
        ArmCommand::Delete(target) => generic("DELETE", target, None, true),
        ArmCommand::Run { operation } => {
            return serde_json::from_value(json_arg("the operation", &operation)?)
                .map_err(|e| Failure::new("config", format!("the operation: {e}")));
        }
        ArmCommand::Operations => unreachable!("answered before any request"),
    };
    Ok(ArmRequest::new(operation)?)
}

/// A JSON argument: the text itself, `@FILE` (the file's contents) or `@-` (stdin).
fn json_arg(what: &str, text: &str) -> Result<Value, Failure> {
    let read = |source: &str, r: std::io::Result<String>| {
        r.map_err(|e| Failure::new("config", format!("{what}: cannot read {source}: {e}")))
    };
    let (source, text) = match text.strip_prefix('@') {
        Some("-") => {
            let mut all = String::new();
            let r = std::io::Read::read_to_string(&mut std::io::stdin(), &mut all).map(|_| all);
            ("stdin".to_owned(), read("stdin", r)?)
        }
        Some(path) => (path.to_owned(), read(path, std::fs::read_to_string(path))?),
        None => ("the argument".to_owned(), text.to_owned()),
    };
    serde_json::from_str(&text)
        .map_err(|e| Failure::new("config", format!("{what} ({source}) is not JSON: {e}")))
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
