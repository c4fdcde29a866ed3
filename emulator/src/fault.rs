//! Faults a test queues for an endpoint; each request to that endpoint takes the next one.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::env::SOURCES;

/// Endpoint names faults and the request log use: the identity sources ([`SOURCES`]), then `arm`
/// (every ARM route, discovery included).
pub const ENDPOINTS: &[&str] = &{
    let mut names = ["arm"; SOURCES.len() + 1];
    let mut i = 0;
    while i < SOURCES.len() {
        names[i] = SOURCES[i];
        i += 1;
    }
    names
};

/// Longest [`Fault::Latency`] or [`Fault::Hang`]: a test can never stall a connection for longer.
pub const MAX_FAULT_DELAY: Duration = Duration::from_secs(120);

/// What the next request to an endpoint gets instead of (or on top of) the normal answer.
///
/// JSON form (`POST /_emulator/faults`): an object tagged by `kind`, or for kinds without fields
/// just the name: `{"kind": "status", "status": 503, "headers": [["x-a", "b"]], "body": "…"}`,
/// `"gone"`, `{"kind": "throttle", "retry_after_secs": 2}`, `{"kind": "latency", "ms": 500}`,
/// `{"kind": "hang", "ms": 5000}`, `"drop"`, `{"kind": "missing_field", "field": "expires_on"}`,
/// `"malformed"`, `"oversized"`, `"docker_desktop_403"`, `"identity_not_found"`, `"pass"`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Answer exactly this: status, extra headers, body (`content-type` defaults to JSON when the
    /// body looks like JSON, else plain text).
    Status {
        /// HTTP status.
        status: u16,
        /// Extra headers.
        headers: Vec<(String, String)>,
        /// Body, verbatim.
        body: String,
    },
    /// `410 Gone`, as IMDS answers while it is being updated (clients should wait up to 70 s).
    Gone,
    /// `429` with `Retry-After: <retry_after_secs>` and the endpoint's error shape.
    Throttle {
        /// Value of the `Retry-After` header, in seconds.
        retry_after_secs: u64,
    },
    /// Wait this long (at most [`MAX_FAULT_DELAY`]), then answer normally.
    Latency(Duration),
    /// Wait this long (at most [`MAX_FAULT_DELAY`]) without answering, then close the connection.
    Hang(Duration),
    /// Close the connection without answering.
    Drop,
    /// Answer normally but leave this top-level field out of the JSON body.
    MissingField(String),
    /// `200` whose body is not JSON (an HTML page, as a captive proxy would answer).
    Malformed,
    /// `200` with the normal JSON plus padding, over 64 KiB in all.
    Oversized,
    /// Docker Desktop's answer for `169.254.169.254` on machines without IMDS: `403`, plain text,
    /// `connectex: A socket operation was attempted to an unreachable network.`
    DockerDesktop403,
    /// The endpoint's own "identity not found" error (status and body shape per source).
    IdentityNotFound,
    /// Answer normally: lets a queue reach a later request (`[Pass, Drop]` drops the second).
    Pass,
}

impl Fault {
    /// Faults in their JSON form, as `POST /_emulator/faults` and `azmi emulate --fault` take
    /// them: `["gone", {"kind": "throttle", "retry_after_secs": 2}]`.
    pub fn parse_list(json: &str) -> Result<Vec<Fault>, String> {
        let list: Vec<FaultJson> =
            serde_json::from_str(json).map_err(|e| format!("not a JSON list of faults: {e}"))?;
        list.into_iter().map(Fault::try_from).collect()
    }

    /// Short name, as the request log and the control API write it.
    pub fn kind(&self) -> &'static str {
        match self {
            Fault::Status { .. } => "status",
            Fault::Gone => "gone",
            Fault::Throttle { .. } => "throttle",
            Fault::Latency(_) => "latency",
            Fault::Hang(_) => "hang",
            Fault::Drop => "drop",
            Fault::MissingField(_) => "missing_field",
            Fault::Malformed => "malformed",
            Fault::Oversized => "oversized",
            Fault::DockerDesktop403 => "docker_desktop_403",
            Fault::IdentityNotFound => "identity_not_found",
            Fault::Pass => "pass",
        }
    }
}

/// The JSON form of a [`Fault`] for `POST /_emulator/faults`: an object tagged by `kind`
/// (`{"kind": "throttle", "retry_after_secs": 3}`), or just the kind's name for those without
/// fields (`"drop"`).
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
pub(crate) enum FaultJson {
    Name(String),
    Tagged(TaggedFault),
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum TaggedFault {
    Status {
        status: u16,
        #[serde(default)]
        headers: Vec<(String, String)>,
        #[serde(default)]
        body: String,
    },
    Gone,
    Throttle {
        retry_after_secs: u64,
    },
    Latency {
        ms: u64,
    },
    Hang {
        ms: u64,
    },
    Drop,
    MissingField {
        field: String,
    },
    Malformed,
    Oversized,
    #[serde(rename = "docker_desktop_403")]
    DockerDesktop403,
    IdentityNotFound,
    Pass,
}

impl TryFrom<FaultJson> for Fault {
    type Error = String;

