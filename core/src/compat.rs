//! Compatibility profiles: the conventions of the libraries azmi replaces (msrestazure,
//! ms-rest-nodeauth, @azure/identity), as data and pure functions over [`Options`]. Bindings that offer those
//! libraries' calls convert their arguments and call these; they decide nothing themselves.
//!
//! Each rule cites its public origin in `docs/protocol.md`.

use crate::env::EnvSnapshot;
use crate::error::{ConfigError, ErrorKind, TokenError};
use crate::options::Options;
use crate::source::{Detection, SourceKind};

/// msrestazure's `MSIAuthentication`, `get_msi_token` and `get_msi_token_webapp`
/// (docs/protocol.md §1.10).
pub mod msrestazure {
    use super::*;

    /// The port msrestazure's `port` defaults to: the legacy VM extension's. Any other value
    /// selects that extension on the given port.
    pub const DEFAULT_PORT: u16 = crate::config::DEFAULT_LEGACY_PORT;

    /// msrestazure's cloud names and the `active_directory_resource_id` each gives a token's
    /// default audience.
    pub const CLOUDS: &[(&str, &str)] = &[
        ("AzureCloud", "https://management.core.windows.net/"),
        ("AzureChinaCloud", "https://management.core.chinacloudapi.cn/"),
        ("AzureUSGovernment", "https://management.core.usgovcloudapi.net/"),
        ("AzureGermanCloud", "https://management.core.cloudapi.de/"),
    ];

    /// The cloud msrestazure uses when none is given.
    pub const DEFAULT_CLOUD: &str = "AzureCloud";

    /// The options for msrestazure's `port` and `timeout` (seconds), on top of `base` (the
    /// identity selector). `port != 50342` forces the legacy extension on that port;
    /// `timeout <= 0` means one try and no retry, as msrestazure's retry loop did; a positive
    /// `timeout` bounds the whole request.
    pub fn options(port: u16, timeout: Option<f64>, base: Options) -> Result<Options, ConfigError> {
        let mut options = base;
        if port != DEFAULT_PORT {
            options.source = Some(SourceKind::LegacyVmExtension);
            options.legacy_port = Some(port);
        }
        match timeout {
            None => {}
            Some(t) if t.is_nan() || t == f64::INFINITY => {
                return Err(ConfigError::InvalidOption {
                    key: "timeout".into(),
                    problem: format!("must be a finite number of seconds; got {t}"),
                })
            }
            Some(t) if t <= 0.0 => options.max_retries = Some(0),
            Some(t) => options.deadline_ms = Some((t * 1000.0).ceil() as u64),
        }
        options.config()?;
        Ok(options)
    }

    /// The default token audience for a msrestazure cloud name.
    pub fn cloud_resource(name: &str) -> Result<&'static str, ConfigError> {
        CLOUDS.iter().find(|(n, _)| *n == name).map(|(_, r)| *r).ok_or_else(|| {
            let names: Vec<&str> = CLOUDS.iter().map(|(n, _)| *n).collect();
            ConfigError::InvalidOption {
                key: "cloud_environment".into(),
                problem: format!(
                    "unknown cloud {name:?}; one of {}, or an msrestazure Cloud object",
                    names.join(", ")
                ),
            }
        })
    }
}

/// ms-rest-nodeauth's `loginWithVmMSI` and `loginWithAppServiceMSI` (docs/protocol.md §1.11).
pub mod nodeauth {
    use super::*;

    /// The audience both login functions use when none is given.
    pub const DEFAULT_RESOURCE: &str = "https://management.azure.com/";

    /// IMDS's token URL: the only `msiEndpoint` `loginWithVmMSI` accepts, since azmi moves IMDS
    /// with `AZURE_POD_IDENTITY_AUTHORITY_HOST`, as @azure/identity does.
    pub const IMDS_TOKEN_URL: &str = "http://169.254.169.254/metadata/identity/oauth2/token";

    /// `loginWithVmMSI`: IMDS, whatever else the environment sets.
    pub fn vm_options(msi_endpoint: Option<&str>, base: Options) -> Result<Options, ConfigError> {
        if let Some(endpoint) = msi_endpoint {
            if endpoint.trim().trim_end_matches('/') != IMDS_TOKEN_URL {
                return Err(ConfigError::InvalidOption {
                    key: "msiEndpoint".into(),
                    problem: format!(
                        "{:?} is not IMDS; to reach IMDS elsewhere set \
                         AZURE_POD_IDENTITY_AUTHORITY_HOST",
                        crate::redact::userinfo(endpoint)
                    ),
                });
            }
        }
        if base.source.is_some_and(|s| s != SourceKind::Imds) {
            return Err(ConfigError::InvalidOption {
                key: "source".into(),
                problem:
                    "loginWithVmMSI always uses IMDS; use ManagedIdentityCredential to choose \
                          another source"
                        .into(),
            });
        }
        let mut options = base;
        options.source = Some(SourceKind::Imds);
        options.config()?;
        Ok(options)
    }

