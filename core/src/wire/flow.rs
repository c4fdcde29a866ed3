//! A token flow and source detection with JSON in and out.

use serde_json::{json, Value};

use super::{config, env, file_failure, response, send, token, token_error, transport_failure};
use super::{source_kind, WireError};
use crate::action::{Action, RequestId};
use crate::flow::TokenFlow;
use crate::source::Detection;
use crate::time::UnixMillis;

/// One token acquisition (`TokenFlow`) driven with JSON values.
#[derive(Debug)]
pub struct JsonTokenFlow {
    flow: TokenFlow,
}

impl JsonTokenFlow {
    /// Starts a flow from a configuration object and an environment object.
    pub fn new(
        cfg: &Value,
        vars: &Value,
        arc_agent_installed: bool,
        now: u64,
    ) -> Result<Self, WireError> {
        let (cfg, resource) = config(cfg)?;
        let environment = env(vars, arc_agent_installed);
        let flow = TokenFlow::new(&cfg, &environment, &resource, UnixMillis(now))
            .map_err(|e| WireError::of("config", e))?;
        Ok(JsonTokenFlow { flow })
    }

    /// The next action: `send`, `wait_until_ms`, `read_file` or `done`.
    pub fn poll(&mut self, now: u64) -> Value {
        match self.flow.poll(UnixMillis(now)) {
            Action::Send(out) => send(&out),
            Action::WaitUntil(t) => json!({"wait_until_ms": t.0}),
            Action::ReadFile { id, path, max_bytes } => {
                json!({"read_file": {"id": id.0, "path": path, "max_bytes": max_bytes}})
            }
            Action::Done(Ok(t)) => json!({"done": {"token": token(&t)}}),
            Action::Done(Err(e)) => json!({"done": {"error": token_error(&e)}}),
        }
    }

    /// The answer to request `id`: `{"status", "headers", "body"}`.
    pub fn handle_response(&mut self, id: u64, resp: &Value, now: u64) -> Result<(), WireError> {
        self.flow.handle_response(RequestId(id), response(resp)?, UnixMillis(now));
        Ok(())
    }

    /// Request `id` failed in transport (`timeout`, `connection_refused`, ...).
    pub fn handle_transport_error(&mut self, id: u64, kind: &str, now: u64) {
        self.flow.handle_transport_error(RequestId(id), transport_failure(kind), UnixMillis(now));
    }

    /// The contents of file read `id`, or its failure by name (`not_found`, ...).
    pub fn handle_file(&mut self, id: u64, contents: Result<Vec<u8>, &str>, now: u64) {
        let contents = contents.map_err(file_failure);
        self.flow.handle_file(RequestId(id), contents, UnixMillis(now));
    }

    /// A newer environment snapshot (a rotated secret header).
    pub fn handle_env(&mut self, vars: &Value, arc_agent_installed: bool) {
        self.flow.handle_env(&env(vars, arc_agent_installed));
    }
}

/// Which source a configuration and environment choose, and why:
/// `{"source", "decided_by": […], "forced", "explain"}`.
pub fn detect(cfg: &Value, vars: &Value, arc_agent_installed: bool) -> Result<Value, WireError> {
    let forced = cfg["source"].as_str().map(source_kind).transpose()?;
    let d = Detection::detect(forced, &env(vars, arc_agent_installed));
    Ok(json!({
        "source": d.source.as_str(),
        "decided_by": d.decided_by,
        "forced": d.forced,
        "explain": d.explain(),
    }))
}
