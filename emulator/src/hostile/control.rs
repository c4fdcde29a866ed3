//! The control API of a [`super::HostileSet`]: what each server saw, for tests in another
//! process (a redirect target that must see no connection, an echo that must have received the
//! secret).

use std::sync::Arc;

use super::server::Stats;

/// The servers of a set, by name.
pub(crate) struct Registry {
    servers: Vec<(String, Arc<Stats>)>,
}

impl Registry {
    pub(crate) fn new(servers: Vec<(String, Arc<Stats>)>) -> Self {
        Registry { servers }
    }

    /// The status and JSON body answering the request whose head is `head`.
    pub(crate) fn answer(&self, head: &str) -> (u16, String) {
        let mut words = head.split_whitespace();
        let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or("/"));
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let query: Vec<(String, String)> =
            form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        let param = |key: &str| query.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
        match (method, path) {
            ("POST", "/reset") => {
                self.servers.iter().for_each(|(_, stats)| stats.reset());
                (200, "{}".into())
            }
            ("GET", "/stats") => match param("server") {
                None => {
                    let all: serde_json::Map<String, serde_json::Value> = self
                        .servers
                        .iter()
                        .map(|(name, s)| (name.clone(), serde_json::json!(s.connections())))
                        .collect();
                    (200, serde_json::json!({ "connections": all }).to_string())
                }
                Some(name) => match self.servers.iter().find(|(n, _)| n == name) {
                    Some((_, stats)) => {
                        let received = param("text").map(|text| stats.received(text));
                        let body = serde_json::json!({
                            "connections": stats.connections(),
                            "received": received,
                        });
                        (200, body.to_string())
                    }
                    None => (404, serde_json::json!({ "error": "no such server" }).to_string()),
                },
            },
            _ => (404, serde_json::json!({ "error": "GET /stats or POST /reset" }).to_string()),
        }
    }
}
