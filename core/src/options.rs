//! The one options record every surface fills: the CLI's flags, Python's keywords, Node's option
//! objects, the test vectors' configuration objects. Each converts its native arguments into
//! [`Options`] and nothing else, so every surface accepts the same keys, rejects the same typos
//! with the same words, and reaches the same [`Config`].
//!
//! Keys are spelt in the caller's [`Naming`]: `client_id` from Python and JSON, `clientId` from
//! JavaScript. An unknown key is an error naming it and listing the accepted ones: a misspelt
//! selector must never quietly mean the system-assigned identity.

use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::arm::Cloud;
use crate::config::{Config, Identity};
use crate::env::EnvSnapshot;
use crate::error::ConfigError;
use crate::source::SourceKind;

/// Every option, by its one name. All are optional; unset means the core's default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Options {
    /// A user-assigned identity by client (application) id.
    pub client_id: Option<String>,
    /// A user-assigned identity by object (principal) id.
    pub object_id: Option<String>,
    /// A user-assigned identity by ARM resource id.
    pub resource_id: Option<String>,
    /// Use this source instead of detecting one (`imds`, `app_service`, ...).
    pub source: Option<SourceKind>,
    /// Port of the legacy VM extension (with `source = legacy_vm_extension`).
    pub legacy_port: Option<u16>,
    /// Overall budget of one token request, in milliseconds.
    #[serde(default, deserialize_with = "millis")]
    pub deadline_ms: Option<u64>,
    /// Budget of one attempt, in milliseconds.
    #[serde(default, deserialize_with = "millis")]
    pub attempt_timeout_ms: Option<u64>,
    /// Budget of connecting, in milliseconds.
    #[serde(default, deserialize_with = "millis")]
    pub connect_timeout_ms: Option<u64>,
    /// Budget of connecting on the first contact with IMDS, in milliseconds: when nothing
    /// answers within it, there is no managed identity here (`unavailable`).
    #[serde(default, deserialize_with = "millis")]
    pub probe_timeout_ms: Option<u64>,
    /// Retries after the first attempt.
    pub max_retries: Option<u32>,
    /// Backoff before the first retry, in milliseconds.
    #[serde(default, deserialize_with = "millis")]
    pub initial_delay_ms: Option<u64>,
    /// Largest backoff, in milliseconds.
    #[serde(default, deserialize_with = "millis")]
    pub max_delay_ms: Option<u64>,
    /// Fraction of each backoff shaved off at random, in `[0, 1]`.
    pub jitter: Option<f64>,
    /// Seed of the jitter (the same seed replays the same waits).
    pub seed: Option<u64>,
    /// The Azure cloud whose Resource Manager to call: `public`, `us_government`, `china`.
    pub cloud: Option<String>,
    /// Any other Resource Manager endpoint (Azure Stack, the emulator); needs `arm_resource`.
    pub arm_endpoint: Option<String>,
    /// The audience of tokens for `arm_endpoint`.
    pub arm_resource: Option<String>,
    /// How the caller spelt the keys, so that later errors name them the caller's way.
    #[serde(skip)]
    spelling: Spelling,
}

/// The naming the options were read in; not part of what they mean (two records that differ
/// only in it are equal).
#[derive(Debug, Clone, Copy, Default)]
struct Spelling(Naming);

impl PartialEq for Spelling {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// How a surface spells option keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Naming {
    /// `client_id` (Rust, Python, JSON, the CLI's flags without dashes).
    #[default]
    Snake,
    /// `clientId` (JavaScript).
    Camel,
}

impl Naming {
    /// `key` (snake_case) as this naming spells it.
    pub fn spell(self, key: &str) -> String {
        match self {
            Naming::Snake => key.to_owned(),
            Naming::Camel => {
                let mut parts = key.split('_');
                let mut out = parts.next().unwrap_or_default().to_owned();
                for part in parts {
                    let mut chars = part.chars();
                    out.extend(chars.next().map(|c| c.to_ascii_uppercase()));
                    out.push_str(chars.as_str());
                }
                out
            }
        }
    }

