//! Managed identity sources: which one applies (detection), and the exact request each expects.
//!
//! Detection follows azure-identity's order, with msrestazure's App Service 2017 rule; the result
//! says which variables decided, so `doctor` can explain it. Each source module states its
//! request (`request` builds it, the same way for all); this module holds what they share: the
//! user-assigned parameter table and URL checks.

mod app_service;
mod app_service_2017;
pub(crate) mod arc;
mod azure_ml;
mod cloud_shell;
mod imds;
mod incomplete;
mod legacy;
mod request;
mod service_fabric;

use std::fmt;

use http::header::HeaderValue;

use crate::config::{Config, Identity, Resource};
use crate::env::EnvSnapshot;
use crate::error::ConfigError;
use crate::redact;

pub use incomplete::IncompleteSource;

/// A kind of managed identity endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SourceKind {
    /// Azure Instance Metadata Service (VMs, VM scale sets, AKS nodes).
    Imds,
    /// App Service, Functions, Container Apps (api-version 2019-08-01).
    AppService,
    /// App Service, legacy protocol (api-version 2017-09-01).
    AppService2017,
    /// Azure Machine Learning compute.
    AzureMl,
    /// Azure Cloud Shell.
    CloudShell,
    /// Azure Arc-enabled servers (the HIMDS agent).
    AzureArc,
    /// Service Fabric applications.
    ServiceFabric,
    /// The deprecated VM extension on localhost (msrestazure's `port`).
    LegacyVmExtension,
}

impl SourceKind {
    /// Every source.
    pub const ALL: [SourceKind; 8] = [
        SourceKind::Imds,
        SourceKind::AppService,
        SourceKind::AppService2017,
        SourceKind::AzureMl,
        SourceKind::CloudShell,
        SourceKind::AzureArc,
        SourceKind::ServiceFabric,
        SourceKind::LegacyVmExtension,
    ];

    /// The stable snake_case name used by every binding, the test vectors and the emulator.
    pub const fn as_str(self) -> &'static str {
        match self {
            SourceKind::Imds => "imds",
            SourceKind::AppService => "app_service",
            SourceKind::AppService2017 => "app_service_2017",
            SourceKind::AzureMl => "azure_ml",
            SourceKind::CloudShell => "cloud_shell",
            SourceKind::AzureArc => "azure_arc",
            SourceKind::ServiceFabric => "service_fabric",
            SourceKind::LegacyVmExtension => "legacy_vm_extension",
        }
    }

    /// Parses `as_str` names.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// Every name, comma separated, for messages.
    pub fn names() -> String {
        Self::ALL.map(SourceKind::as_str).join(", ")
    }

    fn title(self) -> &'static str {
        match self {
            SourceKind::Imds => "IMDS",
            SourceKind::AppService => "App Service",
            SourceKind::AppService2017 => "App Service (2017-09-01)",
            SourceKind::AzureMl => "Azure ML",
            SourceKind::CloudShell => "Cloud Shell",
            SourceKind::AzureArc => "Azure Arc",
            SourceKind::ServiceFabric => "Service Fabric",
            SourceKind::LegacyVmExtension => "the legacy VM extension",
        }
    }
}

impl std::str::FromStr for SourceKind {
    type Err = ConfigError;

    /// One of the `as_str` names; anything else is an error listing them.
    fn from_str(name: &str) -> Result<Self, ConfigError> {
        Self::from_name(name).ok_or_else(|| ConfigError::InvalidOption {
            key: "source".into(),
            problem: format!("unknown source {name:?}; one of {}", Self::names()),
        })
    }
}

impl serde::Serialize for SourceKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for SourceKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::from_name(&name).ok_or_else(|| {
            serde::de::Error::custom(format!("unknown source {name:?}; one of {}", Self::names()))
        })
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.title())
    }
}

