//! The control API under `/_emulator/` on the main port, for tests and tools in other languages.
//! No authentication: the emulator listens on 127.0.0.1 only, and everything here is test
//! scaffolding (it hands out the emulator's secrets on purpose).

use http::Method;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::env::{arm_env, env_for, SOURCES};
use crate::fault::{Fault, FaultJson, ENDPOINTS};
use crate::http_util::Reply;
use crate::http_util::Req;
use crate::shared::{lock, Shared};

#[derive(Deserialize)]
struct FaultRequest {
    endpoint: String,
    faults: Vec<FaultJson>,
}

fn bad_request(message: &str) -> Reply {
    Reply::json(400, &json!({ "error": message }))
}

pub(crate) fn handle(shared: &Shared, req: &Req) -> Reply {
    let path = req.path.trim_end_matches('/');
    match (&req.method, path) {
        (&Method::GET, "/_emulator/info") => Reply::json(200, &info(shared)),
        (&Method::GET, "/_emulator/requests") => {
            let log: Vec<Value> = lock(&shared.log).iter().map(|r| r.to_json()).collect();
            Reply::json(200, &Value::Array(log))
        }
        (&Method::GET, "/_emulator/faults") => Reply::json(200, &lock(&shared.faults).to_json()),
        (&Method::POST, "/_emulator/faults") => {
            let request: FaultRequest = match serde_json::from_slice(&req.body) {
                Ok(r) => r,
                Err(e) => {
                    return bad_request(&format!("expected {{\"endpoint\", \"faults\"}}: {e}"))
                }
            };
            if !ENDPOINTS.contains(&request.endpoint.as_str()) {
                return bad_request(&format!(
                    "unknown endpoint {:?}; one of {}",
                    request.endpoint,
                    ENDPOINTS.join(", ")
                ));
            }
            let faults: Result<Vec<Fault>, String> =
                request.faults.into_iter().map(Fault::try_from).collect();
            match faults {
                Ok(faults) => {
                    let queued = faults.len();
                    lock(&shared.faults).push(&request.endpoint, faults);
                    Reply::json(200, &json!({ "queued": queued }))
                }
                Err(e) => bad_request(&e),
            }
        }
        (&Method::POST, "/_emulator/reset") => {
            reset(shared);
            Reply::empty(204)
        }
        (&Method::POST, "/_emulator/rotate-identity-header") => {
            Reply::json(200, &json!({ "identity_header": rotate_identity_header(shared) }))
        }
        _ => Reply::json(
            404,
            &json!({
                "error": "unknown control route",
                "routes": [
                    "GET /_emulator/info",
                    "GET /_emulator/requests",
                    "GET /_emulator/faults",
                    "POST /_emulator/faults",
                    "POST /_emulator/reset",
                    "POST /_emulator/rotate-identity-header",
                ],
            }),
        ),
    }
}

/// Clears faults and the log and returns ARM to its state at start.
pub(crate) fn reset(shared: &Shared) {
    lock(&shared.faults).clear();
    lock(&shared.log).clear();
    lock(&shared.arm).reset();
}

pub(crate) fn rotate_identity_header(shared: &Shared) -> String {
    let fresh = crate::random::hex(16).to_ascii_uppercase();
    lock(&shared.secrets).identity_header = fresh.clone();
    fresh
}

fn info(shared: &Shared) -> Value {
    let env: serde_json::Map<String, Value> = SOURCES
        .iter()
        .map(|s| {
            let vars: serde_json::Map<String, Value> =
                env_for(shared, s).into_iter().map(|(k, v)| (k, Value::String(v))).collect();
            ((*s).to_owned(), Value::Object(vars))
        })
        .collect();
    json!({
        "http_url": shared.http_base,
        "arm_endpoint": shared.http_base,
        "arm_https_endpoint": shared.arm_https_base,
        "ca_file": shared.ca_file.display().to_string(),
        "ca_bundle": shared.ca_bundle.display().to_string(),
        "ca_pem": shared.ca_pem,
        "arm_env": arm_env(shared)
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect::<serde_json::Map<String, Value>>(),
        "https_url": shared.https_base,
        "legacy_url": shared.legacy_base,
        "tenant_id": shared.cfg.tenant_id,
        "identities": shared.cfg.identities,
        "subscriptions": shared.cfg.subscriptions,
        "sf_thumbprint": shared.sf_thumbprint,
        "arc_key_dir": shared.arc_dir.display().to_string(),
        "public_key_pem": shared.signer.public_key_pem(),
        "endpoints": ENDPOINTS,
        "env": env,
    })
}