    /// The snake_case key a caller's key stands for, if it is one of `keys`.
    fn find(self, given: &str, keys: &[&'static str]) -> Option<&'static str> {
        keys.iter().copied().find(|k| self.spell(k) == given)
    }
}

impl Options {
    /// Every key, in snake_case.
    pub const KEYS: &'static [&'static str] = &[
        "client_id",
        "object_id",
        "resource_id",
        "source",
        "legacy_port",
        "deadline_ms",
        "attempt_timeout_ms",
        "connect_timeout_ms",
        "probe_timeout_ms",
        "max_retries",
        "initial_delay_ms",
        "max_delay_ms",
        "jitter",
        "seed",
        "cloud",
        "arm_endpoint",
        "arm_resource",
    ];

    /// The platforms' own names of the identity selectors, and the key each stands for: App
    /// Service's `mi_res_id` and `principal_id`, IMDS's `msi_res_id`. azure-identity hands its
    /// `identity_config` keys to the endpoint as they are, so its users write these names.
    pub const ALIASES: &'static [(&'static str, &'static str)] = &[
        ("mi_res_id", "resource_id"),
        ("msi_res_id", "resource_id"),
        ("principal_id", "object_id"),
    ];

    /// Options from a JSON object (or `null`, meaning none) spelt in `naming`. A `null` value is
    /// the same as an absent key (JavaScript's `undefined`, Python's `None`).
    pub fn from_json(value: Value, naming: Naming) -> Result<Self, ConfigError> {
        Self::from_json_with(value, naming, &[]).map(|(options, _)| options)
    }

