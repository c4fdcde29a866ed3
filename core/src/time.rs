//! Time as data: the caller says what time it is; the core never reads a clock.

use std::time::Duration;

/// An instant as milliseconds since the Unix epoch (UTC). Crosses WIT and FFI as a `u64`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct UnixMillis(pub u64);

impl UnixMillis {
    /// The instant `secs` seconds after the epoch, saturating.
    pub fn from_secs(secs: u64) -> Self {
        UnixMillis(secs.saturating_mul(1000))
    }

    /// This instant plus `d`, saturating at the end of time.
    pub fn plus(self, d: Duration) -> Self {
        UnixMillis(self.0.saturating_add(duration_ms(d)))
    }

    /// This instant minus `d`, saturating at the epoch.
    pub fn minus(self, d: Duration) -> Self {
        UnixMillis(self.0.saturating_sub(duration_ms(d)))
    }

    /// Time from `earlier` to `self`; zero when `earlier` is later.
    pub fn since(self, earlier: UnixMillis) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

/// A clock that only moves forward: a `now` older than the last one is ignored.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Monotonic(UnixMillis);

impl Monotonic {
    pub(crate) fn new(now: UnixMillis) -> Self {
        Monotonic(now)
    }

    /// Moves to `now` unless that is in the past, and returns the current instant.
    pub(crate) fn advance(&mut self, now: UnixMillis) -> UnixMillis {
        self.0 = self.0.max(now);
        self.0
    }
}

/// Whole milliseconds of `d`, saturating.
pub(crate) fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Serde for a `Duration` as whole milliseconds (the JSON forms name such fields `*_ms`).
pub(crate) mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(super::duration_ms(*d))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}

/// Serde for an optional `Duration` as whole milliseconds or `null`.
pub(crate) mod millis_opt {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&super::duration_ms(*d)),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Duration>, D::Error> {
        Option::<u64>::deserialize(d).map(|ms| ms.map(Duration::from_millis))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monotonic_ignores_the_past() {
        let mut clock = Monotonic::new(UnixMillis(1000));
        assert_eq!(clock.advance(UnixMillis(500)), UnixMillis(1000));
        assert_eq!(clock.advance(UnixMillis(1500)), UnixMillis(1500));
    }

    #[test]
    fn arithmetic_saturates() {
        assert_eq!(UnixMillis(5).minus(Duration::from_secs(1)), UnixMillis(0));
        assert_eq!(UnixMillis(u64::MAX).plus(Duration::from_secs(1)), UnixMillis(u64::MAX));
        assert_eq!(UnixMillis(5).since(UnixMillis(9)), Duration::ZERO);
    }
}