/// The detection rules, in order: a source applies when all its variables are set.
pub(crate) const RULES: &[(&[&str], SourceKind)] = &[
    (
        &["IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IDENTITY_SERVER_THUMBPRINT"],
        SourceKind::ServiceFabric,
    ),
    (&["IDENTITY_ENDPOINT", "IDENTITY_HEADER"], SourceKind::AppService),
    (&["IDENTITY_ENDPOINT", "IMDS_ENDPOINT"], SourceKind::AzureArc),
    (&["MSI_ENDPOINT", "MSI_SECRET", "APPSETTING_WEBSITE_SITE_NAME"], SourceKind::AppService2017),
    (&["MSI_ENDPOINT", "MSI_SECRET"], SourceKind::AzureMl),
    (&["MSI_ENDPOINT"], SourceKind::CloudShell),
];

/// Which source applies, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    /// The chosen source.
    pub source: SourceKind,
    /// The environment variables whose presence chose it.
    pub decided_by: Vec<&'static str>,
    /// The configuration forced this source.
    pub forced: bool,
    /// Chosen because the Azure Arc agent is installed.
    pub arc_agent_file: bool,
}

impl Detection {
    /// Picks the source: the forced one, else the first rule that matches the snapshot.
    pub fn detect(forced: Option<SourceKind>, env: &EnvSnapshot) -> Self {
        if let Some(source) = forced {
            return Detection {
                source,
                decided_by: Vec::new(),
                forced: true,
                arc_agent_file: false,
            };
        }
        let by_vars = RULES.iter().find(|(vars, _)| vars.iter().all(|v| env.get(v).is_some()));
        match by_vars {
            Some((vars, source)) => Detection {
                source: *source,
                decided_by: vars.to_vec(),
                forced: false,
                arc_agent_file: false,
            },
            None if env.arc_agent_installed() => Detection {
                source: SourceKind::AzureArc,
                decided_by: Vec::new(),
                forced: false,
                arc_agent_file: true,
            },
            None => Detection {
                source: SourceKind::Imds,
                decided_by: Vec::new(),
                forced: false,
                arc_agent_file: false,
            },
        }
    }

    /// One sentence for humans (`azmi doctor`, logs).
    pub fn explain(&self) -> String {
        let why = if self.forced {
            "forced by configuration".to_owned()
        } else if self.arc_agent_file {
            "the Azure Arc agent is installed".to_owned()
        } else if self.decided_by.is_empty() {
            "the default: no other source has all its variables set".to_owned()
        } else {
            format!("{} set", self.decided_by.join(" + "))
        };
        format!("{} ({why})", self.source)
    }
}

/// A resolved endpoint: everything about the source that does not change between attempts,
/// except the secret, which the platform may rotate (see `TokenFlow::handle_env`).
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    pub(crate) kind: SourceKind,
    /// URL without the query.
    base: String,
    /// The variable holding the secret header value, if the source has one.
    pub(crate) secret_var: Option<&'static str>,
    /// SHA-1 thumbprint to pin (Service Fabric).
    pub(crate) tls_pin: Option<String>,
    /// Azure ML's default client id for system-assigned requests.
    default_client_id: Option<String>,
    /// Azure Arc's key directory (Azure Arc only).
    pub(crate) arc_key_dir: Option<arc::KeyDir>,
}