    /// As [`Options::from_json`], also accepting the surface's own `extra` keys (snake_case,
    /// spelt in `naming`), which are returned apart, by their snake_case names, for the surface's
    /// own use (a resource, a compatibility argument).
    pub fn from_json_with(
        value: Value,
        naming: Naming,
        extra: &[&'static str],
    ) -> Result<(Self, Map<String, Value>), ConfigError> {
        let object = match value {
            Value::Null => Map::new(),
            Value::Object(object) => object,
            other => {
                return Err(ConfigError::InvalidOption {
                    key: "options".into(),
                    problem: format!("must be an object of options, not {}", kind_of(&other)),
                })
            }
        };
        let mut known = Map::new();
        let mut others = Map::new();
        for (given, v) in object {
            if v.is_null() {
                continue;
            }
            let alias = Self::ALIASES.iter().find(|(alias, _)| naming.spell(alias) == given);
            if let Some(key) = naming.find(&given, Self::KEYS).or(alias.map(|(_, key)| *key)) {
                if known.insert(key.to_owned(), v).is_some() {
                    return Err(ConfigError::InvalidOption {
                        problem: format!(
                            "given twice (also as {}); give it once",
                            naming.spell(key)
                        ),
                        key: given,
                    });
                }
            } else if let Some(key) = naming.find(&given, extra) {
                others.insert(key.to_owned(), v);
            } else {
                let accepted: Vec<String> =
                    Self::KEYS.iter().chain(extra).map(|k| naming.spell(k)).collect();
                return Err(ConfigError::UnknownOption {
                    key: given,
                    accepted: accepted.join(", "),
                });
            }
        }
        let mut options: Options =
            serde_path_to_error::deserialize(Value::Object(known)).map_err(|e| {
                let key = naming.spell(&e.path().to_string());
                ConfigError::InvalidOption { key, problem: e.into_inner().to_string() }
            })?;
        options.spelling = Spelling(naming);
        Ok((options, others))
    }

    /// The token configuration these options describe, checked; errors name keys as the
    /// caller spelt them.
    pub fn config(&self) -> Result<Config, ConfigError> {
        self.checked_config().map_err(|e| e.spelt(self.spelling.0))
    }

    fn checked_config(&self) -> Result<Config, ConfigError> {
        let mut cfg = Config::default();
        cfg.identity = Identity::from_selectors(
            self.client_id.as_deref(),
            self.object_id.as_deref(),
            self.resource_id.as_deref(),
        )?;
        cfg.source = self.source;
        cfg.legacy_port = self.legacy_port.unwrap_or(cfg.legacy_port);
        let ms = Duration::from_millis;
        cfg.deadline = self.deadline_ms.map(ms).or(cfg.deadline);
        cfg.attempt_timeout = self.attempt_timeout_ms.map_or(cfg.attempt_timeout, ms);
        cfg.connect_timeout = self.connect_timeout_ms.map_or(cfg.connect_timeout, ms);
        cfg.probe_timeout = self.probe_timeout_ms.map_or(cfg.probe_timeout, ms);
        let retry = &mut cfg.retry;
        retry.max_retries = self.max_retries.unwrap_or(retry.max_retries);
        retry.initial_delay = self.initial_delay_ms.map_or(retry.initial_delay, ms);
        retry.max_delay = self.max_delay_ms.map_or(retry.max_delay, ms);
        retry.jitter = self.jitter.unwrap_or(retry.jitter);
        retry.seed = self.seed.unwrap_or(retry.seed);
        cfg.validate()?;
        Ok(cfg)
    }

    /// The Resource Manager these options name: `arm_endpoint` with `arm_resource`, else the
    /// named `cloud`, else `AZMI_ARM_ENDPOINT` from `env` (see [`arm_endpoint_from_env`]), else
    /// the public cloud.
    pub fn cloud(&self, env: &EnvSnapshot) -> Result<Cloud, ConfigError> {
        let explicit =
            self.arm_endpoint.is_some() || self.arm_resource.is_some() || self.cloud.is_some();
        if explicit {
            return self.checked_cloud().map_err(|e| e.spelt(self.spelling.0));
        }
        Ok(arm_endpoint_from_env(env)?.unwrap_or_else(Cloud::public))
    }

    fn checked_cloud(&self) -> Result<Cloud, ConfigError> {
        let invalid = |key: &str, problem: String| ConfigError::InvalidOption {
            key: key.to_owned(),
            problem,
        };
        match (&self.arm_endpoint, &self.arm_resource, &self.cloud) {
            (Some(_), _, Some(_)) => Err(invalid(
                "cloud",
                "give either cloud (a name) or arm_endpoint with arm_resource, not both".into(),
            )),
            (Some(endpoint), Some(resource), None) => Cloud::custom(endpoint, resource)
                .map_err(|e| invalid("arm_endpoint", e.to_string())),
            (Some(_), None, _) => Err(invalid(
                "arm_resource",
                "arm_endpoint needs arm_resource, the audience of its tokens".into(),
            )),
            (None, Some(_), _) => {
                Err(invalid("arm_endpoint", "arm_resource goes with arm_endpoint".into()))
            }
            (None, None, Some(name)) => {
                Cloud::from_str(name).map_err(|e| invalid("cloud", e.problem()))
            }
            (None, None, None) => Ok(Cloud::public()),
        }
    }
}

/// The variable that names the default Resource Manager (the emulator prints it); an explicit
/// cloud or endpoint option wins over it.
pub const ARM_ENDPOINT_VARIABLE: &str = "AZMI_ARM_ENDPOINT";

/// The Resource Manager `AZMI_ARM_ENDPOINT` names, if set: a known cloud's endpoint is that
/// cloud (with its token audience); any other URL (https, or http on loopback) takes the public
/// cloud's audience, as Azure Stack and the emulator accept it.
pub fn arm_endpoint_from_env(env: &EnvSnapshot) -> Result<Option<Cloud>, ConfigError> {
    let Some(value) = env.get(ARM_ENDPOINT_VARIABLE) else { return Ok(None) };
    let trimmed = value.trim().trim_end_matches('/');
    let known = [Cloud::public(), Cloud::us_government(), Cloud::china()]
        .into_iter()
        .find(|c| c.endpoint().eq_ignore_ascii_case(trimmed));
    if let Some(cloud) = known {
        return Ok(Some(cloud));
    }
    Cloud::custom(trimmed, Cloud::public().resource().as_str()).map(Some).map_err(|e| {
        ConfigError::InvalidEndpoint {
            variable: ARM_ENDPOINT_VARIABLE.to_owned(),
            value: crate::redact::userinfo(value).into_owned(),
            problem: e.to_string(),
        }
    })
}

impl ConfigError {
    /// The same error with the keys and settings it names spelt in `naming`.
    pub fn spelt(self, naming: Naming) -> Self {
        self.renamed(|name| naming.spell(name))
    }

