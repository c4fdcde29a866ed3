//! Every fault kind, queued per endpoint, one per request.

use std::time::{Duration, Instant};

use azmi_emulator::{Emulator, Fault};
use serde_json::json;

use crate::support::*;

fn imds_url(emu: &Emulator) -> String {
    token_url(&emu.http_url(), "/metadata/identity/oauth2/token", "2018-02-01", &[])
}

fn imds(emu: &Emulator) -> Result<Resp, ureq::Error> {
    try_get(&imds_url(emu), &[("Metadata", "true")])
}

#[test]
fn status_gone_throttle_malformed_docker_and_not_found() {
    let emu = start();
    emu.inject(
        "imds",
        vec![
            Fault::Status {
                status: 503,
                headers: vec![("x-test".into(), "yes".into())],
                body: "{\"error\":\"busy\"}".into(),
            },
            Fault::Gone,
            Fault::Throttle { retry_after_secs: 7 },
            Fault::Malformed,
            Fault::DockerDesktop403,
            Fault::IdentityNotFound,
        ],
    );
    let r = imds(&emu).unwrap();
    assert_eq!(
        (r.status, r.header("x-test"), r.json()["error"].as_str()),
        (503, Some("yes"), Some("busy"))
    );
    assert!(r.header("content-type").unwrap().starts_with("application/json"));

    let r = imds(&emu).unwrap();
    assert_eq!(r.status, 410);
    assert!(r.json()["error_description"].as_str().unwrap().contains("70 seconds"));

    let r = imds(&emu).unwrap();
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("7"));
    assert!(r.json()["error"].is_string(), "IMDS error shape");

    let r = imds(&emu).unwrap();
    assert_eq!(r.status, 200);
    assert!(serde_json::from_str::<serde_json::Value>(&r.body).is_err(), "not JSON");

    let r = imds(&emu).unwrap();
    assert_eq!(r.status, 403);
    assert!(r.header("content-type").unwrap().starts_with("text/plain"));
    assert!(r
        .body
        .contains("connectex: A socket operation was attempted to an unreachable network."));

    let r = imds(&emu).unwrap();
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error_description"], "Identity not found");

    // Queue empty: normal again.
    assert_eq!(imds(&emu).unwrap().status, 200);
}

#[test]
fn missing_field_oversized_and_pass() {
    let emu = start();
    emu.inject(
        "imds",
        vec![Fault::Pass, Fault::MissingField("expires_on".into()), Fault::Oversized],
    );
    let r = imds(&emu).unwrap();
    assert!(r.json().get("expires_on").is_some(), "pass answers normally");
    let r = imds(&emu).unwrap();
    assert_eq!(r.status, 200);
    assert!(r.json().get("expires_on").is_none());
    assert!(r.json().get("access_token").is_some());
    let r = imds(&emu).unwrap();
    assert_eq!(r.status, 200);
    assert!(r.body.len() > 64 * 1024);
    assert!(r.json()["access_token"].is_string(), "still a token, only too large");
}

#[test]
fn latency_hang_and_drop() {
    let emu = start();
    emu.inject(
        "imds",
        vec![
            Fault::Latency(Duration::from_millis(300)),
            Fault::Hang(Duration::from_millis(300)),
            Fault::Drop,
        ],
    );
    let t = Instant::now();
    assert_eq!(imds(&emu).unwrap().status, 200);
    assert!(t.elapsed() >= Duration::from_millis(300));

    let t = Instant::now();
    assert!(imds(&emu).is_err(), "hang ends with the connection closed, no answer");
    assert!(t.elapsed() >= Duration::from_millis(300));

    assert!(imds(&emu).is_err(), "dropped without an answer");
    assert_eq!(imds(&emu).unwrap().status, 200);

    let log = emu.requests();
    let statuses: Vec<_> = log.iter().map(|r| (r.fault.as_deref(), r.status)).collect();
    assert_eq!(
        statuses,
        [
            (Some("latency"), Some(200)),
            (Some("hang"), None),
            (Some("drop"), None),
            (None, Some(200))
        ]
    );
}

