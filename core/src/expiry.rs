//! When a token expires and when to refresh it.
//!
//! Endpoints write it differently (docs/protocol.md §1.2, §1.3, §5 items 9–11): `expires_on` is
//! an integer, a float, a numeric string, an App Service 2017 date in Windows
//! (`1/16/2020 5:24:12 AM +00:00`) or Linux (`06/20/2019 02:57:58 +00:00`) form, or ISO-8601;
//! `expires_in` is a number or a numeric string. Numbers are tried before dates, because an epoch
//! read as a date is the bug users hit.

use std::time::Duration;

use chrono::DateTime;
use serde_json::Value;

use crate::time::UnixMillis;

/// Refresh this long before expiry, unless the lifetime calls for earlier.
const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);
/// Tokens living at least this long refresh at half their lifetime (MSAL's rule).
const LONG_LIFETIME: Duration = Duration::from_secs(2 * 60 * 60);

/// An absolute instant: unix seconds (number or numeric string) or a date string.
pub(crate) fn parse_instant(v: &Value) -> Option<UnixMillis> {
    if let Some(secs) = parse_seconds(v) {
        return Some(UnixMillis((secs * 1000.0) as u64));
    }
    let text = v.as_str()?.trim();
    const DATE_FORMATS: [&str; 2] = ["%m/%d/%Y %I:%M:%S %p %:z", "%m/%d/%Y %H:%M:%S %:z"];
    let parsed = DateTime::parse_from_rfc3339(text)
        .ok()
        .or_else(|| DATE_FORMATS.iter().find_map(|f| DateTime::parse_from_str(text, f).ok()))?;
    u64::try_from(parsed.timestamp_millis()).ok().map(UnixMillis)
}

/// A non-negative count of seconds, as a JSON number or a numeric string.
pub(crate) fn parse_seconds(v: &Value) -> Option<f64> {
    let secs = match v {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => {
            let s = s.trim();
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
                return None;
            }
            s.parse::<f64>().ok()?
        }
        _ => return None,
    };
    (0.0..1e13).contains(&secs).then_some(secs)
}

/// When to refresh a token received at `received` that expires at `expires_on`: at `refresh_in`
/// when the endpoint says; at half the lifetime for lifetimes of 2 h or more; else 5 minutes
/// before expiry, but never earlier than half the lifetime (so short tokens do not refresh at once).
pub(crate) fn refresh_on(
    received: UnixMillis,
    expires_on: UnixMillis,
    refresh_in: Option<Duration>,
) -> UnixMillis {
    let lifetime = expires_on.since(received);
    let half = received.plus(lifetime / 2);
    match refresh_in {
        Some(after) => received.plus(after).min(expires_on),
        None if lifetime >= LONG_LIFETIME => half,
        None => expires_on.minus(REFRESH_MARGIN).max(half),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(v: Value) -> Option<u64> {
        parse_instant(&v).map(|m| m.0)
    }

    #[test]
    fn every_expires_on_form() {
        assert_eq!(at(json!(1506484173)), Some(1_506_484_173_000));
        assert_eq!(at(json!(1506484173.5)), Some(1_506_484_173_500));
        assert_eq!(at(json!("1506484173")), Some(1_506_484_173_000));
        // 2020-01-16T05:24:12Z and 2019-06-20T02:57:58Z
        assert_eq!(at(json!("1/16/2020 5:24:12 AM +00:00")), Some(1_579_152_252_000));
        assert_eq!(at(json!("1/16/2020 5:24:12 PM +00:00")), Some(1_579_195_452_000));
        assert_eq!(at(json!("06/20/2019 02:57:58 +00:00")), Some(1_560_999_478_000));
        // 2021-07-02T08:00:34Z
        assert_eq!(at(json!("2021-07-02T08:00:34Z")), Some(1_625_212_834_000));
        assert_eq!(at(json!("2021-07-02 08:00:34Z")), Some(1_625_212_834_000));
        assert_eq!(at(json!("2021-07-02T10:00:34+02:00")), Some(1_625_212_834_000));
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            json!("soon"),
            json!(-5),
            json!(null),
            json!(true),
            json!(""),
            json!("1e5"),
            json!("12:00"),
        ] {
            assert_eq!(parse_instant(&bad), None, "{bad}");
        }
    }

    #[test]
    fn refresh_rules() {
        let t0 = UnixMillis(1_000_000);
        let hour = Duration::from_secs(3600);
        assert_eq!(refresh_on(t0, t0.plus(hour), None), t0.plus(Duration::from_secs(55 * 60)));
        assert_eq!(refresh_on(t0, t0.plus(hour * 3), None), t0.plus(hour * 3 / 2));
        assert_eq!(
            refresh_on(t0, t0.plus(Duration::from_secs(240)), None),
            t0.plus(Duration::from_secs(120))
        );
        assert_eq!(
            refresh_on(t0, t0.plus(hour), Some(Duration::from_secs(60))),
            t0.plus(Duration::from_secs(60))
        );
    }
}