    /// The same error with each key and setting it names (one, or several joined by `", "`)
    /// passed through `rename`: how a surface names them in its users' own words.
    pub fn renamed(self, rename: impl Fn(&str) -> String) -> Self {
        let each = |names: &str| names.split(", ").map(&rename).collect::<Vec<_>>().join(", ");
        match self {
            ConfigError::SeveralIdentities { given } => {
                ConfigError::SeveralIdentities { given: each(&given) }
            }
            ConfigError::EmptyIdentity { selector } => {
                ConfigError::EmptyIdentity { selector: each(&selector) }
            }
            ConfigError::InvalidOption { key, problem } => {
                ConfigError::InvalidOption { key: each(&key), problem }
            }
            ConfigError::InvalidSetting { name, problem } => {
                ConfigError::InvalidSetting { name: each(&name), problem }
            }
            other => other,
        }
    }
}

/// Milliseconds from any finite, non-negative JSON number (a surface may compute them from
/// seconds); fractions are rounded up so that a tiny positive value never becomes zero.
fn millis<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    use serde::de::Error;
    let Some(n) = Option::<f64>::deserialize(d)? else { return Ok(None) };
    if !n.is_finite() || n < 0.0 {
        return Err(D::Error::custom(format!(
            "must be a finite, non-negative number of milliseconds; got {n}"
        )));
    }
    // Past u64, the cast saturates; validation then reports the range.
    Ok(Some(n.ceil() as u64))
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn snake(v: Value) -> Result<Options, ConfigError> {
        Options::from_json(v, Naming::Snake)
    }

    #[test]
    fn a_misspelt_key_is_an_error_naming_it_and_the_accepted_ones() {
        let err = snake(json!({"clientid": "x"})).unwrap_err();
        let ConfigError::UnknownOption { key, accepted } = &err else { panic!("{err:?}") };
        assert_eq!(key, "clientid");
        assert!(accepted.starts_with("client_id, object_id, resource_id, source"), "{accepted}");
        let err = Options::from_json(json!({"client_id": "x"}), Naming::Camel).unwrap_err();
        assert!(err.to_string().contains("\"client_id\"; the options are: clientId, objectId"));
        let err = Options::from_json(json!({"managedIdentityClientId": "x"}), Naming::Camel);
        assert!(matches!(err, Err(ConfigError::UnknownOption { .. })));
    }

    #[test]
    fn the_platforms_selector_names_are_the_same_selectors() {
        for (given, naming) in [("mi_res_id", Naming::Snake), ("msiResId", Naming::Camel)] {
            let o = Options::from_json(json!({ given: "/subscriptions/s/r" }), naming).unwrap();
            assert_eq!(
                o.config().unwrap().identity,
                Identity::ResourceId("/subscriptions/s/r".into())
            );
        }
        let o = snake(json!({"principal_id": "p"})).unwrap();
        assert_eq!(o.config().unwrap().identity, Identity::ObjectId("p".into()));
        // Two names of one key are given twice; two selectors are still two identities.
        let err = snake(json!({"resource_id": "a", "msi_res_id": "b"})).unwrap_err();
        assert!(err.to_string().contains("given twice"), "{err}");
        let two = snake(json!({"client_id": "c", "mi_res_id": "r"})).unwrap().config();
        assert!(matches!(two, Err(ConfigError::SeveralIdentities { .. })), "{two:?}");
        // Not listed among the options: each key has one name there.
        let err = snake(json!({"mi_resid": "r"})).unwrap_err();
        assert!(!err.to_string().contains("mi_res_id"), "{err}");
    }