impl Endpoint {
    /// Resolves the source's endpoint and checks it can carry the identity.
    pub(crate) fn resolve(
        kind: SourceKind,
        cfg: &Config,
        env: &EnvSnapshot,
    ) -> Result<Self, ConfigError> {
        identity_param(kind, &cfg.identity)?;
        let need = |variable| {
            env.get(variable).ok_or(ConfigError::MissingVariable {
                source_kind: kind,
                variable: variable.to_owned(),
            })
        };
        // A missing variable is named before any value is judged: it is the first thing to fix.
        for variable in required_variables(kind) {
            need(variable)?;
        }
        let (base, secret_var) = match kind {
            SourceKind::Imds => (imds::base(env)?, None),
            SourceKind::LegacyVmExtension => (legacy::base(cfg.legacy_port), None),
            SourceKind::AppService => (
                checked_url("IDENTITY_ENDPOINT", need("IDENTITY_ENDPOINT")?)?,
                Some("IDENTITY_HEADER"),
            ),
            SourceKind::AppService2017 => (
                app_service_2017::base(checked_url("MSI_ENDPOINT", need("MSI_ENDPOINT")?)?),
                Some("MSI_SECRET"),
            ),
            SourceKind::AzureMl => {
                (checked_url("MSI_ENDPOINT", need("MSI_ENDPOINT")?)?, Some("MSI_SECRET"))
            }
            SourceKind::CloudShell => (checked_url("MSI_ENDPOINT", need("MSI_ENDPOINT")?)?, None),
            SourceKind::AzureArc => match env.get("IDENTITY_ENDPOINT") {
                Some(url) => (checked_url("IDENTITY_ENDPOINT", url)?, None),
                None => (arc::DEFAULT_ENDPOINT.to_owned(), None),
            },
            SourceKind::ServiceFabric => {
                let url = checked_url("IDENTITY_ENDPOINT", need("IDENTITY_ENDPOINT")?)?;
                service_fabric::check_https(&url)?;
                (url, Some("IDENTITY_HEADER"))
            }
        };
        if let Some(var) = secret_var {
            secret_header_value(need(var)?)
                .ok_or(ConfigError::InvalidSecret { variable: var.to_owned() })?;
        }
        let tls_pin = match kind {
            SourceKind::ServiceFabric => {
                Some(service_fabric::normalise_thumbprint(need("IDENTITY_SERVER_THUMBPRINT")?)?)
            }
            _ => None,
        };
        let default_client_id = match kind {
            SourceKind::AzureMl => env.get("DEFAULT_IDENTITY_CLIENT_ID").map(str::to_owned),
            _ => None,
        };
        let arc_key_dir = match kind {
            SourceKind::AzureArc => Some(arc::KeyDir::resolve(env)?),
            _ => None,
        };
        Ok(Endpoint { kind, base, secret_var, tls_pin, default_client_id, arc_key_dir })
    }

    /// The request of one attempt. `secret` is the current secret header value; `arc_key` the
    /// Azure Arc key for the second leg.
    pub(crate) fn request(
        &self,
        identity: &Identity,
        resource: &Resource,
        secret: Option<&str>,
        arc_key: Option<&str>,
    ) -> Result<http::Request<Vec<u8>>, ConfigError> {
        let id = identity_param(self.kind, identity)?;
        let res = resource.as_str();
        // A secret that no header can carry is an error, never a request without it.
        let variable = self.secret_var.unwrap_or("secret");
        let secret = secret
            .map(|s| {
                secret_header_value(s)
                    .ok_or(ConfigError::InvalidSecret { variable: variable.to_owned() })
            })
            .transpose()?;
        let secret = || secret.clone();
        let arc_auth = arc_key.map(arc::basic_auth).transpose()?;
        let built = match self.kind {
            SourceKind::Imds => imds::REQUEST.build(&self.base, res, id, None),
            SourceKind::LegacyVmExtension => legacy::request(&self.base, res, id),
            SourceKind::AppService => app_service::REQUEST.build(&self.base, res, id, secret()),
            SourceKind::AppService2017 => {
                app_service_2017::REQUEST.build(&self.base, res, id, secret())
            }
            SourceKind::AzureMl => {
                let id = id.or(self.default_client_id.as_deref().map(|c| ("clientid", c)));
                azure_ml::REQUEST.build(&self.base, res, id, secret())
            }
            SourceKind::CloudShell => cloud_shell::request(&self.base, res),
            SourceKind::AzureArc => arc::REQUEST.build(&self.base, res, id, arc_auth),
            SourceKind::ServiceFabric => {
                service_fabric::REQUEST.build(&self.base, res, None, secret())
            }
        };
        built.map_err(|_| ConfigError::InvalidEndpoint {
            variable: "endpoint".to_owned(),
            value: redact::userinfo(&self.base).into_owned(),
            problem: "the request built from it is not valid HTTP".to_owned(),
        })
    }
}

