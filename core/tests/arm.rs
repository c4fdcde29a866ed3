//! ARM flow scenarios beyond the shared vectors: token lifetime across a long operation,
//! redaction of the bearer token, and robustness against arbitrary answers.

use std::time::Duration;

use azmi_core::{
    AccessToken, ArmAction, ArmConfig, ArmFlow, ArmOperation, ArmOutcome, ArmRequest,
    AttemptResult, Cloud, DelaySetBy, TransportFailure, UnixMillis, WaitCause, WaitReason,
};
use proptest::prelude::*;

const START: u64 = 1_700_000_000_000;

fn cloud() -> Cloud {
    Cloud::custom("http://127.0.0.1:8443", "https://management.azure.com/").unwrap()
}

fn token(secret: &str, now: u64, life_s: u64) -> AccessToken {
    AccessToken::new(
        secret,
        "Bearer",
        UnixMillis(now + life_s * 1000),
        UnixMillis(now + life_s * 500),
    )
}

fn reply(status: u16, headers: &[(&str, &str)], body: &str) -> http::Response<Vec<u8>> {
    let mut b = http::Response::builder().status(status);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(body.as_bytes().to_vec()).unwrap()
}

/// Issue 14 item 5: every wait of an ARM flow comes with the core's reason: a retry (the status
/// and whether Retry-After set the wait) or another poll (ARM's status and provisioning state).
#[test]
fn each_wait_has_its_reason() {
    let mut cfg = ArmConfig::default();
    cfg.retry.jitter = 0.0;
    cfg.lro_poll_delay = Duration::from_millis(700);
    let req = ArmRequest::create_or_update_resource_group("sub-1", "rg1", "westeurope", None);
    let mut flow = ArmFlow::new(&cfg, &cloud(), &req.unwrap(), UnixMillis(START)).unwrap();
    let op = [("azure-asyncoperation", "http://127.0.0.1:8443/op/1")];
    let mut answers = vec![
        reply(201, &op, r#"{"properties":{"provisioningState":"Creating"}}"#),
        reply(429, &[("retry-after", "2")], "{}"),
        reply(200, &[], r#"{"status":"InProgress"}"#),
        reply(200, &[], r#"{"status":"Succeeded"}"#),
        reply(200, &[], r#"{"name":"rg1"}"#),
    ]
    .into_iter();
    let (mut now, mut reasons) = (START, Vec::new());
    for _ in 0..50 {
        match flow.poll(UnixMillis(now)) {
            ArmAction::NeedToken { .. } => {
                flow.handle_token(Ok(token("t", now, 3600)), UnixMillis(now))
            }
            ArmAction::Send(out) => {
                let answer = answers.next().expect("no request after the final read");
                flow.handle_response(out.id, answer, UnixMillis(now));
            }
            ArmAction::WaitUntil(t) => {
                let reason = flow.wait_reason().cloned().expect("a wait between requests");
                assert_eq!(t.0 - now, reason.delay.as_millis() as u64);
                reasons.push(reason);
                now = t.0;
            }
            ArmAction::Done(result) => {
                assert!(result.is_ok(), "{result:?}");
                break;
            }
        }
    }
    let poll = |status, state: &str, delay| WaitReason {
        cause: WaitCause::Poll { status, state: Some(state.to_owned()) },
        delay: Duration::from_millis(delay),
        set_by: DelaySetBy::PollInterval,
    };
    assert_eq!(
        reasons,
        vec![
            poll(201, "Creating", 700),
            WaitReason {
                cause: WaitCause::Retry { retry: 1, after: AttemptResult::Status(429) },
                delay: Duration::from_secs(2),
                set_by: DelaySetBy::RetryAfter,
            },
            poll(200, "InProgress", 700),
        ]
    );
}

/// A delete polled for longer than its first token lives asks for a new token mid-way, and the
/// bearer token never shows in Debug output.
#[test]
fn long_polls_renew_the_token_and_hide_it() {
    let mut cfg = ArmConfig::default();
    cfg.lro_poll_delay = Duration::from_secs(60);
    let req = ArmRequest::delete_resource_group("sub-1", "rg1", None).unwrap();
    let mut flow = ArmFlow::new(&cfg, &cloud(), &req, UnixMillis(START)).unwrap();
    let mut now = START;
    let mut tokens_asked = 0;
    let mut polls = 0;
    for _ in 0..100 {
        match flow.poll(UnixMillis(now)) {
            ArmAction::NeedToken { refresh, .. } => {
                assert!(!refresh);
                tokens_asked += 1;
                // A short-lived token: 3 minutes.
                flow.handle_token(
                    Ok(token(&format!("bearer-SECRET-{tokens_asked}"), now, 180)),
                    UnixMillis(now),
                );
            }
            ArmAction::Send(out) => {
                let dump = format!("{out:?}");
                assert!(!dump.contains("bearer-SECRET"), "{dump}");
                let auth = out.request.headers()["authorization"].to_str().unwrap().to_owned();
                assert_eq!(auth, format!("Bearer bearer-SECRET-{tokens_asked}"));
                let resp = if out.request.method() == http::Method::DELETE {
                    reply(202, &[("location", "http://127.0.0.1:8443/op/1")], "")
                } else {
                    polls += 1;
                    if polls < 5 {
                        reply(202, &[], "")
                    } else {
                        reply(200, &[], "")
                    }
                };
                flow.handle_response(out.id, resp, UnixMillis(now));
            }
            ArmAction::WaitUntil(t) => now = t.0,
            ArmAction::Done(result) => {
                assert!(
                    matches!(result, Ok(ArmOutcome::Response(ref r)) if r.status == 200),
                    "{result:?}"
                );
                assert!(tokens_asked >= 2, "a 3-minute token cannot cover 5 minutes of polling");
                return;
            }
        }
    }
    panic!("did not finish");
}

fn any_reply() -> impl Strategy<Value = (u16, Vec<(&'static str, String)>, String)> {
    let header = prop_oneof![
        Just("retry-after"),
        Just("location"),
        Just("azure-asyncoperation"),
        Just("x-ms-ratelimit-remaining-subscription-reads"),
    ];
    let value = prop_oneof![
        "[0-9]{1,3}",
        Just("http://127.0.0.1:8443/op/x".to_owned()),
        Just("https://elsewhere.example/op".to_owned()),
    ];
    let body = prop_oneof![
        Just(String::new()),
        Just(r#"{"status":"InProgress"}"#.to_owned()),
        Just(r#"{"status":"Succeeded"}"#.to_owned()),
        Just(r#"{"status":"Failed","error":{"code":"X"}}"#.to_owned()),
        Just(r#"{"value":[1],"nextLink":"http://127.0.0.1:8443/next?p=2"}"#.to_owned()),
        Just(r#"{"value":[],"nextLink":"https://elsewhere.example/x"}"#.to_owned()),
        "[ -~]{0,30}",
    ];
    (
        prop_oneof![
            Just(200u16),
            Just(201),
            Just(202),
            Just(204),
            Just(401),
            Just(404),
            Just(429),
            Just(500),
            100u16..600
        ],
        proptest::collection::vec((header, value), 0..3),
        body,
    )
}

proptest! {
    /// Whatever ARM answers, every operation ends before its deadline, without panicking, and
    /// never sends to another host.
    #[test]
    fn arm_flows_always_end(op in 0usize..5, replies in proptest::collection::vec(any_reply(), 1..15), transport_every in 0usize..6) {
        let req = match op {
            0 => ArmRequest::list_subscriptions(),
            1 => ArmRequest::delete_resource_group("s", "rg", None).unwrap(),
            2 => ArmRequest::create_or_update_resource_group("s", "rg", "westeurope", None).unwrap(),
            3 => ArmRequest::resource_group_exists("s", "rg").unwrap(),
            _ => ArmRequest::new(ArmOperation::Generic {
                method: "POST".into(),
                path: "/x".into(),
                api_version: "1".into(),
                body: Some(serde_json::json!({})),
                paged: false,
                long_running: true,
            }).unwrap(),
        };
        let mut cfg = ArmConfig::default();
        cfg.deadline = Duration::from_secs(300);
        let mut flow = ArmFlow::new(&cfg, &cloud(), &req, UnixMillis(START)).unwrap();
        let mut now = START;
        let mut replies = replies.into_iter().cycle();
        // Each request takes 1 s and the deadline is 300 s: at most 300 sends of at most three
        // steps each (token, send, wait), so 1000 steps always suffice for a flow that ends.
        for i in 0..1000 {
            match flow.poll(UnixMillis(now)) {
                ArmAction::NeedToken { .. } => flow.handle_token(Ok(token("t", now, 3600)), UnixMillis(now)),
                ArmAction::Send(out) => {
                    prop_assert_eq!(out.request.uri().host(), Some("127.0.0.1"));
                    prop_assert!(now < START + 300_000);
                    now += 1000;
                    if transport_every > 0 && i % transport_every == 0 {
                        flow.handle_transport_error(out.id, TransportFailure::Timeout, UnixMillis(now));
                        continue;
                    }
                    let (status, headers, body) = replies.next().unwrap();
                    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
                    flow.handle_response(out.id, reply(status, &headers, &body), UnixMillis(now));
                }
                ArmAction::WaitUntil(t) => {
                    prop_assert!(t.0 >= now);
                    now = t.0;
                }
                ArmAction::Done(_) => return Ok(()),
            }
        }
        prop_assert!(false, "ARM flow did not end in 1000 steps");
    }
}

/// Issue 13 item 7: an ARM error body that echoes the request's bearer token (in its message,
/// target, details and ids) never puts the token into the error's Display, Debug or JSON.
#[test]
fn echoed_bearer_tokens_never_reach_the_error() {
    const JWT: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL21hbmFnZW1lbnQuYXp1cmUuY29tLyIsIm9pZCI6IjEyMzQifQ.U2lnbmF0dXJlU2lnbmF0dXJlU2lnbmF0dXJl";
    let body = serde_json::json!({"error": {
        "code": "InvalidAuthenticationToken",
        "message": format!("The request had 'Authorization: Bearer {JWT}' which is invalid"),
        "target": format!("header:{JWT}"),
        "details": [{"message": format!("echo: Bearer {JWT}")}],
    }})
    .to_string();
    let req = ArmRequest::get_resource_group("sub-1", "rg1").unwrap();
    let mut flow = ArmFlow::new(&ArmConfig::default(), &cloud(), &req, UnixMillis(START)).unwrap();
    let mut now = START;
    for _ in 0..20 {
        match flow.poll(UnixMillis(now)) {
            ArmAction::NeedToken { .. } => {
                flow.handle_token(Ok(token(JWT, now, 3600)), UnixMillis(now))
            }
            ArmAction::Send(out) => {
                let id_header = format!("Bearer {JWT}");
                let headers = [("x-ms-request-id", id_header.as_str())];
                flow.handle_response(out.id, reply(400, &headers, &body), UnixMillis(now));
            }
            ArmAction::WaitUntil(t) => now = t.0,
            ArmAction::Done(result) => {
                let err = result.unwrap_err();
                assert_eq!(err.code(), "bad_request", "{err}");
                let json = serde_json::to_string(&err).unwrap();
                for text in [err.to_string(), format!("{err:?}"), json] {
                    assert!(!text.contains("eyJ0eXAiOiJKV1Qi"), "{text}");
                    assert!(!text.contains("U2lnbmF0dXJl"), "{text}");
                    assert!(text.contains("InvalidAuthenticationToken"), "{text}");
                }
                assert!(err.to_string().contains("Authorization: Bearer ***"), "{err}");
                return;
            }
        }
    }
    panic!("did not finish");
}

/// Issue 14 item 9: a generic request given as a full URL goes out on the cloud's endpoint only;
/// another host (or userinfo, or another port) is refused before any token is asked for.
#[test]
fn full_urls_stay_on_the_arm_endpoint() {
    let cfg = ArmConfig::default();
    let start = |url: &str| {
        let req = ArmRequest::generic("GET", url, "2022-01-01", None).unwrap();
        ArmFlow::new(&cfg, &cloud(), &req, UnixMillis(START))
    };
    let mut flow = start("http://127.0.0.1:8443/subscriptions?$top=1").unwrap();
    let ArmAction::NeedToken { .. } = flow.poll(UnixMillis(START)) else { panic!("no token ask") };
    flow.handle_token(Ok(token("t", START, 3600)), UnixMillis(START));
    let ArmAction::Send(out) = flow.poll(UnixMillis(START)) else { panic!("no request") };
    assert_eq!(
        out.request.uri().to_string(),
        "http://127.0.0.1:8443/subscriptions?api-version=2022-01-01&%24top=1"
    );
    for foreign in [
        "https://evil.example/subscriptions",
        "http://127.0.0.1:8444/subscriptions",
        "http://user:pa55@127.0.0.1:8443/subscriptions",
    ] {
        let err = start(foreign).unwrap_err();
        assert_eq!(err.code(), "foreign_host", "{foreign}: {err}");
        assert!(!err.to_string().contains("pa55"), "{err}");
    }
}