    /// `loginWithAppServiceMSI`: an explicit `msiEndpoint` / `msiSecret` means the 2017 protocol
    /// they belong to, over `env` (the rest of the environment); without them the environment
    /// decides. Returns the options and, when values were given, the environment to use.
    pub fn app_service_options(
        msi_endpoint: Option<&str>,
        msi_secret: Option<&str>,
        env: EnvSnapshot,
        base: Options,
    ) -> Result<(Options, Option<EnvSnapshot>), ConfigError> {
        let mut options = base;
        let given = [("MSI_ENDPOINT", msi_endpoint), ("MSI_SECRET", msi_secret)];
        let env = if given.iter().any(|(_, v)| v.is_some()) {
            let mut env = env;
            for (name, value) in given {
                if let Some(value) = value {
                    env.set(name, value);
                }
            }
            options.source = Some(SourceKind::AppService2017);
            Some(env)
        } else {
            None
        };
        options.config()?;
        Ok((options, env))
    }

    /// `loginWithAppServiceMSI` works only where an App Service endpoint was found; elsewhere
    /// the App Service identity is `unavailable`.
    pub fn check_app_service(detection: &Detection) -> Result<(), TokenError> {
        match detection.source {
            SourceKind::AppService | SourceKind::AppService2017 => Ok(()),
            other => Err(unavailable(
                other,
                format!(
                "loginWithAppServiceMSI found no App Service endpoint (the environment selects \
                 {}); set IDENTITY_ENDPOINT and IDENTITY_HEADER, or MSI_ENDPOINT and MSI_SECRET, \
                 or pass msiEndpoint and msiSecret",
                other.as_str()
            ),
            )),
        }
    }

    fn unavailable(source: SourceKind, reason: String) -> TokenError {
        TokenError::new(source, ErrorKind::Unavailable { reason })
    }
}

/// @azure/identity's `ManagedIdentityCredential` options beyond the identity selectors: its
/// `retryOptions` (docs/protocol.md §3, "@azure/identity MI retry" and "@azure/identity in
/// DefaultAzureCredential") become the core's retry options; its other `TokenCredentialOptions`
/// configure an HTTP pipeline or an authority that azmi does not have, and are refused with what
/// to do instead, never ignored.
pub mod identity_js {
    use super::*;
    use serde::Deserialize;

    /// The key of @azure/identity's retry options (core-rest-pipeline's `PipelineRetryOptions`).
    pub const RETRY_OPTIONS: &str = "retryOptions";

    /// @azure/identity's other options, each with why azmi has no use for it.
    pub const REFUSED: &[(&str, &str)] = &[
        (
            "loggingOptions",
            "azmi logs through @azure/logger (AZURE_LOG_LEVEL) and never logs account identifiers",
        ),
        ("authorityHost", "a managed identity endpoint has no authority host"),
        ("additionallyAllowedTenants", "a managed identity has one tenant"),
        ("httpClient", "azmi's core makes the requests"),
        ("proxyOptions", "managed identity endpoints are local and never proxied"),
        ("tlsOptions", "azmi's core makes the requests"),
        ("allowInsecureConnection", "azmi's core decides which endpoints may be plain http"),
        ("additionalPolicies", "azmi's core makes the requests"),
        ("redirectOptions", "azmi's core makes the requests"),
        ("userAgentOptions", "azmi's core makes the requests"),
        ("telemetryOptions", "azmi's core makes the requests"),
    ];

    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    struct RetryOptions {
        max_retries: Option<u32>,
        retry_delay_in_ms: Option<u64>,
        max_retry_delay_in_ms: Option<u64>,
    }

    /// The error for one of [`REFUSED`]'s keys, `None` for any other.
    pub fn refused(key: &str) -> Option<ConfigError> {
        let (_, why) = REFUSED.iter().find(|(k, _)| *k == key)?;
        Some(ConfigError::InvalidOption {
            key: key.into(),
            problem: format!("is @azure/identity's, which azmi does not take: {why}; remove it"),
        })
    }