/// The variables a source cannot work without (a forced source needs them too).
fn required_variables(kind: SourceKind) -> &'static [&'static str] {
    match kind {
        SourceKind::ServiceFabric => {
            &["IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IDENTITY_SERVER_THUMBPRINT"]
        }
        SourceKind::AppService => &["IDENTITY_ENDPOINT", "IDENTITY_HEADER"],
        SourceKind::AppService2017 | SourceKind::AzureMl => &["MSI_ENDPOINT", "MSI_SECRET"],
        SourceKind::CloudShell => &["MSI_ENDPOINT"],
        SourceKind::Imds | SourceKind::AzureArc | SourceKind::LegacyVmExtension => &[],
    }
}

/// The query (or form) parameter that selects a user-assigned identity on `kind`.
fn identity_param(
    kind: SourceKind,
    identity: &Identity,
) -> Result<Option<(&'static str, &str)>, ConfigError> {
    use SourceKind::*;
    let unsupported = |hint| {
        Err(ConfigError::UnsupportedIdentity {
            source_kind: kind,
            selector: identity.selector().unwrap_or("id").to_owned(),
            hint: str::to_owned(hint),
        })
    };
    match (kind, identity) {
        (_, Identity::SystemAssigned) => Ok(None),
        (Imds | LegacyVmExtension | AzureArc, Identity::ClientId(id)) => Ok(Some(("client_id", id))),
        (Imds | LegacyVmExtension | AzureArc, Identity::ObjectId(id)) => Ok(Some(("object_id", id))),
        (Imds | LegacyVmExtension | AzureArc, Identity::ResourceId(id)) => Ok(Some(("msi_res_id", id))),
        (AppService, Identity::ClientId(id)) => Ok(Some(("client_id", id))),
        (AppService, Identity::ObjectId(id)) => Ok(Some(("object_id", id))),
        (AppService, Identity::ResourceId(id)) => Ok(Some(("mi_res_id", id))),
        (AppService2017 | AzureMl, Identity::ClientId(id)) => Ok(Some(("clientid", id))),
        (AppService2017 | AzureMl, _) => unsupported("select the identity by client_id instead"),
        (CloudShell | ServiceFabric, _) => {
            unsupported("this source cannot select a user-assigned identity per request; use the identity the platform assigns (no selector)")
        }
    }
}

/// Checks that an endpoint variable holds an absolute http(s) URL with no userinfo and no
/// fragment. A fragment would swallow the query azmi appends (the request would go out without
/// `resource` and `api-version`); userinfo would become an `Authorization: Basic` header. The
/// value shown in the error never carries the userinfo.
fn checked_url(variable: &'static str, value: &str) -> Result<String, ConfigError> {
    let value = value.trim();
    let invalid = |problem: &str| ConfigError::InvalidEndpoint {
        variable: variable.to_owned(),
        value: redact::userinfo(value).into_owned(),
        problem: problem.to_owned(),
    };
    if redact::has_userinfo(value) {
        return Err(invalid("it carries userinfo (name:password@) before the host, hidden here; managed identity endpoints take no credentials in the URL, so remove them"));
    }
    if value.contains('#') {
        return Err(invalid("it has a #fragment, which would swallow the query azmi appends; remove the # and what follows"));
    }
    let uri: http::Uri = value.parse().map_err(|_| invalid("not a URL"))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        _ => return Err(invalid("the scheme must be http or https")),
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(invalid("the URL has no host"));
    }
    Ok(value.to_owned())
}