    #[test]
    fn camel_case_keys_reach_the_same_config() {
        let camel = json!({"clientId": "c", "deadlineMs": 2500, "legacyPort": 8080});
        let snake_form = json!({"client_id": "c", "deadline_ms": 2500, "legacy_port": 8080});
        let a = Options::from_json(camel, Naming::Camel).unwrap();
        assert_eq!(a, snake(snake_form).unwrap());
        let cfg = a.config().unwrap();
        assert_eq!(cfg.identity, Identity::ClientId("c".into()));
        assert_eq!(cfg.deadline, Some(Duration::from_millis(2500)));
        assert_eq!(cfg.legacy_port, 8080);
    }

    #[test]
    fn wrong_types_and_ranges_name_the_key() {
        let err = snake(json!({"deadline_ms": "5"})).unwrap_err();
        assert!(matches!(&err, ConfigError::InvalidOption { key, .. } if key == "deadline_ms"));
        let err = Options::from_json(json!({"deadlineMs": -1}), Naming::Camel).unwrap_err();
        assert!(matches!(&err, ConfigError::InvalidOption { key, .. } if key == "deadlineMs"));
        let err = snake(json!({"legacy_port": 70000})).unwrap_err();
        assert!(matches!(&err, ConfigError::InvalidOption { key, .. } if key == "legacy_port"));
        let err = snake(json!({"source": "imdss"})).unwrap_err();
        assert!(err.to_string().contains("imds, app_service"), "{err}");
        let too_long = snake(json!({"deadline_ms": 1e20})).unwrap().config().unwrap_err();
        assert!(
            matches!(too_long, ConfigError::InvalidSetting { ref name, .. } if name == "deadline")
        );
        let zero = snake(json!({"deadline_ms": 0})).unwrap().config().unwrap_err();
        assert!(matches!(zero, ConfigError::InvalidSetting { .. }));
        assert!(snake(json!(5)).is_err());
    }

    #[test]
    fn the_probe_budget_is_an_option_in_both_namings() {
        let cfg = snake(json!({"probe_timeout_ms": 250})).unwrap().config().unwrap();
        assert_eq!(cfg.probe_timeout, Duration::from_millis(250));
        let camel = Options::from_json(json!({"probeTimeoutMs": 2500.5}), Naming::Camel).unwrap();
        assert_eq!(camel.config().unwrap().probe_timeout, Duration::from_millis(2501));
        let default = Options::default().config().unwrap().probe_timeout;
        assert_eq!(default, Config::default().probe_timeout);
        let zero = Options::from_json(json!({"probeTimeoutMs": 0}), Naming::Camel).unwrap();
        let err = zero.config().unwrap_err();
        assert!(
            matches!(&err, ConfigError::InvalidSetting { name, .. } if name == "probeTimeout"),
            "{err:?}"
        );
        let err = snake(json!({"probe_timeout_ms": -5})).unwrap_err();
        assert!(
            matches!(&err, ConfigError::InvalidOption { key, .. } if key == "probe_timeout_ms")
        );
    }

