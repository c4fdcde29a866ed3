//! The options every command that gets a token shares.

use std::time::Duration;

use azmi_core::{Config, Identity, SourceKind};
use clap::Args as ClapArgs;

use crate::Failure;

/// Which identity, from which source, within what time.
#[derive(ClapArgs, Debug, Clone, Default)]
pub(crate) struct IdentityArgs {
    /// User-assigned identity by client id.
    #[arg(long)]
    pub client_id: Option<String>,
    /// User-assigned identity by object (principal) id.
    #[arg(long)]
    pub object_id: Option<String>,
    /// User-assigned identity by ARM resource id.
    #[arg(long)]
    pub resource_id: Option<String>,
    /// Use this source instead of detecting one: imds, app_service, app_service_2017, azure_ml,
    /// cloud_shell, azure_arc, service_fabric, legacy_vm_extension.
    #[arg(long)]
    pub source: Option<String>,
    /// Port of the legacy VM extension (with --source legacy_vm_extension).
    #[arg(long, default_value_t = azmi_core::DEFAULT_LEGACY_PORT)]
    pub legacy_port: u16,
    /// Overall deadline for one token, in seconds.
    #[arg(long)]
    pub timeout: Option<f64>,
}

impl IdentityArgs {
    pub(crate) fn config(&self) -> Result<Config, Failure> {
        let mut cfg = Config::default();
        cfg.identity = Identity::from_selectors(
            self.client_id.as_deref(),
            self.object_id.as_deref(),
            self.resource_id.as_deref(),
        )?;
        if let Some(name) = &self.source {
            let names: Vec<&str> = SourceKind::ALL.iter().map(|k| k.as_str()).collect();
            let kind = SourceKind::from_name(name).ok_or_else(|| {
                Failure::new(
                    "config",
                    format!("unknown source {name:?}; one of {}", names.join(", ")),
                )
            })?;
            cfg.source = Some(kind);
        }
        cfg.legacy_port = self.legacy_port;
        if let Some(secs) = self.timeout {
            if !(secs.is_finite() && secs > 0.0) {
                return Err(Failure::new(
                    "config",
                    "--timeout must be a positive number of seconds",
                ));
            }
            cfg.deadline = Some(Duration::from_secs_f64(secs));
        }
        cfg.validate()?;
        Ok(cfg)
    }
}
