//! Configuration: which identity, which resource, which source, and the time budget.

use std::time::Duration;

use crate::error::ConfigError;
use crate::source::SourceKind;

/// The managed identity to ask for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Identity {
    /// The host's system-assigned identity.
    #[default]
    SystemAssigned,
    /// A user-assigned identity by client (application) id.
    ClientId(String),
    /// A user-assigned identity by object (principal) id.
    ObjectId(String),
    /// A user-assigned identity by ARM resource id.
    ResourceId(String),
}

impl Identity {
    /// Builds the identity from optional selectors; more than one, or an empty one, is an error.
    pub fn from_selectors(
        client_id: Option<&str>,
        object_id: Option<&str>,
        resource_id: Option<&str>,
    ) -> Result<Self, ConfigError> {
        let given: Vec<(&'static str, &str)> =
            [("client_id", client_id), ("object_id", object_id), ("resource_id", resource_id)]
                .into_iter()
                .filter_map(|(name, v)| v.map(|v| (name, v)))
                .collect();
        if given.len() > 1 {
            let names: Vec<&str> = given.iter().map(|(n, _)| *n).collect();
            return Err(ConfigError::SeveralIdentities { given: names.join(", ") });
        }
        let Some(&(selector, id)) = given.first() else {
            return Ok(Identity::SystemAssigned);
        };
        let id = id.trim();
        if id.is_empty() {
            return Err(ConfigError::EmptyIdentity { selector: selector.to_owned() });
        }
        Ok(match selector {
            "client_id" => Identity::ClientId(id.to_owned()),
            "object_id" => Identity::ObjectId(id.to_owned()),
            _ => Identity::ResourceId(id.to_owned()),
        })
    }

    /// `client_id`, `object_id` or `resource_id`; `None` for system-assigned.
    pub fn selector(&self) -> Option<&'static str> {
        match self {
            Identity::SystemAssigned => None,
            Identity::ClientId(_) => Some("client_id"),
            Identity::ObjectId(_) => Some("object_id"),
            Identity::ResourceId(_) => Some("resource_id"),
        }
    }

    /// The id of a user-assigned identity.
    pub fn id(&self) -> Option<&str> {
        match self {
            Identity::SystemAssigned => None,
            Identity::ClientId(id) | Identity::ObjectId(id) | Identity::ResourceId(id) => Some(id),
        }
    }

    /// `selector id` for messages, e.g. `client_id 0a1b…`; ids are not secrets.
    pub(crate) fn describe(&self) -> String {
        match (self.selector(), self.id()) {
            (Some(selector), Some(id)) => format!("{selector} {id}"),
            _ => "the system-assigned identity".to_owned(),
        }
    }
}

/// The audience of the token (an AAD v1 resource such as `https://management.azure.com/`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Resource(String);

impl Resource {
    /// A resource as given; empty or containing white space is an error.
    pub fn new(resource: &str) -> Result<Self, ConfigError> {
        let r = resource.trim();
        if r.is_empty() || r.chars().any(char::is_whitespace) {
            return Err(ConfigError::InvalidResource { resource: resource.to_owned() });
        }
        Ok(Resource(r.to_owned()))
    }

    /// The resource for exactly one scope, with a trailing `/.default` removed.
    pub fn from_scopes<S: AsRef<str>>(scopes: &[S]) -> Result<Self, ConfigError> {
        match scopes {
            [] => Err(ConfigError::NoScope),
            [one] => {
                let scope = one.as_ref().trim();
                Resource::new(scope.strip_suffix("/.default").unwrap_or(scope))
            }
            many => Err(ConfigError::SeveralScopes { count: many.len() }),
        }
    }

    /// The resource string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How failed attempts are retried. Backoff before retry n (n ≥ 1) is
/// `min(initial_delay · 2^(n−1), max_delay) · (1 − jitter · u)` with `u ∈ [0, 1)` from the seed.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Retries after the first attempt (IMDS 410 may go on past this, see the flow docs).
    pub max_retries: u32,
    /// Backoff before the first retry.
    pub initial_delay: Duration,
    /// Largest backoff.
    pub max_delay: Duration,
    /// Fraction of each backoff that may be shaved off at random, in `[0, 1]`.
    pub jitter: f64,
    /// Seed of the jitter: the same seed replays the same waits.
    pub seed: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 5,
            initial_delay: Duration::from_millis(800),
            max_delay: Duration::from_secs(30),
            jitter: 0.2,
            seed: 0,
        }
    }
}

/// Everything a token flow needs besides the environment, the resource and the time.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Config {
    /// Which identity.
    pub identity: Identity,
    /// Use this source instead of detecting one from the environment.
    pub source: Option<SourceKind>,
    /// Port of the legacy VM extension (`source = LegacyVmExtension`).
    pub legacy_port: u16,
    /// Overall budget of one token request, all attempts and waits included. `None`: 30 s, moved
    /// to 90 s after the first attempt when IMDS says 410 (it is updating).
    pub deadline: Option<Duration>,
    /// Budget of one attempt (connect, send, receive).
    pub attempt_timeout: Duration,
    /// Budget of connecting.
    pub connect_timeout: Duration,
    /// Budget of connecting on the first contact with IMDS (however it was chosen): when
    /// nothing answers within it,
    /// the flow ends at once as `unavailable` ("no managed identity here") instead of retrying,
    /// so a credential chain can move on. See `TokenFlow`'s IMDS probe.
    pub probe_timeout: Duration,
    /// Retry rules.
    pub retry: RetryPolicy,
    /// Larger response bodies are refused.
    pub max_response_bytes: usize,
}