    /// `retryOptions` (`maxRetries`, `retryDelayInMs`, `maxRetryDelayInMs`) on top of `base`, as
    /// the core's `maxRetries`, `initialDelayMs` and `maxDelayMs`; any other key in it, or a
    /// value given both ways, is an error.
    pub fn retry_options(retry: &serde_json::Value, base: Options) -> Result<Options, ConfigError> {
        let invalid =
            |problem: String| ConfigError::InvalidOption { key: RETRY_OPTIONS.into(), problem };
        if !retry.is_object() {
            return Err(invalid("must be an object such as { maxRetries: 3 }".into()));
        }
        let given = RetryOptions::deserialize(retry).map_err(|e| invalid(e.to_string()))?;
        let mut options = base;
        let pairs = [
            (
                "maxRetries",
                "maxRetries",
                given.max_retries.is_some(),
                options.max_retries.is_some(),
            ),
            (
                "retryDelayInMs",
                "initialDelayMs",
                given.retry_delay_in_ms.is_some(),
                options.initial_delay_ms.is_some(),
            ),
            (
                "maxRetryDelayInMs",
                "maxDelayMs",
                given.max_retry_delay_in_ms.is_some(),
                options.max_delay_ms.is_some(),
            ),
        ];
        if let Some((theirs, ours, ..)) = pairs.iter().find(|(_, _, a, b)| *a && *b) {
            return Err(invalid(format!(
                "{RETRY_OPTIONS}.{theirs} and {ours} both given; give one"
            )));
        }
        options.max_retries = given.max_retries.or(options.max_retries);
        options.initial_delay_ms = given.retry_delay_in_ms.or(options.initial_delay_ms);
        options.max_delay_ms = given.max_retry_delay_in_ms.or(options.max_delay_ms);
        options.config()?;
        Ok(options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_js_retry_options() {
        let retry =
            serde_json::json!({ "maxRetries": 2, "retryDelayInMs": 100, "maxRetryDelayInMs": 900 });
        let o = identity_js::retry_options(&retry, Options::default()).unwrap();
        assert_eq!(
            (o.max_retries, o.initial_delay_ms, o.max_delay_ms),
            (Some(2), Some(100), Some(900))
        );
        let unknown = serde_json::json!({ "retries": 2 });
        let err = identity_js::retry_options(&unknown, Options::default()).unwrap_err().to_string();
        assert!(err.contains("retryOptions") && err.contains("retries"), "{err}");
        let mut twice = Options::default();
        twice.max_retries = Some(1);
        let err = identity_js::retry_options(&serde_json::json!({ "maxRetries": 3 }), twice);
        assert!(err.unwrap_err().to_string().contains("both given"));
        assert!(identity_js::retry_options(&serde_json::json!(5), Options::default()).is_err());
        let refused = identity_js::refused("authorityHost").unwrap().to_string();
        assert!(refused.contains("authorityHost") && refused.contains("remove it"), "{refused}");
        assert!(identity_js::refused("clientId").is_none());
    }

    #[test]
    fn msrestazure_port_and_timeout() {
        let o = msrestazure::options(50342, None, Options::default()).unwrap();
        assert_eq!(o, Options::default());
        let o = msrestazure::options(8080, Some(2.5), Options::default()).unwrap();
        assert_eq!(o.source, Some(SourceKind::LegacyVmExtension));
        assert_eq!((o.legacy_port, o.deadline_ms), (Some(8080), Some(2500)));
        let o = msrestazure::options(50342, Some(0.0), Options::default()).unwrap();
        assert_eq!((o.max_retries, o.deadline_ms), (Some(0), None));
        assert!(msrestazure::options(50342, Some(f64::NAN), Options::default()).is_err());
        assert!(msrestazure::options(50342, Some(1e30), Options::default()).is_err());
    }

    #[test]
    fn msrestazure_clouds() {
        let r = msrestazure::cloud_resource("AzureChinaCloud").unwrap();
        assert_eq!(r, "https://management.core.chinacloudapi.cn/");
        let err = msrestazure::cloud_resource("Mars").unwrap_err().to_string();
        assert!(err.contains("AzureCloud, AzureChinaCloud"), "{err}");
    }

    #[test]
    fn nodeauth_vm_accepts_only_imds() {
        let url = format!("{}/", nodeauth::IMDS_TOKEN_URL);
        let o = nodeauth::vm_options(Some(&url), Options::default()).unwrap();
        assert_eq!(o.source, Some(SourceKind::Imds));
        assert!(nodeauth::vm_options(Some("http://127.0.0.1:1/token"), Options::default()).is_err());
        // The refused endpoint is named, but never with its userinfo (issue 13 item 5).
        let err = nodeauth::vm_options(Some("http://u:pa55w0rd@h/t"), Options::default());
        let text = format!("{}", err.unwrap_err());
        assert!(text.contains("***@h/t") && !text.contains("pa55w0rd"), "{text}");
    }

    #[test]
    fn nodeauth_app_service_explicit_values_mean_2017() {
        let (o, env) = nodeauth::app_service_options(
            Some("http://127.0.0.1:1/msi"),
            Some("s"),
            EnvSnapshot::new(),
            Options::default(),
        )
        .unwrap();
        assert_eq!(o.source, Some(SourceKind::AppService2017));
        assert_eq!(env.unwrap().get("MSI_SECRET"), Some("s"));
        let (o, env) =
            nodeauth::app_service_options(None, None, EnvSnapshot::new(), Options::default())
                .unwrap();
        assert_eq!((o.source, env), (None, None));
        let imds = Detection::detect(None, &EnvSnapshot::new());
        let err = nodeauth::check_app_service(&imds).unwrap_err();
        assert_eq!(err.code(), "unavailable");
        assert!(err.to_string().contains("selects imds"), "{err}");
        let mut forced = Options::default();
        forced.source = Some(SourceKind::CloudShell);
        assert!(nodeauth::vm_options(None, forced).is_err());
    }
}