    #[test]
    fn later_errors_name_keys_the_callers_way() {
        let two = json!({"clientId": "a", "resourceId": "b"});
        let err = Options::from_json(two, Naming::Camel).unwrap().config().unwrap_err();
        assert!(err.to_string().contains("(clientId, resourceId)"), "{err}");
        let half = json!({"armEndpoint": "http://127.0.0.1:1"});
        let err = Options::from_json(half, Naming::Camel)
            .unwrap()
            .cloud(&EnvSnapshot::new())
            .unwrap_err();
        assert!(matches!(&err, ConfigError::InvalidOption { key, .. } if key == "armResource"));
    }

    #[test]
    fn null_is_absent_and_fractions_round_up() {
        let o = snake(json!({"client_id": null, "deadline_ms": 0.2})).unwrap();
        assert_eq!(o.client_id, None);
        assert_eq!(o.deadline_ms, Some(1));
    }

    #[test]
    fn surface_keys_come_back_apart() {
        let (o, extra) = Options::from_json_with(
            json!({"resource": "r", "client_id": "c"}),
            Naming::Snake,
            &["resource", "scopes"],
        )
        .unwrap();
        assert_eq!(o.client_id.as_deref(), Some("c"));
        assert_eq!(extra["resource"], "r");
    }

    #[test]
    fn the_cloud_by_name_or_endpoint() {
        let none = EnvSnapshot::new();
        assert_eq!(Options::default().cloud(&none).unwrap(), Cloud::public());
        let china = snake(json!({"cloud": "china"})).unwrap().cloud(&none).unwrap();
        assert_eq!(china, Cloud::china());
        let custom = json!({"arm_endpoint": "http://127.0.0.1:1", "arm_resource": "https://r/"});
        assert_eq!(snake(custom).unwrap().cloud(&none).unwrap().endpoint(), "http://127.0.0.1:1");
        assert!(snake(json!({"arm_endpoint": "http://127.0.0.1:1"}))
            .unwrap()
            .cloud(&none)
            .is_err());
        assert!(snake(json!({"cloud": "mars"})).unwrap().cloud(&none).is_err());
    }

    #[test]
    fn the_arm_endpoint_variable_comes_between_options_and_the_public_cloud() {
        let env = |v: &str| EnvSnapshot::from_vars([(ARM_ENDPOINT_VARIABLE, v)]);
        let emulator = env("https://127.0.0.1:8443/");
        let cloud = Options::default().cloud(&emulator).unwrap();
        assert_eq!(cloud.endpoint(), "https://127.0.0.1:8443");
        assert_eq!(cloud.resource(), Cloud::public().resource());
        // An explicit option wins over the variable.
        let china = snake(json!({"cloud": "china"})).unwrap().cloud(&emulator).unwrap();
        assert_eq!(china, Cloud::china());
        let custom = json!({"arm_endpoint": "http://127.0.0.1:1", "arm_resource": "https://r/"});
        assert_eq!(
            snake(custom).unwrap().cloud(&emulator).unwrap().endpoint(),
            "http://127.0.0.1:1"
        );
        // A known cloud's endpoint is that cloud, with its audience.
        let gov = Options::default().cloud(&env("https://management.usgovcloudapi.net/")).unwrap();
        assert_eq!(gov, Cloud::us_government());
        // Empty counts as unset.
        assert_eq!(Options::default().cloud(&env(" ")).unwrap(), Cloud::public());
    }

    #[test]
    fn a_bad_arm_endpoint_variable_is_named_and_its_userinfo_hidden() {
        let plain = EnvSnapshot::from_vars([(ARM_ENDPOINT_VARIABLE, "http://arm.example.com")]);
        let err = Options::default().cloud(&plain).unwrap_err();
        let text = err.to_string();
        assert!(text.contains(ARM_ENDPOINT_VARIABLE) && text.contains("https"), "{text}");
        let secret = EnvSnapshot::from_vars([(ARM_ENDPOINT_VARIABLE, "https://u:hunter2@h")]);
        let text = Options::default().cloud(&secret).unwrap_err().to_string();
        assert!(text.contains(ARM_ENDPOINT_VARIABLE) && !text.contains("hunter2"), "{text}");
    }
}
