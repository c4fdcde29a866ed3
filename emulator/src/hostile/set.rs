//! Servers by name: the standard behaviours a case table refers to, and a set of them with a
//! control server.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::control::Registry;
use super::server::{Behaviour, Hostile, Role};

/// The JWT-shaped token the `token` server hands out.
pub const TOKEN: &str = "hostile-token-eyJhbGciOiJub25lIn0.c2VjcmV0.sig";
/// A token with no recognisable shape, handed out by the `token_opaque` server: it can only be
/// masked by its value.
pub const OPAQUE_TOKEN: &str = "opaque-bearer-5b2e8d17c4a9";
/// Identity sources cap bodies at 64 KiB; `oversized` is well past it.
const OVERSIZED: usize = 100 * 1024;
/// Resource Manager caps bodies at 16 MiB by default; `oversized_arm` is past it.
const OVERSIZED_ARM: usize = 17 * 1024 * 1024;

/// Every server name [`behaviour`] knows, in start order (a redirect's target before it).
pub const NAMES: &[&str] = &[
    "token",
    "token_opaque",
    "silent",
    "trickle",
    "endless",
    "oversized",
    "oversized_arm",
    "redirect_target",
    "redirect",
    "echo_400_text",
    "echo_400_json",
    "echo_500_text",
    "echo_500_json",
    "echo_values_400",
    "echo_values_500",
    "html",
    "invalid_utf8",
    "expires_in_negative",
    "expires_in_huge",
    "expires_in_not_a_number",
    "expires_on_past",
    "expires_on_9999",
];

/// The behaviour a standard server name stands for, or `None` for an unknown name. `redirect`
/// needs the address of its target (`redirect_target`, a token endpoint that must never be
/// reached); the other names ignore `target`.
pub fn behaviour(name: &str, target: Option<std::net::SocketAddr>) -> Option<Behaviour> {
    let expiry = |field: &str, value: &str| Behaviour::Json {
        status: 200,
        body: token_body(TOKEN, &[(field, value.to_owned())]),
    };
    let echo = |status, json| Behaviour::Echo { status, json };
    Some(match name {
        "token" | "redirect_target" => Behaviour::Json { status: 200, body: good_body(TOKEN) },
        "token_opaque" => Behaviour::Json { status: 200, body: good_body(OPAQUE_TOKEN) },
        "silent" => Behaviour::Silent,
        "trickle" => Behaviour::Trickle,
        "endless" => Behaviour::Endless,
        "oversized" => Behaviour::Oversized(OVERSIZED),
        "oversized_arm" => Behaviour::Oversized(OVERSIZED_ARM),
        "redirect" => Behaviour::Redirect(target?),
        "echo_400_text" => echo(400, false),
        "echo_400_json" => echo(400, true),
        "echo_500_text" => echo(500, false),
        "echo_500_json" => echo(500, true),
        "echo_values_400" => Behaviour::EchoValues { status: 400 },
        "echo_values_500" => Behaviour::EchoValues { status: 500 },
        "html" => Behaviour::Html,
        "invalid_utf8" => Behaviour::InvalidUtf8,
        "expires_in_negative" => expiry("expires_in", "-300"),
        "expires_in_huge" => expiry("expires_in", "99999999999999999999999"),
        "expires_in_not_a_number" => expiry("expires_in", "soon"),
        "expires_on_past" => expiry("expires_on", "1000000000"),
        "expires_on_9999" => expiry("expires_on", "253402300799"),
        _ => return None,
    })
}

/// A token answer for `token` with the given expiry fields, as strings the way IMDS sends them.
pub fn token_body(token: &str, expiry: &[(&str, String)]) -> String {
    let mut body = serde_json::json!({
        "access_token": token,
        "token_type": "Bearer",
        "resource": "https://management.azure.com/",
    });
    for (name, value) in expiry {
        body[*name] = serde_json::Value::String(value.clone());
    }
    body.to_string()
}

/// A well-formed answer carrying `token`, valid for an hour from now.
fn good_body(token: &str) -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    token_body(token, &[("expires_in", "3600".into()), ("expires_on", (now + 3600).to_string())])
}

/// Named servers and the control server that reports what each saw.
///
/// Control API (JSON, no authentication; loopback only): `GET /stats` gives every server's
/// connection count; `GET /stats?server=NAME&text=TEXT` gives `{"connections": n, "received":
/// bool}`, whether a request head `NAME` received (of its latest 256) contains `TEXT`;
/// `POST /reset` zeroes every count and forgets every head.
pub struct HostileSet {
    servers: BTreeMap<String, Hostile>,
    control: Hostile,
}

impl HostileSet {
    /// Every server of [`NAMES`], each ending after `lifetime`.
    pub fn start(lifetime: Duration) -> std::io::Result<Self> {
        Self::start_only(NAMES, lifetime)
    }

    /// The servers `names` (and a redirect's target), each ending after `lifetime`. An unknown
    /// name is an `InvalidInput` error.
    pub fn start_only(names: &[&str], lifetime: Duration) -> std::io::Result<Self> {
        if let Some(name) = names.iter().find(|n| !NAMES.contains(*n)) {
            return Err(unknown(name));
        }
        let mut wanted: Vec<&str> = names.to_vec();
        if wanted.contains(&"redirect") {
            wanted.push("redirect_target");
        }
        let mut servers = BTreeMap::new();
        // In `NAMES` order, so a redirect's target runs before the redirect.
        for name in NAMES.iter().copied().filter(|n| wanted.contains(n)) {
            let target = servers.get("redirect_target").map(Hostile::addr);
            let behaviour = behaviour(name, target).ok_or_else(|| unknown(name))?;
            servers.insert(name.to_owned(), Hostile::start_for(behaviour, lifetime)?);
        }
        let registry = servers.iter().map(|(name, server)| (name.clone(), server.stats()));
        let registry = Arc::new(Registry::new(registry.collect()));
        let control = Hostile::serve(Role::Control(registry), lifetime)?;
        Ok(HostileSet { servers, control })
    }

    /// The server called `name`. Panics if the set has none (a test's mistake).
    pub fn server(&self, name: &str) -> &Hostile {
        self.servers.get(name).unwrap_or_else(|| panic!("no hostile server {name:?} in this set"))
    }

    /// The URL of the server called `name` (panics as [`HostileSet::server`]).
    pub fn url(&self, name: &str) -> String {
        self.server(name).url()
    }

    /// The control server's URL.
    pub fn control_url(&self) -> String {
        self.control.url()
    }

    /// What the `azmi-hostile` binary prints: `{"servers": {name: url}, "control": url,
    /// "token": TOKEN, "opaque_token": OPAQUE_TOKEN}`.
    pub fn describe(&self) -> serde_json::Value {
        let servers: serde_json::Map<String, serde_json::Value> =
            self.servers.iter().map(|(name, s)| (name.clone(), s.url().into())).collect();
        serde_json::json!({
            "servers": servers,
            "control": self.control_url(),
            "token": TOKEN,
            "opaque_token": OPAQUE_TOKEN,
        })
    }
}

fn unknown(name: &str) -> std::io::Error {
    let problem = format!("no hostile server called {name:?}; known: {}", NAMES.join(", "));
    std::io::Error::new(std::io::ErrorKind::InvalidInput, problem)
}