/// A header value marked sensitive, so `Debug` of the request hides it.
fn secret_header_value(value: &str) -> Option<HeaderValue> {
    let mut v = HeaderValue::from_str(value.trim()).ok()?;
    v.set_sensitive(true);
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> EnvSnapshot {
        EnvSnapshot::from_vars(vars.iter().copied())
    }

    #[test]
    fn detection_order() {
        let all = env(&[
            ("IDENTITY_ENDPOINT", "http://127.0.0.1:1/"),
            ("IDENTITY_HEADER", "h"),
            ("MSI_ENDPOINT", "http://127.0.0.1:2/"),
            ("MSI_SECRET", "s"),
        ]);
        assert_eq!(Detection::detect(None, &all).source, SourceKind::AppService);
        let ml = env(&[("MSI_ENDPOINT", "http://x/"), ("MSI_SECRET", "s")]);
        assert_eq!(Detection::detect(None, &ml).source, SourceKind::AzureMl);
        let d = Detection::detect(None, &EnvSnapshot::new().with_arc_agent_installed(true));
        assert_eq!((d.source, d.arc_agent_file), (SourceKind::AzureArc, true));
        assert_eq!(Detection::detect(None, &EnvSnapshot::new()).source, SourceKind::Imds);
        assert!(Detection::detect(None, &ml).explain().contains("MSI_ENDPOINT + MSI_SECRET"));
    }

    #[test]
    fn urls_are_checked() {
        assert!(checked_url("X", "ftp://h/").is_err());
        assert!(checked_url("X", "not a url").is_err());
        assert!(checked_url("X", "http://127.0.0.1:9/msi").is_ok());
    }

    /// Issue 13 item 5: a fragment or userinfo is a configuration error, and the error never
    /// shows the password, in its field, its message or its Debug form.
    #[test]
    fn fragments_and_userinfo_are_refused_without_echoing_the_secret() {
        let err = checked_url("IDENTITY_ENDPOINT", "http://127.0.0.1:9/msi/token#x").unwrap_err();
        assert!(err.to_string().contains("fragment"), "{err}");
        let err = checked_url("MSI_ENDPOINT", "http://user:pa55w0rd@127.0.0.1:9/msi").unwrap_err();
        let ConfigError::InvalidEndpoint { value, .. } = &err else { panic!("{err:?}") };
        assert_eq!(value, "http://***@127.0.0.1:9/msi");
        for text in [err.to_string(), format!("{err:?}")] {
            assert!(!text.contains("pa55w0rd") && !text.contains("user:pa"), "{text}");
            assert!(text.contains("MSI_ENDPOINT"), "{text}");
        }
    }

    /// Every endpoint variable goes through the check, the IMDS override included.
    #[test]
    fn every_endpoint_variable_is_checked() {
        let cases: [(&[(&str, &str)], SourceKind); 5] = [
            (
                &[("IDENTITY_ENDPOINT", "http://u:pa55w0rd@h/"), ("IDENTITY_HEADER", "s")],
                SourceKind::AppService,
            ),
            (&[("MSI_ENDPOINT", "http://u:pa55w0rd@h/")], SourceKind::CloudShell),
            (
                &[("IDENTITY_ENDPOINT", "http://u:pa55w0rd@h/"), ("IMDS_ENDPOINT", "http://h/")],
                SourceKind::AzureArc,
            ),
            (&[("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://u:pa55w0rd@h/")], SourceKind::Imds),
            (&[("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9/#x")], SourceKind::Imds),
        ];
        for (vars, kind) in cases {
            let env = env(vars);
            assert_eq!(Detection::detect(None, &env).source, kind);
            let err = Endpoint::resolve(kind, &Config::default(), &env).unwrap_err();
            assert!(matches!(err, ConfigError::InvalidEndpoint { .. }), "{err:?}");
            assert!(!format!("{err} {err:?}").contains("pa55w0rd"), "{err:?}");
        }
    }

    #[test]
    fn secret_headers_are_hidden_in_debug() {
        let v = secret_header_value("s3cret").unwrap();
        assert!(!format!("{v:?}").contains("s3cret"));
    }
}
