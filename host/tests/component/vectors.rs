//! Every shared vector, through the native core and through the component, step by step.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use azmi_core::wire;
use azmi_core::{
    Action, ArmAction, ArmConfig, Config, ConfigError, EnvSnapshot, Naming, Options, UnixMillis,
};
use azmi_host::component::wit::{arm as wa, identity as wi};
use serde_json::Value;

use crate::engines::{seen_action, seen_arm_action, Answer, Engine, Seen};
use crate::results::{arm_cloud, cache_token, error_from, given_token};
use crate::support::{instance, ARM, DEFAULT_START};

#[test]
fn every_shared_vector_gives_identical_results_through_the_component() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let wasm = Engine::Wasm(instance());
    let mut failures = Vec::new();
    let mut steps = 0;
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let case: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        let native = run(&Engine::Native, &case);
        let component = run(&wasm, &case);
        match (native, component) {
            (Ok(n), Ok(c)) if n == c => match check_outcome(&case, &c) {
                Ok(()) => steps += c.len(),
                Err(e) => failures.push(format!("{name}: {e}")),
            },
            (Ok(n), Ok(c)) => {
                let at = n.iter().zip(&c).position(|(a, b)| a != b).unwrap_or(n.len().min(c.len()));
                failures.push(format!(
                    "{name}: differs at step {at}: native {:?} / component {:?}",
                    n.get(at),
                    c.get(at)
                ));
            }
            (n, c) => {
                failures.push(format!("{name}: runner failed: native {n:?} / component {c:?}"))
            }
        }
    }
    println!(
        "{} vectors through the component, {} failed; {steps} observations identical to the native core",
        files.len(),
        failures.len()
    );
    assert!(files.len() >= 60, "expected at least 60 vectors, found {}", files.len());
    assert!(failures.is_empty(), "{} vectors differ:\n{}", failures.len(), failures.join("\n"));
}

/// Runs one vector through `engine`, recording everything the engine shows.
fn run(engine: &Engine, case: &Value) -> Result<Vec<Seen>, String> {
    match case["kind"].as_str() {
        Some("flow") => run_flow(engine, case),
        Some("detect") => run_detect(engine, case),
        Some("cache") => run_cache(engine, case),
        Some("arm") => run_arm(engine, case),
        other => Err(format!("unknown kind {other:?}")),
    }
}

/// The case's configuration through the one options record every surface uses; both engines
/// then get the same `Config`.
fn config(case: &Value) -> Result<Config, ConfigError> {
    let (options, _) =
        Options::from_json_with(case["config"].clone(), Naming::Snake, &["resource", "scopes"])?;
    options.config()
}

