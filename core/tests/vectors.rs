//! Runs every shared vector in `tests/vectors/` (schema: `tests/vectors/README.md`) against the
//! core. All cases run; the failures are listed together at the end.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use azmi_core::wire::{self, WireError};
use azmi_core::{
    AccessToken, Action, ArmAction, ArmError, ArmFlow, ArmOutcome, ArmResponse, CacheKey, Config,
    Detection, EnvSnapshot, FetchTicket, Lookup, Outgoing, RequestId, Resource, TokenCache,
    TokenError, TokenFlow, TransportFailure, UnixMillis, WaitOutcome, WaitTicket,
};
use results::{arm_cloud, cache_token, error_from, given_token};
use serde_json::Value;

#[path = "support/results.rs"]
mod results;

const DEFAULT_START: u64 = 1_700_000_000_000;

type Outcome = Result<(), String>;

#[test]
fn shared_vectors() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors");
    let files = vector_files(&dir);
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let case: Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("{}: not JSON: {e}", file.display()));
                continue;
            }
        };
        let result = match case["kind"].as_str() {
            Some("flow") => run_flow(&case),
            Some("detect") => run_detect(&case),
            Some("cache") => run_cache(&case),
            Some("arm") => run_arm(&case),
            other => Err(format!("unknown kind {other:?}")),
        };
        if let Err(e) = result {
            let name = file.file_name().unwrap().to_string_lossy();
            failures.push(format!("{name}: {e}"));
        }
    }
    println!("{} vectors, {} failed", files.len(), failures.len());
    assert!(files.len() >= 60, "expected at least 60 vectors, found {}", files.len());
    assert!(
        failures.is_empty(),
        "{} of {} vectors failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

fn vector_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

// ---------------------------------------------------------------------------------------------
// Config and environment

/// The case's configuration, read as every binding reads it (`azmi_core::wire::config`, over
/// `azmi_core::Options`); a configuration the core refuses is the case's outcome.
fn config(case: &Value) -> Result<(Config, Resource), WireError> {
    wire::config(&case["config"])
}

/// The case's environment, read as every binding reads it (`azmi_core::wire`).
fn env(case: &Value) -> EnvSnapshot {
    wire::env(&case["env"], case["arc_agent_installed"].as_bool() == Some(true))
}

// ---------------------------------------------------------------------------------------------
// Flow cases

fn run_flow(case: &Value) -> Outcome {
    let (cfg, resource) = match config(case) {
        Ok(read) => read,
        Err(e) => return check_error(&case["outcome"], e.code, &e.message, None),
    };
    let mut now = UnixMillis(case["start_ms"].as_u64().unwrap_or(DEFAULT_START));
    let mut environment = env(case);
    let mut flow = match TokenFlow::new(&cfg, &environment, &resource, now) {
        Ok(flow) => flow,
        Err(e) => return check_error(&case["outcome"], e.code(), &e.to_string(), None),
    };
    let steps = case["steps"].as_array().cloned().unwrap_or_default();
    for (i, step) in steps.iter().enumerate() {
        let at = |e: String| format!("step {i}: {e}");
        if let Some(vars) = step.get("env") {
            environment = wire::env(vars, false);
            flow.handle_env(&environment);
            continue;
        }
        if let Some(ms) = step["advance_ms"].as_u64() {
            now = now.plus(Duration::from_millis(ms));
            continue;
        }
        let action = flow.poll(now);
        if step.get("send").is_some() {
            let Action::Send(out) = action else {
                return Err(at(format!("expected Send, got {action:?}")));
            };
            answer(step, out, &mut flow, &mut now).map_err(at)?;
        } else if step.get("wait_ms").is_some() {
            let Action::WaitUntil(until) = action else {
                return Err(at(format!("expected WaitUntil, got {action:?}")));
            };
            take_wait(step, until, &mut now).map_err(at)?;
        } else if let Some(read) = step.get("read_file") {
            let Action::ReadFile { id, path, max_bytes } = action else {
                return Err(at(format!("expected ReadFile, got {action:?}")));
            };
            expect_eq("read_file.path", read["path"].as_str(), Some(path.as_str())).map_err(at)?;
            if let Some(cap) = read["max_bytes"].as_u64() {
                expect_eq("read_file.max_bytes", cap, max_bytes).map_err(at)?;
            }
            let contents = match (step["file"].as_str(), step["file_error"].as_str()) {
                (Some(text), _) => Ok(text.as_bytes().to_vec()),
                (None, Some(e)) => Err(wire::file_failure(e)),
                (None, None) => return Err(at("read_file step without file or file_error".into())),
            };
            flow.handle_file(id, contents, now);
        } else {
            return Err(at(format!("unknown step {step}")));
        }
    }
    match flow.poll(now) {
        Action::Done(result) => check_outcome(&case["outcome"], result),
        other => Err(format!("after the last step expected Done, got {other:?}")),
    }
}

fn check_send(expected: &Value, out: &Outgoing) -> Outcome {
    let req = &out.request;
    if let Some(m) = expected["method"].as_str() {
        expect_eq("method", m, req.method().as_str())?;
    }
    let uri = req.uri();
    let url = format!(
        "{}://{}{}",
        uri.scheme_str().unwrap_or(""),
        uri.authority().map(|a| a.as_str()).unwrap_or(""),
        uri.path()
    );
    if let Some(u) = expected["url"].as_str() {
        expect_eq("url", u, url.as_str())?;
    }
    if let Some(q) = expected.get("query") {
        let got = pairs(uri.query().unwrap_or("").as_bytes());
        expect_eq("query", string_map(q), got)?;
    }
    if let Some(f) = expected.get("form") {
        expect_eq("form", string_map(f), pairs(req.body()))?;
    } else if let Some(json) = expected.get("json") {
        let got: Value =
            serde_json::from_slice(req.body()).map_err(|e| format!("body is not JSON: {e}"))?;
        expect_eq("json body", json, &got)?;
    } else if !req.body().is_empty() && expected.get("method").is_some() {
        return Err(format!("unexpected body {:?}", String::from_utf8_lossy(req.body())));
    }
    for (name, value) in expected["headers"].as_object().into_iter().flatten() {
        let got = req.headers().get(name.as_str()).and_then(|v| v.to_str().ok());
        expect_eq(&format!("header {name}"), value.as_str(), got)?;
    }
    for name in expected["absent_headers"].as_array().into_iter().flatten() {
        let name = name.as_str().unwrap_or_default();
        if req.headers().contains_key(name) {
            return Err(format!("header {name} must be absent"));
        }
    }
    if let Some(t) = expected["timeout_ms"].as_u64() {
        expect_eq("timeout_ms", t, out.timeout.as_millis() as u64)?;
    }
    if let Some(t) = expected["connect_timeout_ms"].as_u64() {
        expect_eq("connect_timeout_ms", t, out.connect_timeout.as_millis() as u64)?;
    }
    if let Some(pin) = expected.get("tls_pin") {
        expect_eq("tls_pin", pin.as_str(), out.tls_pin.as_deref())?;
    }
    Ok(())
}

fn check_outcome(expected: &Value, result: Result<AccessToken, TokenError>) -> Outcome {
    match result {
        Ok(token) => {
            let want = expected
                .get("token")
                .ok_or_else(|| format!("expected {expected}, got a token {}", describe(&token)))?;
            if let Some(t) = want["access_token"].as_str() {
                expect_eq("access_token", t, token.secret())?;
            }
            if let Some(t) = want["token_type"].as_str() {
                expect_eq("token_type", t, token.token_type.as_str())?;
            }
            if let Some(t) = want["expires_on_ms"].as_u64() {
                expect_eq("expires_on_ms", t, token.expires_on.0)?;
            }
            if let Some(t) = want["refresh_on_ms"].as_u64() {
                expect_eq("refresh_on_ms", t, token.refresh_on.0)?;
            }
            if let Some(r) = want["resource"].as_str() {
                expect_eq("resource", Some(r), token.resource.as_deref())?;
            }
            Ok(())
        }
        Err(e) => check_error(expected, e.code(), &e.to_string(), Some(e.attempts.len())),
    }
}

fn check_error(expected: &Value, code: &str, message: &str, attempts: Option<usize>) -> Outcome {
    let want = expected
        .get("error")
        .ok_or_else(|| format!("expected {expected}, got error {code}: {message}"))?;
    expect_eq("error code", want["code"].as_str(), Some(code))
        .map_err(|e| format!("{e} ({message})"))?;
    if let (Some(n), Some(got)) = (want["attempts"].as_u64(), attempts) {
        expect_eq("attempts", n as usize, got).map_err(|e| format!("{e} ({message})"))?;
    }
    for s in want["message_contains"].as_array().into_iter().flatten().filter_map(Value::as_str) {
        if !message.contains(s) {
            return Err(format!("message {message:?} lacks {s:?}"));
        }
    }
    for s in want["message_excludes"].as_array().into_iter().flatten().filter_map(Value::as_str) {
        if message.contains(s) {
            return Err(format!("message {message:?} contains {s:?}"));
        }
    }
    Ok(())
}

fn describe(t: &AccessToken) -> String {
    format!("(expires_on {}, refresh_on {})", t.expires_on.0, t.refresh_on.0)
}

// ---------------------------------------------------------------------------------------------
// Detection cases

fn run_detect(case: &Value) -> Outcome {
    let want = &case["outcome"];
    let (cfg, _) = match config(case) {
        Ok(read) => read,
        Err(e) if want.get("error").is_some() => {
            return check_error(want, e.code, &e.message, None)
        }
        Err(e) => return Err(e.to_string()),
    };
    let environment = env(case);
    if want.get("error").is_some() {
        // A detection that cannot resolve shows up as a config error when the flow is built.
        let resource = Resource::new("https://management.azure.com/").unwrap();
        return match TokenFlow::new(&cfg, &environment, &resource, UnixMillis(DEFAULT_START)) {
            Ok(f) => Err(format!("expected a config error, got {:?}", f.detection())),
            Err(e) => check_error(want, e.code(), &e.to_string(), None),
        };
    }
    let d = Detection::detect(cfg.source, &environment);
    expect_eq("source", want["source"].as_str(), Some(d.source.as_str()))?;
    if let Some(vars) = want["decided_by"].as_array() {
        let expected: BTreeSet<&str> = vars.iter().filter_map(Value::as_str).collect();
        let got: BTreeSet<&str> = d.decided_by.iter().copied().collect();
        expect_eq("decided_by", expected, got)?;
    }
    if let Some(forced) = want["forced"].as_bool() {
        expect_eq("forced", forced, d.forced)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Cache cases

fn run_cache(case: &Value) -> Outcome {
    let start = case["start_ms"].as_u64().unwrap_or(DEFAULT_START);
    let keys: BTreeMap<String, CacheKey> = case["keys"]
        .as_object()
        .ok_or("cache case without keys")?
        .iter()
        .map(|(name, k)| cache_key(k).map(|key| (name.clone(), key)))
        .collect::<Result<_, _>>()?;
    let mut cache = TokenCache::new();
    let mut tickets: BTreeMap<String, FetchTicket> = BTreeMap::new();
    let mut waiters: BTreeMap<String, WaitTicket> = BTreeMap::new();
    let ops = case["ops"].as_array().ok_or("cache case without ops")?;
    for (i, op) in ops.iter().enumerate() {
        let at = |e: String| format!("op {i}: {e}");
        let now = UnixMillis(start + op["at_ms"].as_u64().unwrap_or(0));
        let name = |field: &str| {
            op[field].as_str().map(str::to_owned).ok_or_else(|| at(format!("needs {field}")))
        };
        if let Some(k) = op["lookup"].as_str() {
            let key = keys.get(k).ok_or_else(|| at(format!("unknown key {k}")))?;
            let expect = op["expect"].as_str().unwrap_or_default();
            let want_token = op["access_token"].as_str();
            match (expect, cache.lookup(key, now)) {
                ("fresh", Lookup::Fresh(t)) | ("stale", Lookup::Stale(t, None)) => {
                    expect_eq("access_token", want_token, Some(t.secret())).map_err(at)?
                }
                ("stale_refresh", Lookup::Stale(t, Some(ticket))) => {
                    expect_eq("access_token", want_token, Some(t.secret())).map_err(at)?;
                    tickets.insert(name("ticket")?, ticket);
                }
                ("fetch", Lookup::Fetch(ticket)) => {
                    tickets.insert(name("ticket")?, ticket);
                }
                ("wait", Lookup::Wait(w)) => {
                    waiters.insert(name("waiter")?, w);
                }
                (want, got) => return Err(at(format!("expected {want}, got {got:?}"))),
            }
        } else if let Some(t) = op["complete"].as_str() {
            let ticket = tickets.remove(t).ok_or_else(|| at(format!("unknown ticket {t}")))?;
            let result = match (&op["token"], op.get("error")) {
                (Value::Object(tok), _) => Ok(cache_token(tok, start, now)),
                (_, Some(e)) => Err(error_from(e)),
                _ => return Err(at("complete without token or error".into())),
            };
            let _ = cache.complete(ticket, result, now);
        } else if let Some(w) = op["poll_wait"].as_str() {
            let waiter = waiters.get(w).ok_or_else(|| at(format!("unknown waiter {w}")))?;
            let expect = op["expect"].as_str().unwrap_or_default();
            match (expect, cache.poll_wait(waiter, now)) {
                ("pending", WaitOutcome::Pending) | ("abandoned", WaitOutcome::Abandoned) => {}
                ("token", WaitOutcome::Ready(Ok(t))) => {
                    expect_eq("access_token", op["access_token"].as_str(), Some(t.secret()))
                        .map_err(at)?
                }
                ("error", WaitOutcome::Ready(Err(e))) => {
                    expect_eq("code", op["code"].as_str(), Some(e.code())).map_err(at)?
                }
                (want, got) => return Err(at(format!("expected {want}, got {got:?}"))),
            }
        } else {
            return Err(at(format!("unknown op {op}")));
        }
    }
    Ok(())
}

fn cache_key(k: &Value) -> Result<CacheKey, String> {
    wire::cache_key(k).map_err(|e| e.to_string())
}

// ---------------------------------------------------------------------------------------------
// What token and ARM flows share: answering a Send, taking a wait

/// A flow that takes HTTP answers.
trait Answerable {
    fn response(&mut self, id: RequestId, resp: http::Response<Vec<u8>>, now: UnixMillis);
    fn transport_error(&mut self, id: RequestId, err: TransportFailure, now: UnixMillis);
}

impl Answerable for TokenFlow {
    fn response(&mut self, id: RequestId, resp: http::Response<Vec<u8>>, now: UnixMillis) {
        self.handle_response(id, resp, now)
    }
    fn transport_error(&mut self, id: RequestId, err: TransportFailure, now: UnixMillis) {
        self.handle_transport_error(id, err, now)
    }
}

impl Answerable for ArmFlow {
    fn response(&mut self, id: RequestId, resp: http::Response<Vec<u8>>, now: UnixMillis) {
        self.handle_response(id, resp, now)
    }
    fn transport_error(&mut self, id: RequestId, err: TransportFailure, now: UnixMillis) {
        self.handle_transport_error(id, err, now)
    }
}

/// Checks `out` against the step's `send`, moves the clock by `elapsed_ms`, hands over the answer.
fn answer(
    step: &Value,
    out: Outgoing,
    flow: &mut impl Answerable,
    now: &mut UnixMillis,
) -> Outcome {
    check_send(&step["send"], &out)?;
    *now = now.plus(Duration::from_millis(step["elapsed_ms"].as_u64().unwrap_or(0)));
    if let Some(resp) = step.get("response") {
        flow.response(out.id, wire::response(resp).map_err(|e| e.message)?, *now);
    } else if let Some(kind) = step["transport_error"].as_str() {
        flow.transport_error(out.id, wire::transport_failure(kind), *now);
    } else {
        return Err("send step without response or transport_error".into());
    }
    Ok(())
}

/// Checks a `WaitUntil(until)` against the step's `wait_ms` and jumps the clock there.
fn take_wait(step: &Value, until: UnixMillis, now: &mut UnixMillis) -> Outcome {
    let waited = until.0.saturating_sub(now.0);
    let (lo, hi) = match &step["wait_ms"] {
        Value::Array(r) => (r[0].as_u64().unwrap_or(0), r[1].as_u64().unwrap_or(0)),
        v => (v.as_u64().unwrap_or(0), v.as_u64().unwrap_or(0)),
    };
    if waited < lo || waited > hi {
        return Err(format!("expected a wait of {lo}..={hi} ms, got {waited} ms"));
    }
    *now = until;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// ARM cases

fn run_arm(case: &Value) -> Outcome {
    let cfg = wire::arm_config(&case["config"]).map_err(|e| format!("config: {e}"))?;
    let cloud = match arm_cloud(case)? {
        Ok(cloud) => cloud,
        Err(e) => return check_arm_error(&case["outcome"], &e),
    };
    let mut now = UnixMillis(case["start_ms"].as_u64().unwrap_or(DEFAULT_START));
    let flow = match case["resume"].as_str() {
        Some(token) => ArmFlow::resume(&cfg, &cloud, token, now),
        None => {
            wire::arm_request(&case["operation"]).and_then(|r| ArmFlow::new(&cfg, &cloud, &r, now))
        }
    };
    let mut flow = match flow {
        Ok(flow) => flow,
        Err(e) => return check_arm_error(&case["outcome"], &e),
    };
    for (i, step) in case["steps"].as_array().into_iter().flatten().enumerate() {
        let at = |e: String| format!("step {i}: {e}");
        if let Some(ms) = step["advance_ms"].as_u64() {
            now = now.plus(Duration::from_millis(ms));
            continue;
        }
        if step.get("continuation").is_some() {
            let token =
                flow.continuation_token().ok_or_else(|| at("no continuation token".into()))?;
            flow = ArmFlow::resume(&cfg, &cloud, &token, now)
                .map_err(|e| at(format!("resume: {e}")))?;
            continue;
        }
        let action = flow.poll(now);
        if let Some(want) = step.get("token") {
            let ArmAction::NeedToken { resource, refresh } = action else {
                return Err(at(format!("expected NeedToken, got {action:?}")));
            };
            expect_eq("token resource", want["resource"].as_str(), Some(resource.as_str()))
                .map_err(at)?;
            expect_eq("token refresh", want["refresh"].as_bool().unwrap_or(false), refresh)
                .map_err(at)?;
            let token = given_token(step, now)
                .ok_or_else(|| at("token step without give or give_error".into()))?;
            flow.handle_token(token, now);
        } else if step.get("send").is_some() {
            let ArmAction::Send(out) = action else {
                return Err(at(format!("expected Send, got {action:?}")));
            };
            answer(step, out, &mut flow, &mut now).map_err(at)?;
        } else if step.get("wait_ms").is_some() {
            let ArmAction::WaitUntil(until) = action else {
                return Err(at(format!("expected WaitUntil, got {action:?}")));
            };
            take_wait(step, until, &mut now).map_err(at)?;
        } else {
            return Err(at(format!("unknown step {step}")));
        }
    }
    match flow.poll(now) {
        ArmAction::Done(Ok(outcome)) => check_arm_outcome(&case["outcome"], outcome),
        ArmAction::Done(Err(e)) => check_arm_error(&case["outcome"], &e),
        other => Err(format!("after the last step expected Done, got {other:?}")),
    }
}

fn check_arm_outcome(expected: &Value, outcome: ArmOutcome) -> Outcome {
    let last = match outcome {
        ArmOutcome::Response(r) => {
            let want = expected
                .get("response")
                .ok_or_else(|| format!("expected {expected}, got response {r:?}"))?;
            if let Some(status) = want["status"].as_u64() {
                expect_eq("status", status as u16, r.status)?;
            }
            if let Some(body) = want.get("body") {
                expect_eq("body", body, &r.body)?;
            }
            r
        }
        ArmOutcome::Items { items, last } => {
            let want = expected
                .get("items")
                .ok_or_else(|| format!("expected {expected}, got {} items", items.len()))?;
            expect_eq("items", want, &Value::Array(items))?;
            last
        }
        ArmOutcome::Exists { exists, last } => {
            expect_eq("exists", expected["exists"].as_bool(), Some(exists))?;
            last
        }
        ArmOutcome::Cloud(cloud) => {
            let want = expected
                .get("cloud")
                .ok_or_else(|| format!("expected {expected}, got {cloud:?}"))?;
            expect_eq("arm_endpoint", want["arm_endpoint"].as_str(), Some(cloud.endpoint()))?;
            return expect_eq(
                "resource",
                want["resource"].as_str(),
                Some(cloud.resource().as_str()),
            );
        }
    };
    check_response_extras(expected, &last)
}

fn check_response_extras(expected: &Value, last: &ArmResponse) -> Outcome {
    for (name, value) in expected["rate_limits"].as_object().into_iter().flatten() {
        expect_eq(
            &format!("rate limit {name}"),
            value.as_str(),
            last.rate_limits.0.get(name).map(String::as_str),
        )?;
    }
    if let Some(id) = expected["request_id"].as_str() {
        expect_eq("request_id", Some(id), last.request_id.as_deref())?;
    }
    Ok(())
}

fn check_arm_error(expected: &Value, e: &ArmError) -> Outcome {
    let message = e.to_string();
    check_error(expected, e.code(), &message, None)?;
    let want = &expected["error"];
    let body = e.body.as_deref();
    if let Some(status) = want["status"].as_u64() {
        expect_eq("status", Some(status as u16), e.status)
            .map_err(|x| format!("{x} ({message})"))?;
    }
    if let Some(code) = want["arm_code"].as_str() {
        expect_eq("arm_code", Some(code), body.and_then(|b| b.code.as_deref()))?;
    }
    if let Some(target) = want["target"].as_str() {
        expect_eq("target", Some(target), body.and_then(|b| b.target.as_deref()))?;
    }
    if let Some(n) = want["details_count"].as_u64() {
        expect_eq("details_count", n as usize, body.map_or(0, |b| b.details.len()))?;
    }
    if let Some(id) = want["request_id"].as_str() {
        expect_eq("request_id", Some(id), e.request_id.as_deref())?;
    }
    if let Some(id) = want["correlation_id"].as_str() {
        expect_eq("correlation_id", Some(id), e.correlation_id.as_deref())?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Helpers

fn pairs(bytes: &[u8]) -> BTreeMap<String, String> {
    form_urlencoded::parse(bytes).into_owned().collect()
}

fn string_map(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string())))
        .collect()
}

fn expect_eq<T: PartialEq + std::fmt::Debug>(what: &str, expected: T, got: T) -> Outcome {
    if expected == got {
        Ok(())
    } else {
        Err(format!("{what}: expected {expected:?}, got {got:?}"))
    }
}