#[test]
fn faults_are_per_endpoint_and_in_each_shape() {
    let emu = start();
    emu.inject(
        "app_service",
        vec![Fault::IdentityNotFound, Fault::Throttle { retry_after_secs: 1 }],
    );
    // IMDS is untouched by App Service's queue.
    assert_eq!(imds(&emu).unwrap().status, 200);
    let endpoint = env(&emu, "app_service", "IDENTITY_ENDPOINT");
    let header = env(&emu, "app_service", "IDENTITY_HEADER");
    let target = token_url(&endpoint, "", "2019-08-01", &[]);
    let r = get(&target, &[("X-IDENTITY-HEADER", &header)]);
    assert_eq!((r.status, r.json()["statusCode"].as_u64()), (400, Some(400)));
    let r = get(&target, &[("X-IDENTITY-HEADER", &header)]);
    assert_eq!((r.status, r.json()["statusCode"].as_u64()), (429, Some(429)));
    assert_eq!(get(&target, &[("X-IDENTITY-HEADER", &header)]).status, 200);

    emu.inject("arm", vec![Fault::Throttle { retry_after_secs: 2 }]);
    let r = get(&format!("{}/subscriptions?api-version=2022-12-01", emu.arm_endpoint()), &[]);
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("2"));
    assert_eq!(r.json()["error"]["code"], "SubscriptionRequestsThrottled");
    assert!(r.header("x-ms-request-id").is_some());
}

#[test]
#[should_panic(expected = "unknown emulator endpoint")]
fn inject_refuses_unknown_endpoints() {
    let emu = start();
    emu.inject("imsd", vec![Fault::Drop]);
}

#[test]
fn control_api_queues_faults_as_json() {
    let emu = start();
    let control = format!("{}/_emulator/faults", emu.http_url());
    let r = send(
        "POST",
        &control,
        &[],
        Some(
            &json!({ "endpoint": "imds", "faults": ["gone", { "kind": "throttle", "retry_after_secs": 3 },
            { "kind": "status", "status": 500, "body": "boom" }, { "kind": "latency", "ms": 10 }] }),
        ),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["queued"], 4);
    let pending = get(&control, &[]).json();
    assert_eq!(pending["imds"].as_array().unwrap().len(), 4);
    assert_eq!(pending["imds"][1], json!({ "kind": "throttle", "retry_after_secs": 3 }));
    assert_eq!(imds(&emu).unwrap().status, 410);
    assert_eq!(imds(&emu).unwrap().header("retry-after"), Some("3"));
    let r = imds(&emu).unwrap();
    assert_eq!((r.status, r.body.as_str()), (500, "boom"));
    assert_eq!(imds(&emu).unwrap().status, 200);

    let bad = send("POST", &control, &[], Some(&json!({ "endpoint": "nope", "faults": ["drop"] })));
    assert_eq!(bad.status, 400);
    let bad =
        send("POST", &control, &[], Some(&json!({ "endpoint": "imds", "faults": ["throttle"] })));
    assert_eq!(bad.status, 400, "throttle needs retry_after_secs");

    // reset clears pending faults and the log.
    send("POST", &control, &[], Some(&json!({ "endpoint": "imds", "faults": ["drop"] })));
    assert_eq!(send("POST", &format!("{}/_emulator/reset", emu.http_url()), &[], None).status, 204);
    assert_eq!(imds(&emu).unwrap().status, 200);
    assert_eq!(emu.requests().len(), 1);
}

#[test]
fn stopping_ends_a_hung_request_promptly() {
    let emu = start();
    emu.inject("imds", vec![Fault::Hang(Duration::from_secs(60))]);
    let target = imds_url(&emu);
    let client = std::thread::spawn(move || {
        let t = Instant::now();
        let result = try_get(&target, &[("Metadata", "true")]);
        (result.is_err(), t.elapsed())
    });
    // Let the request arrive and start hanging (it is logged only when it ends).
    std::thread::sleep(Duration::from_millis(300));
    let stopping = Instant::now();
    emu.stop();
    assert!(stopping.elapsed() < Duration::from_secs(5), "stop does not wait for the hang");
    let (failed, took) = client.join().unwrap();
    assert!(failed, "the hung request gets no answer");
    assert!(took < Duration::from_secs(10), "{took:?}");
}
