//! Limits of ARM operations, and their JSON form.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::config::{check, RetryPolicy, Setting};
use crate::error::ConfigError;

/// Limits of ARM operations.
///
/// JSON form (serde): `{"deadline_ms", "attempt_timeout_ms", "connect_timeout_ms",
/// "lro_poll_delay_ms", "max_response_bytes", "max_retries", "initial_delay_ms", "max_delay_ms",
/// "jitter", "seed"}`, every key optional (a missing one keeps the default); an unknown key is an
/// error that names it and the accepted ones, and a value out of range (`validate`) an error
/// that names the setting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ArmLimits", into = "ArmLimits")]
#[non_exhaustive]
pub struct ArmConfig {
    /// Overall budget of one operation, polling included.
    pub deadline: Duration,
    /// Budget of one request.
    pub attempt_timeout: Duration,
    /// Budget of connecting.
    pub connect_timeout: Duration,
    /// Retry rules (429 always; 408/5xx and transport failures for idempotent methods).
    pub retry: RetryPolicy,
    /// Wait between polls when ARM gives no `Retry-After`.
    pub lro_poll_delay: Duration,
    /// Larger response bodies are refused.
    pub max_response_bytes: usize,
}

impl Default for ArmConfig {
    fn default() -> Self {
        ArmConfig {
            deadline: Duration::from_secs(600),
            attempt_timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy {
                max_retries: 3,
                max_delay: Duration::from_secs(60),
                ..RetryPolicy::default()
            },
            lro_poll_delay: Duration::from_secs(30),
            max_response_bytes: 16 * 1024 * 1024,
        }
    }
}

impl ArmConfig {
    /// Checks every limit against its range: the token configuration's ranges
    /// (`Config::validate`), from the same table.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check(&[
            ("deadline", Setting::Budget(self.deadline)),
            ("attempt_timeout", Setting::Budget(self.attempt_timeout)),
            ("connect_timeout", Setting::Budget(self.connect_timeout)),
            ("lro_poll_delay", Setting::Wait(self.lro_poll_delay)),
            ("max_response_bytes", Setting::Bytes(self.max_response_bytes)),
        ])?;
        check(&self.retry.settings())
    }
}

/// `ArmConfig` as JSON: milliseconds, each limit optional.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ArmLimits {
    deadline_ms: Option<u64>,
    attempt_timeout_ms: Option<u64>,
    connect_timeout_ms: Option<u64>,
    lro_poll_delay_ms: Option<u64>,
    max_response_bytes: Option<u64>,
    max_retries: Option<u32>,
    initial_delay_ms: Option<u64>,
    max_delay_ms: Option<u64>,
    jitter: Option<f64>,
    seed: Option<u64>,
}

impl TryFrom<ArmLimits> for ArmConfig {
    type Error = ConfigError;

    fn try_from(j: ArmLimits) -> Result<Self, ConfigError> {
        let mut c = ArmConfig::default();
        let set = |into: &mut Duration, ms: Option<u64>| {
            if let Some(ms) = ms {
                *into = Duration::from_millis(ms);
            }
        };
        set(&mut c.deadline, j.deadline_ms);
        set(&mut c.attempt_timeout, j.attempt_timeout_ms);
        set(&mut c.connect_timeout, j.connect_timeout_ms);
        set(&mut c.lro_poll_delay, j.lro_poll_delay_ms);
        set(&mut c.retry.initial_delay, j.initial_delay_ms);
        set(&mut c.retry.max_delay, j.max_delay_ms);
        let bytes = j.max_response_bytes.map(|b| usize::try_from(b).unwrap_or(usize::MAX));
        c.max_response_bytes = bytes.unwrap_or(c.max_response_bytes);
        c.retry.max_retries = j.max_retries.unwrap_or(c.retry.max_retries);
        c.retry.jitter = j.jitter.unwrap_or(c.retry.jitter);
        c.retry.seed = j.seed.unwrap_or(c.retry.seed);
        c.validate()?;
        Ok(c)
    }
}

impl From<ArmConfig> for ArmLimits {
    fn from(c: ArmConfig) -> Self {
        let ms = |d: Duration| Some(u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        ArmLimits {
            deadline_ms: ms(c.deadline),
            attempt_timeout_ms: ms(c.attempt_timeout),
            connect_timeout_ms: ms(c.connect_timeout),
            lro_poll_delay_ms: ms(c.lro_poll_delay),
            max_response_bytes: Some(c.max_response_bytes as u64),
            max_retries: Some(c.retry.max_retries),
            initial_delay_ms: ms(c.retry.initial_delay),
            max_delay_ms: ms(c.retry.max_delay),
            jitter: Some(c.retry.jitter),
            seed: Some(c.retry.seed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_form() {
        let c: ArmConfig =
            serde_json::from_value(json!({"deadline_ms": 5000, "max_retries": 0, "jitter": 0.0}))
                .unwrap();
        assert_eq!((c.deadline, c.retry.max_retries), (Duration::from_secs(5), 0));
        assert_eq!(c.lro_poll_delay, ArmConfig::default().lro_poll_delay, "the rest: defaults");
        let back: ArmConfig = serde_json::from_value(serde_json::to_value(&c).unwrap()).unwrap();
        assert_eq!(back, c);
        let empty: ArmConfig = serde_json::from_value(json!({})).unwrap();
        assert_eq!(empty, ArmConfig::default());
    }

    #[test]
    fn unknown_keys_are_named() {
        let e = serde_json::from_value::<ArmConfig>(json!({"deadline": 5000})).unwrap_err();
        let e = e.to_string();
        assert!(e.contains("`deadline`") && e.contains("`deadline_ms`"), "{e}");
        let e = serde_json::from_value::<ArmConfig>(json!({"max_retries": -1})).unwrap_err();
        assert!(e.to_string().contains("-1"), "{e}");
    }

    #[test]
    fn json_limits_are_range_checked_by_name() {
        let cases = [
            (json!({"deadline_ms": 0}), "deadline"),
            (json!({"deadline_ms": 86_400_001u64}), "deadline"),
            (json!({"attempt_timeout_ms": 0}), "attempt_timeout"),
            (json!({"connect_timeout_ms": 0}), "connect_timeout"),
            (json!({"lro_poll_delay_ms": u64::MAX}), "lro_poll_delay"),
            (json!({"max_response_bytes": 0}), "max_response_bytes"),
            (json!({"max_response_bytes": u64::MAX}), "max_response_bytes"),
            (json!({"max_retries": 101}), "max_retries"),
            (json!({"initial_delay_ms": 86_400_001u64}), "initial_delay"),
            (json!({"max_delay_ms": u64::MAX}), "max_delay"),
            (json!({"jitter": 1.5}), "jitter"),
        ];
        for (value, name) in cases {
            let e = serde_json::from_value::<ArmConfig>(value.clone()).unwrap_err().to_string();
            assert!(e.contains(&format!("setting {name} is out of range")), "{value}: {e}");
        }
        let edge =
            json!({"deadline_ms": 86_400_000u64, "max_retries": 100, "lro_poll_delay_ms": 0});
        assert!(serde_json::from_value::<ArmConfig>(edge).is_ok());
    }

    #[test]
    fn limits_set_in_rust_are_checked_too() {
        let mut c = ArmConfig::default();
        assert_eq!(c.validate(), Ok(()));
        c.connect_timeout = Duration::ZERO;
        let e = c.validate().unwrap_err();
        assert!(
            matches!(&e, ConfigError::InvalidSetting { name, .. } if name == "connect_timeout")
        );
    }
}
