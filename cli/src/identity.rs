//! The options every command that gets a token shares: clap flags converted into the core's one
//! options record (`azmi_core::Options`), which checks them like every other surface does.

use azmi_core::{Config, Options, SourceKind};
use clap::Args as ClapArgs;

use crate::Failure;

/// Which identity, from which source, within what time. Global: accepted anywhere after the
/// command that takes them (`azmi arm --client-id X groups list` and
/// `azmi arm groups list --client-id X` alike).
#[derive(ClapArgs, Debug, Clone, Default)]
pub(crate) struct IdentityArgs {
    /// User-assigned identity by client id (default: the system-assigned identity).
    #[arg(long, global = true, value_name = "ID", help_heading = IDENTITY)]
    pub client_id: Option<String>,
    /// User-assigned identity by object (principal) id.
    #[arg(long, global = true, value_name = "ID", help_heading = IDENTITY)]
    pub object_id: Option<String>,
    /// User-assigned identity by ARM resource id.
    #[arg(long, global = true, value_name = "ID", help_heading = IDENTITY)]
    pub resource_id: Option<String>,
    /// Use this source instead of detecting one: imds, app_service, app_service_2017, azure_ml,
    /// cloud_shell, azure_arc, service_fabric, legacy_vm_extension.
    #[arg(long, global = true, value_name = "NAME", help_heading = IDENTITY)]
    pub source: Option<String>,
    /// Port of the legacy VM extension (with --source legacy_vm_extension; default 50342).
    #[arg(long, global = true, value_name = "PORT", help_heading = IDENTITY)]
    pub legacy_port: Option<u16>,
    /// Overall deadline for one token, retries included, in seconds (default 30; 90 while
    /// IMDS answers 410).
    #[arg(long, global = true, value_name = "SECS", help_heading = IDENTITY)]
    pub timeout: Option<f64>,
}

/// The help section of the identity options.
const IDENTITY: &str = "Identity options";

impl IdentityArgs {
    /// The options these flags give (seconds become the core's milliseconds).
    pub(crate) fn options(&self) -> Result<Options, Failure> {
        let source = self.source.as_deref().map(str::parse::<SourceKind>).transpose()?;
        let deadline_ms = self.timeout.map(|secs| seconds_as_ms("--timeout", secs)).transpose()?;
        let mut options = Options::default();
        options.client_id = self.client_id.clone();
        options.object_id = self.object_id.clone();
        options.resource_id = self.resource_id.clone();
        options.source = source;
        options.legacy_port = self.legacy_port;
        options.deadline_ms = deadline_ms;
        Ok(options)
    }

    pub(crate) fn config(&self) -> Result<Config, Failure> {
        Ok(self.options()?.config()?)
    }
}

/// A deadline flag's seconds as milliseconds: more than zero and at most one day, or a
/// configuration error naming `flag`.
pub(crate) fn seconds_as_ms(flag: &str, secs: f64) -> Result<u64, Failure> {
    // The core's longest deadline, for ARM operations too.
    let max_seconds = azmi_core::MAX_DEADLINE.as_secs_f64();
    if !(secs.is_finite() && secs > 0.0 && secs <= max_seconds) {
        return Err(Failure::new(
            "config",
            format!("{flag} must be more than 0 and at most {max_seconds} seconds; got {secs}"),
        ));
    }
    // At most 86 400 000: the conversion cannot overflow.
    Ok((secs * 1000.0).ceil() as u64)
}
