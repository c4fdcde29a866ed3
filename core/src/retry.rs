//! Retry decisions: which statuses are worth another attempt, how long to wait, and what the
//! server asked for (`Retry-After` and its millisecond cousins).

use std::time::{Duration, UNIX_EPOCH};

use http::HeaderMap;

use crate::config::RetryPolicy;
use crate::source::SourceKind;
use crate::time::UnixMillis;

/// Whether `status` from `kind` is worth another attempt.
pub(crate) fn is_retryable(kind: SourceKind, status: u16) -> bool {
    match kind {
        // IMDS and the Arc agent: "retry 404, 429, 5xx" (DOC-VM), 410 while IMDS updates.
        SourceKind::Imds | SourceKind::AzureArc => {
            matches!(status, 404 | 408 | 410 | 429)
                || ((500..=599).contains(&status) && !matches!(status, 501 | 505))
        }
        // azure-core's safe-to-retry statuses.
        _ => matches!(status, 408 | 429 | 500 | 502 | 503 | 504),
    }
}

/// How long the server asked us to wait: `retry-after-ms`, then `x-ms-retry-after-ms`, then
/// `Retry-After` in seconds or as an HTTP date (counted from `now`).
pub(crate) fn server_delay(headers: &HeaderMap, now: UnixMillis) -> Option<Duration> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let millis =
        |name: &str| text(name).and_then(|t| t.parse::<u64>().ok()).map(Duration::from_millis);
    millis("retry-after-ms").or_else(|| millis("x-ms-retry-after-ms")).or_else(|| {
        let value = text("retry-after")?;
        if let Ok(secs) = value.parse::<u64>() {
            return Some(Duration::from_secs(secs));
        }
        let at = httpdate::parse_http_date(value).ok()?.duration_since(UNIX_EPOCH).ok()?;
        Some(at.saturating_sub(Duration::from_millis(now.0)))
    })
}

/// Exponential backoff with seeded jitter: the same seed replays the same waits.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    initial: Duration,
    max: Duration,
    jitter: f64,
    rng: fastrand::Rng,
}

impl Backoff {
    pub(crate) fn new(policy: &RetryPolicy) -> Self {
        Backoff {
            initial: policy.initial_delay,
            max: policy.max_delay,
            jitter: policy.jitter,
            rng: fastrand::Rng::with_seed(policy.seed),
        }
    }

    /// The wait before retry `n` (1-based), at most `cap`.
    pub(crate) fn delay(&mut self, n: u32, cap: Duration) -> Duration {
        let doubling = 2u32.saturating_pow(n.saturating_sub(1).min(31));
        let nominal = self.initial.saturating_mul(doubling).min(self.max).min(cap);
        if self.jitter == 0.0 {
            return nominal;
        }
        nominal.mul_f64(1.0 - self.jitter * self.rng.f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;
    use proptest::prelude::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (http::HeaderName::from_static(k), HeaderValue::from_static(v)))
            .collect()
    }

    #[test]
    fn server_delay_forms_and_precedence() {
        let now = UnixMillis::from_secs(1_700_000_000);
        assert_eq!(
            server_delay(&headers(&[("retry-after", "7")]), now),
            Some(Duration::from_secs(7))
        );
        // 2023-11-14T22:13:30Z is 10 s after `now`.
        let date = headers(&[("retry-after", "Tue, 14 Nov 2023 22:13:30 GMT")]);
        assert_eq!(server_delay(&date, now), Some(Duration::from_secs(10)));
        let all = headers(&[
            ("retry-after", "7"),
            ("x-ms-retry-after-ms", "300"),
            ("retry-after-ms", "250"),
        ]);
        assert_eq!(server_delay(&all, now), Some(Duration::from_millis(250)));
        assert_eq!(server_delay(&headers(&[("retry-after", "soon")]), now), None);
    }

    #[test]
    fn statuses() {
        assert!(is_retryable(SourceKind::Imds, 410));
        assert!(!is_retryable(SourceKind::Imds, 501));
        assert!(!is_retryable(SourceKind::AppService, 404));
        assert!(is_retryable(SourceKind::AppService, 503));
    }

    proptest! {
        #[test]
        fn backoff_is_bounded(seed: u64, n in 1u32..200, jitter in 0.0f64..=1.0) {
            let policy = RetryPolicy { jitter, seed, ..RetryPolicy::default() };
            let mut b = Backoff::new(&policy);
            let d = b.delay(n, Duration::MAX);
            prop_assert!(d <= policy.max_delay);
            let nominal = policy.initial_delay.saturating_mul(2u32.saturating_pow((n - 1).min(31))).min(policy.max_delay);
            prop_assert!(d >= nominal.mul_f64(1.0 - jitter) - Duration::from_millis(1));
        }
    }
}
