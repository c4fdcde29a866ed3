//! The environment as data: the caller takes a snapshot; the core never reads the process env.

use std::collections::BTreeMap;

/// Every environment variable the core looks at. Hosts may snapshot just these.
pub const VARIABLES: &[&str] = &[
    "IDENTITY_ENDPOINT",
    "IDENTITY_HEADER",
    "IDENTITY_SERVER_THUMBPRINT",
    "IMDS_ENDPOINT",
    "MSI_ENDPOINT",
    "MSI_SECRET",
    "APPSETTING_WEBSITE_SITE_NAME",
    "DEFAULT_IDENTITY_CLIENT_ID",
    "AZURE_POD_IDENTITY_AUTHORITY_HOST",
    "AZMI_ARC_KEY_DIR",
    "AZMI_ARM_ENDPOINT",
];

/// Variables that place the Azure Arc agent on Windows (its binary under `%ProgramFiles%`, its
/// key files under `%ProgramData%`). Hosts snapshot these too on Windows; unlike [`VARIABLES`]
/// they are not identity settings, so a tool that clears the identity variables keeps them.
pub const PLATFORM_VARIABLES: &[&str] = &["ProgramFiles", "ProgramData"];

/// The kind of operating system the host runs on, for the decisions that differ by platform
/// (where the Azure Arc agent lives and keeps its key files, how paths compare). The host says
/// which; the core never asks the machine.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HostOs {
    /// Linux and other Unix-like systems: the agent's Linux locations, case-sensitive paths.
    #[default]
    Unix,
    /// Windows: the agent's `%ProgramFiles%` and `%ProgramData%` locations, paths compared
    /// without regard to ASCII case.
    Windows,
}

impl HostOs {
    /// The platform this code was compiled for.
    pub const fn compiled() -> Self {
        if cfg!(windows) {
            HostOs::Windows
        } else {
            HostOs::Unix
        }
    }
}

/// A snapshot of environment variables and host facts, taken by the caller.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct EnvSnapshot {
    vars: BTreeMap<String, String>,
    arc_agent_installed: bool,
    os: HostOs,
}

impl EnvSnapshot {
    /// An empty snapshot (as on a plain VM: IMDS).
    pub fn new() -> Self {
        Self::default()
    }

    /// A snapshot of these `(name, value)` pairs.
    pub fn from_vars<I, K, V>(vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let vars = vars.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        EnvSnapshot { vars, arc_agent_installed: false, os: HostOs::default() }
    }

    /// Records whether the Azure Arc agent (`/opt/azcmagent/bin/himds` or
    /// `%ProgramFiles%\AzureConnectedMachineAgent\himds.exe`) exists on this host.
    pub fn with_arc_agent_installed(mut self, installed: bool) -> Self {
        self.arc_agent_installed = installed;
        self
    }

    /// Records the host's operating system (the default is [`HostOs::Unix`]).
    pub fn with_os(mut self, os: HostOs) -> Self {
        self.os = os;
        self
    }

    /// The host's operating system, as recorded.
    pub fn os(&self) -> HostOs {
        self.os
    }

    /// Where the Azure Arc agent's binary is on this host, if the snapshot can tell; the host
    /// checks whether it exists and records that with [`EnvSnapshot::with_arc_agent_installed`].
    pub fn arc_agent_path(&self) -> Option<String> {
        crate::source::arc::agent_path(self)
    }

    /// Sets one variable.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.vars.insert(name.into(), value.into());
    }

    /// The variable's value; an empty value counts as unset.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str).filter(|v| !v.trim().is_empty())
    }

    /// Whether the Azure Arc agent was found.
    pub fn arc_agent_installed(&self) -> bool {
        self.arc_agent_installed
    }

    /// The snapshot with secret values replaced by `***`, and any `name:password@` in the other
    /// values (endpoint URLs) by `***@`, for `doctor` output and logs.
    pub fn redacted(&self) -> Vec<(String, String)> {
        const SECRETS: &[&str] = &["IDENTITY_HEADER", "MSI_SECRET"];
        self.vars
            .iter()
            .map(|(k, v)| {
                let shown = if SECRETS.contains(&k.as_str()) {
                    crate::redact::MASK.to_owned()
                } else {
                    crate::redact::userinfo(v).into_owned()
                };
                (k.clone(), shown)
            })
            .collect()
    }
}

impl std::fmt::Debug for EnvSnapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnvSnapshot")
            .field("vars", &self.redacted())
            .field("arc_agent_installed", &self.arc_agent_installed)
            .field("os", &self.os)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_counts_as_unset_and_secrets_are_redacted() {
        let env = EnvSnapshot::from_vars([("MSI_ENDPOINT", " "), ("IDENTITY_HEADER", "s3cret")]);
        assert_eq!(env.get("MSI_ENDPOINT"), None);
        assert_eq!(env.get("IDENTITY_HEADER"), Some("s3cret"));
        let shown = format!("{env:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
    }

    /// Issue 13 item 5: `azmi doctor` prints this; an endpoint's userinfo is a secret too.
    #[test]
    fn endpoint_userinfo_is_redacted() {
        let env = EnvSnapshot::from_vars([("IDENTITY_ENDPOINT", "http://u:pa55w0rd@h:1/msi")]);
        let shown = env.redacted();
        assert_eq!(shown, vec![("IDENTITY_ENDPOINT".into(), "http://***@h:1/msi".into())]);
        let d = crate::source::Detection::detect(None, &env);
        assert!(!format!("{} {env:?}", d.explain()).contains("pa55w0rd"));
    }
}
