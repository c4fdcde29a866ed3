//! What a cache case's fetches deliver, and an ARM case's cloud and tokens, shared by the shared-vector runners of the native core
//! (`core/tests/vectors.rs`) and of the WebAssembly component (`host/tests/component.rs`), so both
//! hand their engine the very same tokens and errors.

use std::time::Duration;

use azmi_core::{
    AccessToken, Action, ArmError, Cloud, Config, EnvSnapshot, Resource, TokenError, TokenFlow,
    UnixMillis,
};
use serde_json::{Map, Value};

/// A token as a fetch would deliver it; without `refresh_on_ms`, the core's refresh rule applies
/// from the completion instant, as for a parsed response.
pub fn cache_token(tok: &Map<String, Value>, start: u64, now: UnixMillis) -> AccessToken {
    let secret = tok["access_token"].as_str().unwrap_or_default();
    let expires_on = UnixMillis(start + tok["expires_on_ms"].as_u64().unwrap_or(0));
    if let Some(r) = tok.get("refresh_on_ms").and_then(Value::as_u64) {
        return AccessToken::new(secret, "Bearer", expires_on, UnixMillis(start + r));
    }
    let body =
        format!(r#"{{"access_token":"{secret}","expires_on":{}}}"#, expires_on.0 as f64 / 1000.0);
    // Parse through the core so the documented refresh rule is the one under test.
    parse_via_flow(&body, now)
}

fn parse_via_flow(body: &str, now: UnixMillis) -> AccessToken {
    let env = EnvSnapshot::from_vars([("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:1")]);
    let resource = Resource::new("https://management.azure.com/").unwrap();
    let mut flow = TokenFlow::new(&Config::default(), &env, &resource, now).unwrap();
    let Action::Send(out) = flow.poll(now) else { panic!("expected Send") };
    flow.handle_response(out.id, http::Response::new(body.as_bytes().to_vec()), now);
    match flow.poll(now) {
        Action::Done(Ok(t)) => t,
        other => panic!("cache token did not parse: {other:?}"),
    }
}

/// A failed fetch, from the vector's token error in the `wire` form (kind and status exact).
pub fn error_from(v: &Value) -> TokenError {
    azmi_core::wire::token_error_from(v, None).expect("a vector's token error in the wire form")
}

/// An ARM case's cloud: the public one, one by name, or a custom one, which the core may refuse
/// (the case's outcome then says how). `Err` is a case the runner cannot read.
pub fn arm_cloud(case: &Value) -> Result<Result<Cloud, ArmError>, String> {
    Ok(match &case["cloud"] {
        Value::Null => Ok(Cloud::public()),
        Value::String(name) => Ok(Cloud::from_name(name).ok_or(format!("unknown cloud {name}"))?),
        custom => {
            let endpoint = custom["arm_endpoint"].as_str().unwrap_or_default();
            Cloud::custom(endpoint, custom["resource"].as_str().unwrap_or_default())
        }
    })
}

/// What an ARM case's token step gives the flow at `now`: a token (`give`, valid for an hour) or
/// a token error (`give_error`); `None` when the step has neither.
pub fn given_token(step: &Value, now: UnixMillis) -> Option<Result<AccessToken, TokenError>> {
    match (step["give"].as_str(), step.get("give_error")) {
        (Some(t), _) => Some(Ok(AccessToken::new(
            t,
            "Bearer",
            now.plus(Duration::from_secs(3600)),
            now.plus(Duration::from_secs(3300)),
        ))),
        (None, Some(e)) => Some(Err(error_from(e))),
        _ => None,
    }
}