fn audience(case: &Value) -> wi::Audience {
    match (&case["config"]["resource"], &case["config"]["scopes"]) {
        (Value::String(r), _) => wi::Audience::Resource(r.clone()),
        (_, Value::Array(s)) => {
            wi::Audience::Scopes(s.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        }
        _ => wi::Audience::Scopes(Vec::new()),
    }
}

fn env(case: &Value) -> EnvSnapshot {
    wire::env(&case["env"], case["arc_agent_installed"] == true)
}

fn start(case: &Value) -> UnixMillis {
    UnixMillis(case["start_ms"].as_u64().unwrap_or(DEFAULT_START))
}

fn run_flow(engine: &Engine, case: &Value) -> Result<Vec<Seen>, String> {
    let mut seen = Vec::new();
    let mut now = start(case);
    let flow =
        config(case).and_then(|cfg| engine.token_flow(&cfg, &env(case), &audience(case), now));
    let mut flow = match flow {
        Ok(flow) => flow,
        Err(e) => return Ok(vec![Seen::Config(e)]),
    };
    seen.push(Seen::Detected(flow.detection()));
    for (i, step) in case["steps"].as_array().into_iter().flatten().enumerate() {
        if let Some(vars) = step.get("env") {
            flow.env(&wire::env(vars, false));
            continue;
        }
        if let Some(ms) = step["advance_ms"].as_u64() {
            now = now.plus(Duration::from_millis(ms));
            continue;
        }
        let action = flow.poll(now);
        match (&action, step) {
            (Action::Send(out), _) if step.get("send").is_some() => {
                let id = out.id;
                now = now.plus(Duration::from_millis(step["elapsed_ms"].as_u64().unwrap_or(0)));
                flow.answer(id, answer(step)?, now);
            }
            (Action::WaitUntil(until), _) if step.get("wait_ms").is_some() => {
                // Why it waits crosses the boundary too, and must match.
                seen.push(Seen::WaitReason(flow.wait_reason()));
                now = *until
            }
            (Action::ReadFile { id, .. }, _) if step.get("read_file").is_some() => {
                let contents = match (step["file"].as_str(), step["file_error"].as_str()) {
                    (Some(text), _) => Ok(text.as_bytes().to_vec()),
                    (None, Some(e)) => Err(wire::file_failure(e)),
                    _ => return Err(format!("step {i}: read_file without file or file_error")),
                };
                flow.file(*id, contents, now);
            }
            _ => return Err(format!("step {i}: {step} met {action:?}")),
        }
        seen.push(seen_action(action));
    }
    seen.push(seen_action(flow.poll(now)));
    Ok(seen)
}

fn run_detect(engine: &Engine, case: &Value) -> Result<Vec<Seen>, String> {
    let cfg = match config(case) {
        Ok(cfg) => cfg,
        Err(e) => return Ok(vec![Seen::Config(e)]),
    };
    let env = env(case);
    let mut seen = vec![Seen::Detected(engine.detect(cfg.source, &env))];
    // What a flow decides on top (a forced source missing its variables is a config error).
    let audience = wi::Audience::Resource(ARM.to_owned());
    match engine.token_flow(&cfg, &env, &audience, UnixMillis(DEFAULT_START)) {
        Ok(flow) => seen.push(Seen::Detected(flow.detection())),
        Err(e) => seen.push(Seen::Config(e)),
    }
    Ok(seen)
}

fn run_cache(engine: &Engine, case: &Value) -> Result<Vec<Seen>, String> {
    let start = case["start_ms"].as_u64().unwrap_or(DEFAULT_START);
    let mut keys = BTreeMap::new();
    for (name, k) in case["keys"].as_object().into_iter().flatten() {
        keys.insert(name.clone(), wire::cache_key(k).map_err(|e| e.to_string())?);
    }
    let mut cache = engine.cache();
    let mut seen = Vec::new();
    for op in case["ops"].as_array().into_iter().flatten() {
        let now = UnixMillis(start + op["at_ms"].as_u64().unwrap_or(0));
        if let Some(k) = op["lookup"].as_str() {
            let name = op["ticket"].as_str().or(op["waiter"].as_str());
            seen.push(cache.lookup(&keys[k], now, name));
        } else if let Some(t) = op["complete"].as_str() {
            let result = match (&op["token"], op.get("error")) {
                (Value::Object(tok), _) => Ok(cache_token(tok, start, now)),
                (_, Some(e)) => Err(error_from(e)),
                _ => return Err(format!("complete without token or error: {op}")),
            };
            seen.push(cache.complete(t, result, now));
        } else if let Some(w) = op["poll_wait"].as_str() {
            seen.push(cache.poll_wait(w, now));
        } else {
            return Err(format!("unknown op {op}"));
        }
    }
    Ok(seen)
}

fn run_arm(engine: &Engine, case: &Value) -> Result<Vec<Seen>, String> {
    let c = &case["config"];
    let mut cfg = ArmConfig::default();
    let ms = |name: &str| c[name].as_u64().map(Duration::from_millis);
    cfg.deadline = ms("deadline_ms").unwrap_or(cfg.deadline);
    cfg.attempt_timeout = ms("attempt_timeout_ms").unwrap_or(cfg.attempt_timeout);
    cfg.lro_poll_delay = ms("lro_poll_delay_ms").unwrap_or(cfg.lro_poll_delay);
    cfg.retry.initial_delay = ms("initial_delay_ms").unwrap_or(cfg.retry.initial_delay);
    cfg.retry.max_delay = ms("max_delay_ms").unwrap_or(cfg.retry.max_delay);
    cfg.retry.max_retries = c["max_retries"].as_u64().map_or(cfg.retry.max_retries, |n| n as u32);
    cfg.retry.jitter = c["jitter"].as_f64().unwrap_or(cfg.retry.jitter);
    cfg.retry.seed = c["seed"].as_u64().unwrap_or(cfg.retry.seed);
    let cloud = match arm_cloud(case)? {
        Ok(cloud) => cloud,
        Err(e) => return Ok(vec![Seen::ArmRefused(e)]),
    };
    let mut now = start(case);
    let flow = match case["resume"].as_str() {
        Some(token) => engine.arm_resume(&cfg, &cloud, token, now),
        None => engine.arm_flow(&cfg, &cloud, &case["operation"], now),
    };
    let mut flow = match flow {
        Ok(flow) => flow,
        Err(e) => return Ok(vec![Seen::ArmRefused(e)]),
    };
    let mut seen = Vec::new();
    for (i, step) in case["steps"].as_array().into_iter().flatten().enumerate() {
        if let Some(ms) = step["advance_ms"].as_u64() {
            now = now.plus(Duration::from_millis(ms));
            continue;
        }
        if step.get("continuation").is_some() {
            let token = flow.continuation();
            seen.push(Seen::Continuation(token.clone()));
            let token = token.ok_or(format!("step {i}: no continuation token"))?;
            flow = match engine.arm_resume(&cfg, &cloud, &token, now) {
                Ok(flow) => flow,
                Err(e) => return Err(format!("step {i}: resume: {e}")),
            };
            continue;
        }
        let action = flow.poll(now);
        match &action {
            ArmAction::NeedToken { .. } if step.get("token").is_some() => {
                let token = given_token(step, now)
                    .ok_or(format!("step {i}: token step without give or give_error"))?;
                flow.token(token, now);
            }
            ArmAction::Send(out) if step.get("send").is_some() => {
                let id = out.id;
                now = now.plus(Duration::from_millis(step["elapsed_ms"].as_u64().unwrap_or(0)));
                flow.answer(id, answer(step)?, now);
            }
            ArmAction::WaitUntil(until) if step.get("wait_ms").is_some() => {
                seen.push(Seen::WaitReason(flow.wait_reason()));
                now = *until
            }
            _ => return Err(format!("step {i}: {step} met {action:?}")),
        }
        seen.push(seen_arm_action(action));
    }
    seen.push(seen_arm_action(flow.poll(now)));
    Ok(seen)
}

pub(crate) fn wit_request(op: &Value) -> wa::ArmRequest {
    let s = |k: &str| op[k].as_str().map(str::to_owned);
    let sub = || s("subscription_id").unwrap_or_default();
    let name = || s("name").unwrap_or_default();
    let group = || wa::GroupRef { subscription_id: sub(), name: name() };
    let mut api_version = s("api_version");
    let operation = match op["op"].as_str().unwrap_or_default() {
        "discover_cloud" => wa::ArmOperation::DiscoverCloud,
        "list_subscriptions" => wa::ArmOperation::ListSubscriptions,
        "get_subscription" => wa::ArmOperation::GetSubscription(sub()),
        "list_resource_groups" => wa::ArmOperation::ListResourceGroups(wa::ListResourceGroups {
            subscription_id: sub(),
            filter: s("filter"),
            top: op["top"].as_u64().map(|t| t as u32),
        }),
        "get_resource_group" => wa::ArmOperation::GetResourceGroup(group()),
        "resource_group_exists" => wa::ArmOperation::ResourceGroupExists(group()),
        "create_or_update_resource_group" => {
            wa::ArmOperation::CreateOrUpdateResourceGroup(wa::CreateResourceGroup {
                subscription_id: sub(),
                name: name(),
                location: s("location").unwrap_or_default(),
                tags_json: op.get("tags").map(Value::to_string),
            })
        }
        "delete_resource_group" => wa::ArmOperation::DeleteResourceGroup(wa::DeleteResourceGroup {
            subscription_id: sub(),
            name: name(),
            force_deletion_types: s("force_deletion_types"),
        }),
        "request" => {
            let api = api_version.take().unwrap_or_default();
            wa::ArmOperation::Generic(wa::GenericRequest {
                method: s("method").unwrap_or_else(|| "GET".to_owned()),
                path: s("path").unwrap_or_default(),
                api_version: api,
                body_json: op.get("body").map(Value::to_string),
                paged: op["paged"] == true,
                long_running: op["lro"] == true,
            })
        }
        other => panic!("unknown ARM op {other:?}"),
    };
    wa::ArmRequest { operation, api_version, query: Vec::new() }
}

fn answer(step: &Value) -> Result<Answer, String> {
    if let Some(v) = step.get("response") {
        return wire::response(v).map(Ok).map_err(|e| e.message);
    }
    let kind = step["transport_error"].as_str().ok_or("no response or transport_error")?;
    Ok(Err(wire::transport_failure(kind)))
}

/// The vector's own expectation about the end, checked on what the component showed (so the
/// comparison above cannot pass by both engines skipping the case).
fn check_outcome(case: &Value, seen: &[Seen]) -> Result<(), String> {
    let want = &case["outcome"];
    let code = want["error"]["code"].as_str();
    let last = seen.last().ok_or("nothing seen")?;
    let ok = match (case["kind"].as_str(), last) {
        (_, Seen::Config(e)) => code == Some(e.code()),
        (Some("detect"), Seen::Detected(d)) => want["source"].as_str() == Some(d.source.as_str()),
        (_, Seen::Done(Ok(t))) => {
            want["token"].is_object()
                && want["token"]["access_token"].as_str().is_none_or(|s| s == t.secret)
        }
        (_, Seen::Done(Err(e))) => code == Some(e.code()),
        (_, Seen::ArmRefused(e)) | (_, Seen::ArmDone(Err(e))) => code == Some(e.code()),
        (_, Seen::ArmDone(Ok(_))) => code.is_none() && want.is_object(),
        (Some("cache"), _) => {
            let ops = case["ops"].as_array().ok_or("no ops")?;
            return ops.iter().zip(seen).try_for_each(|(op, s)| match (op["expect"].as_str(), s) {
                (Some(kind), Seen::Lookup(got, ..)) if op.get("lookup").is_some() => {
                    if kind == *got {
                        Ok(())
                    } else {
                        Err(format!("expected {kind}, got {got}"))
                    }
                }
                _ => Ok(()),
            });
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("expected {want}, got {last:?}"))
    }
}
