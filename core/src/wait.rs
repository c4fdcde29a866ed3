//! Why a flow waits before its next request, as the flow decided it: a retry after a failed
//! attempt (its status or transport failure) or another poll of a long-running operation (ARM's
//! status), and what set the wait's length (the server's `Retry-After`, the backoff, or the poll
//! interval). Flows hand it out while they wait (`TokenFlow::wait_reason`,
//! `ArmFlow::wait_reason`), so hosts can log each wait with its reason without judging
//! responses themselves.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::AttemptResult;

/// Why a flow waits, and for how long it decided to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitReason {
    /// What the wait is for.
    pub cause: WaitCause,
    /// The length the flow chose (the wait ends this long after the answer that caused it).
    #[serde(rename = "delay_ms", with = "crate::time::millis")]
    pub delay: Duration,
    /// What set that length.
    pub set_by: DelaySetBy,
}

/// What a wait is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum WaitCause {
    /// Another attempt of the same request.
    Retry {
        /// Which retry comes next (1: the second attempt).
        retry: u32,
        /// What the failed attempt got.
        after: AttemptResult,
    },
    /// A long-running operation is still running; it is polled again.
    Poll {
        /// The status of the answer that said so.
        status: u16,
        /// ARM's `status` or `provisioningState`, when the answer had one.
        state: Option<String>,
    },
}

/// What set the length of a wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DelaySetBy {
    /// The server's `Retry-After` (or `retry-after-ms`, `x-ms-retry-after-ms`).
    RetryAfter,
    /// The retry policy's exponential backoff.
    Backoff,
    /// The configured interval between polls (no `Retry-After`).
    PollInterval,
}

impl DelaySetBy {
    /// `retry_after`, `backoff` or `poll_interval`.
    pub fn as_str(self) -> &'static str {
        match self {
            DelaySetBy::RetryAfter => "retry_after",
            DelaySetBy::Backoff => "backoff",
            DelaySetBy::PollInterval => "poll_interval",
        }
    }
}

impl fmt::Display for WaitReason {
    /// E.g. `retry 2 after 429, waiting 1500 ms (Retry-After)`; never a header value or body.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.cause {
            WaitCause::Retry { retry, after: AttemptResult::Status(s) } => {
                write!(f, "retry {retry} after status {s}")?
            }
            WaitCause::Retry { retry, after: AttemptResult::Transport(t) } => {
                write!(f, "retry {retry} after a transport failure ({t})")?
            }
            WaitCause::Poll { status, state: Some(state) } => {
                write!(f, "operation still running (status {status}, {state})")?
            }
            WaitCause::Poll { status, state: None } => {
                write!(f, "operation still running (status {status})")?
            }
        }
        let by = match self.set_by {
            DelaySetBy::RetryAfter => "Retry-After",
            DelaySetBy::Backoff => "backoff",
            DelaySetBy::PollInterval => "poll interval",
        };
        write!(f, ", waiting {} ms ({by})", self.delay.as_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::TransportFailure;

    #[test]
    fn display_and_json_name_the_cause_and_what_set_the_wait() {
        let r = WaitReason {
            cause: WaitCause::Retry { retry: 2, after: AttemptResult::Status(429) },
            delay: Duration::from_millis(1500),
            set_by: DelaySetBy::RetryAfter,
        };
        assert_eq!(r.to_string(), "retry 2 after status 429, waiting 1500 ms (Retry-After)");
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"cause": {"kind": "retry", "retry": 2, "after": {"status": 429}},
                "delay_ms": 1500, "set_by": "retry_after"})
        );
        assert_eq!(serde_json::from_value::<WaitReason>(json).unwrap(), r);
        let t = WaitReason {
            cause: WaitCause::Retry {
                retry: 1,
                after: AttemptResult::Transport(TransportFailure::Timeout),
            },
            delay: Duration::from_millis(800),
            set_by: DelaySetBy::Backoff,
        };
        assert_eq!(
            t.to_string(),
            "retry 1 after a transport failure (timed out), waiting 800 ms (backoff)"
        );
        let p = WaitReason {
            cause: WaitCause::Poll { status: 200, state: Some("Deleting".into()) },
            delay: Duration::from_secs(1),
            set_by: DelaySetBy::PollInterval,
        };
        assert_eq!(
            p.to_string(),
            "operation still running (status 200, Deleting), waiting 1000 ms (poll interval)"
        );
    }
}
