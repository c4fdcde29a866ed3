//! Inputs that drive a token flow of any source: shared by the property test
//! (`core/tests/robustness.rs`) and the cargo-fuzz target `token_response` (through the fuzz
//! crate's library), so both explore the same environments and transport failures.

use azmi_core::{EnvSnapshot, SourceKind, TransportFailure};

/// An environment that selects `kind` on loopback port 9 (nothing listens; no I/O happens
/// anyway), with `header_secret` as `IDENTITY_HEADER` and `msi_secret` as `MSI_SECRET`.
pub fn env_for(kind: SourceKind, header_secret: &str, msi_secret: &str) -> EnvSnapshot {
    let vars = match kind {
        SourceKind::Imds | SourceKind::LegacyVmExtension => {
            vec![("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9")]
        }
        SourceKind::AppService => {
            vec![
                ("IDENTITY_ENDPOINT", "http://127.0.0.1:9/msi"),
                ("IDENTITY_HEADER", header_secret),
            ]
        }
        SourceKind::AppService2017 | SourceKind::AzureMl => {
            vec![("MSI_ENDPOINT", "http://127.0.0.1:9/msi"), ("MSI_SECRET", msi_secret)]
        }
        SourceKind::CloudShell => vec![("MSI_ENDPOINT", "http://127.0.0.1:9/msi")],
        SourceKind::AzureArc => {
            vec![("IDENTITY_ENDPOINT", "http://127.0.0.1:9/t"), ("IMDS_ENDPOINT", "x")]
        }
        SourceKind::ServiceFabric => vec![
            ("IDENTITY_ENDPOINT", "https://127.0.0.1:9/t"),
            ("IDENTITY_HEADER", header_secret),
            ("IDENTITY_SERVER_THUMBPRINT", "ABCDEF0123456789ABCDEF0123456789ABCDEF01"),
        ],
    };
    EnvSnapshot::from_vars(vars)
}

/// One of the transport failures, picked by `n`.
pub fn transport(n: u8) -> TransportFailure {
    match n % 8 {
        0 => TransportFailure::ConnectionRefused,
        1 => TransportFailure::Unreachable,
        2 => TransportFailure::Timeout,
        3 => TransportFailure::ConnectionReset,
        4 => TransportFailure::Tls,
        5 => TransportFailure::BodyTooLarge,
        6 => TransportFailure::ConnectTimeout,
        _ => TransportFailure::Other("x".into()),
    }
}
