//! Scenarios driven by a fake clock that jumps to every `WaitUntil`, so a 70-second retry
//! schedule runs in microseconds. Every drive loop is bounded.

use std::collections::VecDeque;
use std::time::Duration;

use azmi_core::{
    AccessToken, Action, AttemptResult, CacheKey, Config, DelaySetBy, EnvSnapshot, ErrorKind,
    Identity, Lookup, Outgoing, Resource, SourceKind, TokenCache, TokenError, TokenFlow,
    TransportFailure, UnixMillis, WaitCause, WaitReason,
};
use proptest::prelude::*;

const START: u64 = 1_700_000_000_000;
const STEP_BOUND: usize = 1_000;
const OK_BODY: &str =
    r#"{"access_token":"tok-SECRET-123","expires_in":"3600","token_type":"Bearer"}"#;

#[derive(Debug, Clone)]
enum Answer {
    Http(u16, Vec<(&'static str, String)>, String),
    Transport(TransportFailure),
}

/// What the endpoint will answer, in order; the config and env to run with.
struct Scenario {
    cfg: Config,
    env: EnvSnapshot,
    answers: VecDeque<Answer>,
    /// Time each attempt takes.
    latency: u64,
}

/// What happened.
struct Run {
    requests: Vec<(u64, http::Request<Vec<u8>>)>,
    waits: Vec<u64>,
    /// What the flow said about each wait.
    reasons: Vec<Option<WaitReason>>,
    result: Result<AccessToken, TokenError>,
    end: u64,
}

impl Scenario {
    fn imds() -> Self {
        let env =
            EnvSnapshot::from_vars([("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9")]);
        let mut cfg = Config::default();
        cfg.retry.jitter = 0.0;
        Scenario { cfg, env, answers: VecDeque::new(), latency: 5 }
    }

    fn status(mut self, status: u16, body: &str) -> Self {
        self.answers.push_back(Answer::Http(status, Vec::new(), body.to_owned()));
        self
    }

    fn status_with(mut self, status: u16, header: (&'static str, &str), body: &str) -> Self {
        self.answers.push_back(Answer::Http(
            status,
            vec![(header.0, header.1.to_owned())],
            body.to_owned(),
        ));
        self
    }

    fn transport(mut self, f: TransportFailure) -> Self {
        self.answers.push_back(Answer::Transport(f));
        self
    }

    /// Drives the flow to the end; the last answer repeats when the script runs out.
    fn run(mut self) -> Run {
        let resource = Resource::new("https://management.azure.com/").unwrap();
        let mut now = START;
        let mut flow = TokenFlow::new(&self.cfg, &self.env, &resource, UnixMillis(now)).unwrap();
        let (mut requests, mut waits, mut reasons) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..STEP_BOUND {
            match flow.poll(UnixMillis(now)) {
                Action::Send(out) => {
                    requests.push((now - START, out.request));
                    now += self.latency;
                    let answer =
                        if self.answers.len() > 1 { self.answers.pop_front() } else { None };
                    match answer.as_ref().or(self.answers.front()).expect("scripted answer") {
                        Answer::Http(status, headers, body) => {
                            let mut b = http::Response::builder().status(*status);
                            for (k, v) in headers {
                                b = b.header(*k, v.as_str());
                            }
                            flow.handle_response(
                                out.id,
                                b.body(body.clone().into_bytes()).unwrap(),
                                UnixMillis(now),
                            );
                        }
                        Answer::Transport(f) => {
                            flow.handle_transport_error(out.id, f.clone(), UnixMillis(now))
                        }
                    }
                }
                Action::WaitUntil(t) => {
                    waits.push(t.0 - now);
                    reasons.push(flow.wait_reason().cloned());
                    now = t.0;
                }
                Action::ReadFile { .. } => panic!("no file reads in these scenarios"),
                Action::Done(result) => {
                    assert_eq!(flow.wait_reason(), None, "a finished flow waits for nothing");
                    return Run { requests, waits, reasons, result, end: now - START };
                }
            }
        }
        panic!("flow did not end within {STEP_BOUND} steps");
    }
}

/// Issue 13 item 7: an identity endpoint whose error text echoes a token (in its description, or
/// as the identity it claims) never puts the token into the error's Display or Debug.
#[test]
fn echoed_tokens_never_reach_the_error() {
    const JWT: &str = "eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJodHRwczovL21hbmFnZW1lbnQuYXp1cmUuY29tLyJ9.c2lnbmF0dXJlX2J5dGVz";
    let opaque = "T3BhcXVlQmVhcmVyVG9rZW4wMTIzNDU2Nzg5QUJDREVGR0hJSktMTU5P";
    let body = format!(
        r#"{{"error":"invalid_request","error_description":"got token {JWT} and {opaque}"}}"#
    );
    let err = Scenario::imds().status(400, &body).run().result.unwrap_err();
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(!text.contains("eyJ0eXAiOiJKV1QifQ") && !text.contains(opaque), "{text}");
        assert!(text.contains("invalid_request: got token *** and ***"), "{text}");
    }
}

/// Issue 13 item 8: on a host clock ahead of the issuer's, `expires_in` decides, but never
/// beyond the JWT's own lifetime (`exp - iat`): an inflated `expires_in` cannot outlive it.
#[test]
fn expires_in_is_capped_by_the_jwt_lifetime() {
    // iat 1699990000, exp 1699993600: one hour, issued on a clock 10 000 s behind this host's.
    const JWT: &str = "eyJhbGciOiJub25lIn0.eyJpYXQiOjE2OTk5OTAwMDAsImV4cCI6MTY5OTk5MzYwMH0.c2ln";
    let (mut flow, first) = imds_by_hand();
    let body = format!(r#"{{"access_token":"{JWT}","expires_in":"86400"}}"#);
    flow.handle_response(first.id, http::Response::new(body.into_bytes()), UnixMillis(START));
    let Action::Done(Ok(token)) = flow.poll(UnixMillis(START)) else { panic!("no token") };
    assert_eq!(token.expires_on, UnixMillis(START + 3_600_000));
}

#[test]
fn imds_500_then_200() {
    let run = Scenario::imds().status(500, "{}").status(200, OK_BODY).run();
    assert_eq!(run.requests.len(), 2);
    assert_eq!(run.waits, vec![800]);
    let token = run.result.unwrap();
    assert_eq!(token.secret(), "tok-SECRET-123");
    assert_eq!(token.expires_on, UnixMillis(START + 805 + 5 + 3_600_000));
}

#[test]
fn imds_410_keeps_trying_for_70_seconds_and_stops() {
    let run = Scenario::imds().status(410, r#"{"error":"gone"}"#).run();
    let err = run.result.unwrap_err();
    assert_eq!(err.code(), "endpoint_error", "{err}");
    let last_start = run.requests.last().unwrap().0;
    assert!(last_start >= 70_000, "last attempt at {last_start} ms");
    assert!(run.end < 90_000, "ended at {} ms, past the 410 deadline", run.end);
    assert!(run.waits.iter().all(|w| *w <= 10_000), "{:?}", run.waits);
    assert!(run.requests.len() > 6, "410 retries go past max_retries");
}

/// Issue 14 item 5: each wait comes with the core's reason: which retry, what the failed attempt
/// got, how long, and whether the server's Retry-After or the backoff set the length.
#[test]
fn each_wait_has_its_reason() {
    let run = Scenario::imds()
        .status(410, r#"{"error":"gone"}"#)
        .status_with(429, ("retry-after", "1"), "{}")
        .transport(TransportFailure::Timeout)
        .status(200, OK_BODY)
        .run();
    assert!(run.result.is_ok());
    let retry = |retry, after, delay, set_by| {
        Some(WaitReason {
            cause: WaitCause::Retry { retry, after },
            delay: Duration::from_millis(delay),
            set_by,
        })
    };
    assert_eq!(
        run.reasons,
        vec![
            retry(1, AttemptResult::Status(410), 800, DelaySetBy::Backoff),
            retry(2, AttemptResult::Status(429), 1_000, DelaySetBy::RetryAfter),
            retry(
                3,
                AttemptResult::Transport(TransportFailure::Timeout),
                3_200,
                DelaySetBy::Backoff
            ),
        ]
    );
    assert_eq!(run.waits, vec![800, 1_000, 3_200], "each reason names the wait it explains");
}

#[test]
fn connection_refused_on_imds_fails_fast() {
    let run = Scenario::imds().transport(TransportFailure::ConnectionRefused).run();
    let err = run.result.unwrap_err();
    assert_eq!(err.code(), "unavailable");
    // Issue 14 item 9: the source is named once, not "IMDS: … IMDS: …".
    let message = err.to_string();
    assert!(message.starts_with("IMDS: ") && message.matches("IMDS").count() == 1, "{message}");
    assert_eq!(run.requests.len(), 1);
    assert!(run.waits.is_empty());
}

#[test]
fn retry_after_is_honoured_and_the_deadline_holds() {
    let mut s = Scenario::imds().status_with(429, ("retry-after", "2"), "{}").status(200, OK_BODY);
    s.cfg.deadline = Some(Duration::from_secs(10));
    let run = s.run();
    assert_eq!(run.waits, vec![2_000]);
    assert!(run.result.is_ok());

    let mut s = Scenario::imds().status_with(429, ("retry-after", "60"), "{}");
    s.cfg.deadline = Some(Duration::from_secs(10));
    let run = s.run();
    // Issue 13 item 9: the server asked to be left alone for longer than the deadline allows;
    // that is throttling (with the wait it named), not an endpoint too slow to answer.
    let err = run.result.unwrap_err();
    assert_eq!(err.code(), "throttled", "{err}");
    assert_eq!(err.kind, ErrorKind::Throttled { retry_after: Some(Duration::from_secs(60)) });
    assert_eq!(err.status(), Some(429));
    assert!(err.to_string().contains("retry after 60000 ms"), "{err}");
    assert!(run.waits.is_empty(), "a wait past the deadline is never started");
}

#[test]
fn the_same_seed_replays_the_same_waits() {
    let waits = |seed| {
        let mut s = Scenario::imds().status(503, "{}");
        s.cfg.retry.jitter = 0.5;
        s.cfg.retry.seed = seed;
        s.cfg.deadline = Some(Duration::from_secs(60));
        s.run().waits
    };
    assert_eq!(waits(7), waits(7));
    assert_ne!(waits(7), waits(8));
    assert_eq!(waits(7).len(), 5);
}

/// An IMDS flow driven by hand (default configuration), and its first request.
fn imds_by_hand() -> (TokenFlow, Outgoing) {
    let env = EnvSnapshot::from_vars([("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9")]);
    let resource = Resource::new("r").unwrap();
    let mut flow = TokenFlow::new(&Config::default(), &env, &resource, UnixMillis(START)).unwrap();
    let Action::Send(first) = flow.poll(UnixMillis(START)) else { panic!() };
    (flow, first)
}

#[test]
fn late_answers_and_old_clocks_are_ignored() {
    let (mut flow, first) = imds_by_hand();
    flow.handle_response(
        first.id,
        http::Response::builder().status(503).body(Vec::new()).unwrap(),
        UnixMillis(START + 10),
    );
    let Action::WaitUntil(until) = flow.poll(UnixMillis(START)) else { panic!() };
    assert!(until.0 > START + 10, "an older now must not move the clock back");
    // A second answer to the finished first request is ignored.
    flow.handle_response(first.id, http::Response::new(OK_BODY.as_bytes().to_vec()), until);
    assert!(matches!(flow.poll(until), Action::Send(_)));
}

#[test]
fn a_silent_transport_cannot_outlive_the_deadline() {
    let (mut flow, out) = imds_by_hand();
    assert_eq!(out.timeout, Duration::from_secs(10));
    assert!(out.bypass_proxy);
    let Action::WaitUntil(deadline) = flow.poll(UnixMillis(START + 1)) else { panic!() };
    assert_eq!(deadline, UnixMillis(START + 30_000));
    let Action::Done(Err(e)) = flow.poll(deadline) else { panic!() };
    assert_eq!(e.code(), "deadline_exceeded");
}

/// The token never shows in Debug output, error messages or request dumps.
#[test]
fn secrets_never_show() {
    let secret = "tok-SECRET-123";
    // A token response for the wrong identity: the error must not carry the token.
    let mut s = Scenario::imds().status(
        200,
        &format!(r#"{{"access_token":"{secret}","expires_in":3600,"client_id":"other"}}"#),
    );
    s.cfg.identity = Identity::ClientId("mine".into());
    let run = s.run();
    let err = run.result.unwrap_err();
    assert_eq!(err.code(), "wrong_identity");
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(!text.contains(secret), "{text}");
    }
    let ok = Scenario::imds().status(200, OK_BODY).run().result.unwrap();
    assert!(!format!("{ok:?}").contains(secret));
    assert!(!format!("{:?}", Action::Done(Ok(ok))).contains(secret));

    // App Service's rotating secret header is hidden in the request's Debug output.
    let env = EnvSnapshot::from_vars([
        ("IDENTITY_ENDPOINT", "http://127.0.0.1:9/msi/token"),
        ("IDENTITY_HEADER", "hdr-SECRET-9"),
    ]);
    let resource = Resource::new("r").unwrap();
    let mut flow = TokenFlow::new(&Config::default(), &env, &resource, UnixMillis(START)).unwrap();
    let action = flow.poll(UnixMillis(START));
    let dump = format!("{action:?} {flow:?} {env:?}");
    assert!(!dump.contains("hdr-SECRET-9"), "{dump}");
    let Action::Send(out) = action else { panic!() };
    assert_eq!(out.request.headers()["x-identity-header"], "hdr-SECRET-9");
}

fn any_answer() -> impl Strategy<Value = Answer> {
    prop_oneof![
        (100u16..600, "[ -~]{0,40}").prop_map(|(s, b)| Answer::Http(s, Vec::new(), b)),
        (prop_oneof![Just(200u16), Just(429), Just(503)], 0u64..120).prop_map(|(s, ra)| {
            Answer::Http(s, vec![("retry-after", ra.to_string())], "{}".into())
        }),
        Just(Answer::Http(200, Vec::new(), OK_BODY.into())),
        prop_oneof![
            Just(TransportFailure::Timeout),
            Just(TransportFailure::ConnectTimeout),
            Just(TransportFailure::ConnectionReset),
            Just(TransportFailure::ConnectionRefused),
        ]
        .prop_map(Answer::Transport),
    ]
}

proptest! {
    /// Issue 13 item 8: whatever this host's clock says against the issuer's (2 h either way),
    /// a token answered with `expires_in` never looks expired, never lives longer on this host
    /// than `expires_in` from its receipt, and the cache serves it without a second request.
    #[test]
    fn host_clock_skew_neither_expires_tokens_nor_stretches_them(skew_s in -7_200i64..7_200, life_s in 120u64..86_400, transit in 0u64..2_000) {
        let (mut flow, first) = imds_by_hand();
        // The issuer's clock: `skew_s` behind this host's (ahead when negative).
        let issuer_now = (START / 1000) as i64 - skew_s;
        let body = format!(
            r#"{{"access_token":"t","expires_in":"{life_s}","expires_on":"{}"}}"#,
            issuer_now + life_s as i64
        );
        let received = UnixMillis(START + transit);
        flow.handle_response(first.id, http::Response::new(body.into_bytes()), received);
        let Action::Done(result) = flow.poll(received) else { panic!("not done") };
        let token = result.map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(token.expires_on <= received.plus(Duration::from_secs(life_s)));
        prop_assert!(token.expires_on.since(received) >= Duration::from_secs(life_s / 2));
        let mut cache = TokenCache::new();
        let key = CacheKey {
            source: SourceKind::Imds,
            identity: Identity::SystemAssigned,
            resource: Resource::new("r").unwrap(),
        };
        let Lookup::Fetch(ticket) = cache.lookup(&key, received) else { panic!("not a miss") };
        cache.complete(ticket, Ok(token), received).unwrap();
        let fresh = matches!(cache.lookup(&key, received.plus(Duration::from_secs(1))), Lookup::Fresh(_));
        prop_assert!(fresh, "a second caller must not fetch again");
    }

    /// Whatever the endpoint does, the flow ends, within the deadline, without panicking, and
    /// never sends after the deadline.
    #[test]
    fn every_flow_ends_within_its_deadline(answers in proptest::collection::vec(any_answer(), 1..20), latency in 0u64..3_000, seed: u64) {
        let mut s = Scenario::imds();
        s.cfg.retry.jitter = 0.3;
        s.cfg.retry.seed = seed;
        s.latency = latency;
        s.answers = answers.into();
        let run = s.run();
        prop_assert!(run.end <= 90_000 + latency, "ended at {}", run.end);
        for (at, _) in &run.requests {
            prop_assert!(*at < 90_000);
        }
        if let Ok(t) = &run.result {
            prop_assert!(t.expires_on.0 > START + run.end);
            prop_assert!(t.refresh_on <= t.expires_on);
        }
    }
}

/// IMDS in its 410 window answering `retry-after-ms: 0` must not be hammered: past
/// `max_retries`, waits are never shorter than the backoff.
#[test]
fn a_zero_retry_after_in_the_410_window_is_not_a_busy_loop() {
    let run = Scenario::imds().status_with(410, ("retry-after-ms", "0"), "{}").run();
    assert_eq!(run.result.unwrap_err().code(), "endpoint_error");
    assert!(run.requests.len() < 20, "{} requests in the 410 window", run.requests.len());
    assert!(run.requests.last().unwrap().0 >= 70_000);
}
