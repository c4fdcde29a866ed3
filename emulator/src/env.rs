//! The environment variables that point a client at the emulator, per source: the same
//! overrides real platforms set, so SDKs need no change.

use azmi_core::SourceKind;

use crate::shared::{lock, Shared};

/// Source names [`Emulator::env_for`](crate::Emulator::env_for) knows: azmi-core's names
/// ([`SourceKind::as_str`]), in its order.
pub const SOURCES: &[&str] = &source_names();

const fn source_names() -> [&'static str; SourceKind::ALL.len()] {
    let mut names = [""; SourceKind::ALL.len()];
    let mut i = 0;
    while i < names.len() {
        names[i] = SourceKind::ALL[i].as_str();
        i += 1;
    }
    names
}

/// The variables that send ARM clients to the emulator's ARM over https: azmi reads
/// `AZMI_ARM_ENDPOINT`; unmodified SDKs keep calling the real ARM host names and reach the
/// emulator through its `CONNECT` proxy, trusting its CA through the bundle variables. Both
/// spellings of the proxy variables, as tools differ in which one wins.
pub(crate) fn arm_env(shared: &Shared) -> Vec<(String, String)> {
    let bundle = shared.ca_bundle.display().to_string();
    let no_proxy = "127.0.0.1,localhost,::1";
    let pairs = [
        ("AZMI_ARM_ENDPOINT", shared.arm_https_base.clone()),
        ("HTTPS_PROXY", shared.http_base.clone()),
        ("https_proxy", shared.http_base.clone()),
        ("NO_PROXY", no_proxy.to_owned()),
        ("no_proxy", no_proxy.to_owned()),
        ("SSL_CERT_FILE", bundle.clone()),
        ("REQUESTS_CA_BUNDLE", bundle),
        ("NODE_EXTRA_CA_CERTS", shared.ca_file.display().to_string()),
    ];
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

pub(crate) fn env_for(shared: &Shared, source: &str) -> Vec<(String, String)> {
    let Some(source) = SourceKind::from_name(source) else { return Vec::new() };
    let http = &shared.http_base;
    let secrets = lock(&shared.secrets);
    let pairs: Vec<(&str, String)> = match source {
        // Honoured by azure-identity, MSAL Python/Node and @azure/identity; not by the Rust and Go
        // SDKs, which always use 169.254.169.254.
        SourceKind::Imds => vec![("AZURE_POD_IDENTITY_AUTHORITY_HOST", http.clone())],
        SourceKind::AppService => vec![
            ("IDENTITY_ENDPOINT", format!("{http}/msi/token")),
            ("IDENTITY_HEADER", secrets.identity_header.clone()),
        ],
        // msrestazure picks the 2017 protocol only when the site name is set; on App Service
        // MSI_SECRET is the same value as IDENTITY_HEADER.
        SourceKind::AppService2017 => vec![
            ("MSI_ENDPOINT", format!("{http}/MSI/token")),
            ("MSI_SECRET", secrets.identity_header.clone()),
            ("APPSETTING_WEBSITE_SITE_NAME", "azmi-emulator".to_owned()),
        ],
        SourceKind::AzureMl => vec![
            ("MSI_ENDPOINT", format!("{http}/ml/token")),
            ("MSI_SECRET", secrets.ml_secret.clone()),
        ],
        SourceKind::CloudShell => vec![("MSI_ENDPOINT", format!("{http}/cloudshell/token"))],
        // Stock SDKs only read Arc keys from /var/opt/azcmagent/tokens (see
        // `EmulatorConfig::arc_key_dir`); azmi reads AZMI_ARC_KEY_DIR, so by default the emulator
        // keeps its keys in a private temp dir.
        SourceKind::AzureArc => vec![
            ("IDENTITY_ENDPOINT", format!("{http}/arc/token")),
            ("IMDS_ENDPOINT", http.clone()),
            ("AZMI_ARC_KEY_DIR", shared.arc_dir.display().to_string()),
        ],
        SourceKind::ServiceFabric => vec![
            ("IDENTITY_ENDPOINT", format!("{}/sf/token", shared.https_base)),
            ("IDENTITY_HEADER", secrets.sf_secret.clone()),
            ("IDENTITY_SERVER_THUMBPRINT", shared.sf_thumbprint.clone()),
        ],
        // The extension has no environment switch of its own (clients use localhost:50342, or
        // `legacy_port` with azmi); msrestazure posts to MSI_ENDPOINT when it is set.
        SourceKind::LegacyVmExtension => vec![(
            "MSI_ENDPOINT",
            format!("{}/oauth2/token", shared.legacy_base.as_deref().unwrap_or(http)),
        )],
    };
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}
