//! The environment variables that point a client at the emulator, per source: the same
//! overrides real platforms set, so SDKs need no change.

use crate::shared::{lock, Shared};

/// Source names [`Emulator::env_for`](crate::Emulator::env_for) knows (azmi-core's names).
pub const SOURCES: &[&str] = &[
    "imds",
    "app_service",
    "app_service_2017",
    "azure_ml",
    "cloud_shell",
    "azure_arc",
    "service_fabric",
    "legacy_vm_extension",
];

pub(crate) fn env_for(shared: &Shared, source: &str) -> Vec<(String, String)> {
    let http = &shared.http_base;
    let secrets = lock(&shared.secrets);
    let pairs: Vec<(&str, String)> = match source {
        // Honoured by azure-identity, MSAL Python/Node and @azure/identity; not by the Rust and Go
        // SDKs, which always use 169.254.169.254.
        "imds" => vec![("AZURE_POD_IDENTITY_AUTHORITY_HOST", http.clone())],
        "app_service" => vec![
            ("IDENTITY_ENDPOINT", format!("{http}/msi/token")),
            ("IDENTITY_HEADER", secrets.identity_header.clone()),
        ],
        // msrestazure picks the 2017 protocol only when the site name is set; on App Service
        // MSI_SECRET is the same value as IDENTITY_HEADER.
        "app_service_2017" => vec![
            ("MSI_ENDPOINT", format!("{http}/MSI/token")),
            ("MSI_SECRET", secrets.identity_header.clone()),
            ("APPSETTING_WEBSITE_SITE_NAME", "azmi-emulator".to_owned()),
        ],
        "azure_ml" => vec![
            ("MSI_ENDPOINT", format!("{http}/ml/token")),
            ("MSI_SECRET", secrets.ml_secret.clone()),
        ],
        "cloud_shell" => vec![("MSI_ENDPOINT", format!("{http}/cloudshell/token"))],
        // Stock SDKs only read Arc keys from /var/opt/azcmagent/tokens (see
        // `EmulatorConfig::arc_key_dir`); azmi reads AZMI_ARC_KEY_DIR, so by default the emulator
        // keeps its keys in a private temp dir.
        "azure_arc" => vec![
            ("IDENTITY_ENDPOINT", format!("{http}/arc/token")),
            ("IMDS_ENDPOINT", http.clone()),
            ("AZMI_ARC_KEY_DIR", shared.arc_dir.display().to_string()),
        ],
        "service_fabric" => vec![
            ("IDENTITY_ENDPOINT", format!("{}/sf/token", shared.https_base)),
            ("IDENTITY_HEADER", secrets.sf_secret.clone()),
            ("IDENTITY_SERVER_THUMBPRINT", shared.sf_thumbprint.clone()),
        ],
        // The extension has no environment switch of its own (clients use localhost:50342, or
        // `legacy_port` with azmi); msrestazure posts to MSI_ENDPOINT when it is set.
        "legacy_vm_extension" => vec![(
            "MSI_ENDPOINT",
            format!("{}/oauth2/token", shared.legacy_base.as_deref().unwrap_or(http)),
        )],
        _ => Vec::new(),
    };
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}