    fn try_from(json: FaultJson) -> Result<Fault, String> {
        let tagged = match json {
            FaultJson::Tagged(t) => t,
            FaultJson::Name(name) => serde_json::from_value(serde_json::json!({ "kind": name }))
                .map_err(|_| {
                    format!("unknown fault {name:?} or it needs fields (write it as an object)")
                })?,
        };
        Ok(match tagged {
            TaggedFault::Status { status, headers, body } => {
                if !(100..=999).contains(&status) {
                    return Err(format!("status {status} is not an HTTP status"));
                }
                Fault::Status { status, headers, body }
            }
            TaggedFault::Gone => Fault::Gone,
            TaggedFault::Throttle { retry_after_secs } => Fault::Throttle { retry_after_secs },
            TaggedFault::Latency { ms } => Fault::Latency(Duration::from_millis(ms)),
            TaggedFault::Hang { ms } => Fault::Hang(Duration::from_millis(ms)),
            TaggedFault::Drop => Fault::Drop,
            TaggedFault::MissingField { field } => Fault::MissingField(field),
            TaggedFault::Malformed => Fault::Malformed,
            TaggedFault::Oversized => Fault::Oversized,
            TaggedFault::DockerDesktop403 => Fault::DockerDesktop403,
            TaggedFault::IdentityNotFound => Fault::IdentityNotFound,
            TaggedFault::Pass => Fault::Pass,
        })
    }
}

impl From<&Fault> for TaggedFault {
    fn from(f: &Fault) -> TaggedFault {
        match f.clone() {
            Fault::Status { status, headers, body } => {
                TaggedFault::Status { status, headers, body }
            }
            Fault::Gone => TaggedFault::Gone,
            Fault::Throttle { retry_after_secs } => TaggedFault::Throttle { retry_after_secs },
            Fault::Latency(d) => TaggedFault::Latency { ms: millis(d) },
            Fault::Hang(d) => TaggedFault::Hang { ms: millis(d) },
            Fault::Drop => TaggedFault::Drop,
            Fault::MissingField(field) => TaggedFault::MissingField { field },
            Fault::Malformed => TaggedFault::Malformed,
            Fault::Oversized => TaggedFault::Oversized,
            Fault::DockerDesktop403 => TaggedFault::DockerDesktop403,
            Fault::IdentityNotFound => TaggedFault::IdentityNotFound,
            Fault::Pass => TaggedFault::Pass,
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Pending faults per endpoint name.
#[derive(Default)]
pub(crate) struct FaultQueues {
    queues: HashMap<String, VecDeque<Fault>>,
}

impl FaultQueues {
    pub fn push(&mut self, endpoint: &str, faults: Vec<Fault>) {
        self.queues.entry(endpoint.to_owned()).or_default().extend(faults);
    }

    pub fn pop(&mut self, endpoint: &str) -> Option<Fault> {
        self.queues.get_mut(endpoint).and_then(VecDeque::pop_front)
    }

    pub fn clear(&mut self) {
        self.queues.clear();
    }

    /// Pending faults as JSON, by endpoint.
    pub fn to_json(&self) -> serde_json::Value {
        let mut out = serde_json::Map::new();
        for (endpoint, queue) in &self.queues {
            if !queue.is_empty() {
                let list: Vec<TaggedFault> = queue.iter().map(TaggedFault::from).collect();
                out.insert(endpoint.clone(), serde_json::to_value(list).unwrap_or_default());
            }
        }
        serde_json::Value::Object(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_forms_round_trip() {
        let all = vec![
            Fault::Status {
                status: 503,
                headers: vec![("a".into(), "b".into())],
                body: "x".into(),
            },
            Fault::Gone,
            Fault::Throttle { retry_after_secs: 3 },
            Fault::Latency(Duration::from_millis(250)),
            Fault::Hang(Duration::from_secs(1)),
            Fault::Drop,
            Fault::MissingField("expires_on".into()),
            Fault::Malformed,
            Fault::Oversized,
            Fault::DockerDesktop403,
            Fault::IdentityNotFound,
            Fault::Pass,
        ];
        for f in all {
            let json = serde_json::to_value(TaggedFault::from(&f)).unwrap();
            assert_eq!(json["kind"], f.kind());
            let back: FaultJson = serde_json::from_value(json).unwrap();
            assert_eq!(Fault::try_from(back).unwrap(), f);
        }
    }

    #[test]
    fn endpoints_are_the_core_sources_then_arm() {
        let sources: Vec<&str> = azmi_core::SourceKind::ALL.map(|k| k.as_str()).to_vec();
        assert_eq!(SOURCES, sources);
        assert_eq!(ENDPOINTS, [SOURCES, &["arm"]].concat());
    }

    #[test]
    fn bare_names_for_kinds_without_fields() {
        let f: FaultJson = serde_json::from_str("\"docker_desktop_403\"").unwrap();
        assert_eq!(Fault::try_from(f).unwrap(), Fault::DockerDesktop403);
        let f: FaultJson = serde_json::from_str("\"throttle\"").unwrap();
        assert!(Fault::try_from(f).is_err());
        let f: FaultJson = serde_json::from_str("\"nonsense\"").unwrap();
        assert!(Fault::try_from(f).is_err());
    }
}