/// Default overall deadline.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(30);
/// Default port of the legacy VM extension.
pub const DEFAULT_LEGACY_PORT: u16 = 50342;

impl Default for Config {
    fn default() -> Self {
        Config {
            identity: Identity::SystemAssigned,
            source: None,
            legacy_port: DEFAULT_LEGACY_PORT,
            deadline: None,
            attempt_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(2),
            probe_timeout: Duration::from_secs(1),
            retry: RetryPolicy::default(),
            max_response_bytes: 64 * 1024,
        }
    }
}

impl Config {
    /// Checks every setting against its range (the same ranges for every surface).
    pub fn validate(&self) -> Result<(), ConfigError> {
        let deadline = self.deadline.unwrap_or(DEFAULT_DEADLINE);
        check(&[
            ("deadline", Setting::Budget(deadline)),
            ("attempt_timeout", Setting::Budget(self.attempt_timeout)),
            ("connect_timeout", Setting::Budget(self.connect_timeout)),
            ("probe_timeout", Setting::Budget(self.probe_timeout)),
            ("max_response_bytes", Setting::Bytes(self.max_response_bytes)),
            ("legacy_port", Setting::Port(self.legacy_port)),
        ])?;
        check(&self.retry.settings())
    }
}

impl RetryPolicy {
    /// The policy's settings by name, for [`check`].
    pub(crate) fn settings(&self) -> [(&'static str, Setting); 4] {
        [
            ("max_retries", Setting::Retries(self.max_retries)),
            ("initial_delay", Setting::Wait(self.initial_delay)),
            ("max_delay", Setting::Wait(self.max_delay)),
            ("jitter", Setting::Fraction(self.jitter)),
        ]
    }
}

/// A setting's value with the kind of range it must be in. The ranges live in [`check`] only:
/// token and ARM configurations both list their settings and are checked by the same rules.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Setting {
    /// A time budget: more than zero, at most [`MAX_DEADLINE`].
    Budget(Duration),
    /// A wait: zero (no wait) up to [`MAX_DEADLINE`].
    Wait(Duration),
    /// A number of retries: at most [`MAX_RETRIES`].
    Retries(u32),
    /// A fraction in `[0, 1]`.
    Fraction(f64),
    /// A size cap in bytes: at least one, at most [`MAX_RESPONSE_BYTES`].
    Bytes(usize),
    /// A TCP port (not zero).
    Port(u16),
}

/// Checks each named setting against its range; the first out of range is an error naming it.
pub(crate) fn check(settings: &[(&str, Setting)]) -> Result<(), ConfigError> {
    let max_s = MAX_DEADLINE.as_secs();
    for &(name, setting) in settings {
        let problem = match setting {
            Setting::Budget(d) if d.is_zero() || d > MAX_DEADLINE => {
                format!("must be more than zero and at most {max_s} s")
            }
            Setting::Wait(d) if d > MAX_DEADLINE => format!("must be at most {max_s} s"),
            Setting::Retries(n) if n > MAX_RETRIES => format!("must be at most {MAX_RETRIES}"),
            Setting::Fraction(f) if !(0.0..=1.0).contains(&f) => "must be between 0 and 1".into(),
            Setting::Bytes(b) if b == 0 || b > MAX_RESPONSE_BYTES => {
                format!("must be at least 1 and at most {MAX_RESPONSE_BYTES} bytes")
            }
            Setting::Port(0) => "must be a TCP port (1-65535)".into(),
            _ => continue,
        };
        return Err(ConfigError::InvalidSetting { name: name.to_owned(), problem });
    }
    Ok(())
}

/// The longest deadline (or timeout, or backoff) any setting accepts: one day. Longer values are
/// mistakes (a unit confusion), not plans.
pub const MAX_DEADLINE: Duration = Duration::from_secs(24 * 60 * 60);
/// The most retries a policy may ask for.
pub const MAX_RETRIES: u32 = 100;
/// The largest response body cap any setting accepts (1 GiB): a bigger one is no cap at all.
pub const MAX_RESPONSE_BYTES: usize = 1 << 30;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_selector_at_most() {
        assert_eq!(Identity::from_selectors(None, None, None), Ok(Identity::SystemAssigned));
        assert_eq!(
            Identity::from_selectors(None, Some("o"), None),
            Ok(Identity::ObjectId("o".into()))
        );
        let err = Identity::from_selectors(Some("c"), None, Some("r")).unwrap_err();
        assert_eq!(err, ConfigError::SeveralIdentities { given: "client_id, resource_id".into() });
        assert_eq!(
            Identity::from_selectors(Some(" "), None, None),
            Err(ConfigError::EmptyIdentity { selector: "client_id".into() })
        );
    }

    #[test]
    fn exactly_one_scope() {
        let r = Resource::from_scopes(&["https://management.azure.com/.default"]).unwrap();
        assert_eq!(r.as_str(), "https://management.azure.com");
        assert_eq!(Resource::from_scopes::<&str>(&[]), Err(ConfigError::NoScope));
        assert_eq!(
            Resource::from_scopes(&["a", "b"]),
            Err(ConfigError::SeveralScopes { count: 2 })
        );
        assert!(Resource::new("").is_err());
        assert!(Resource::from_scopes(&["/.default"]).is_err());
    }
}
