//! One `TokenFlow` per input, for a forced source, driven to the end through the public API
//! against fuzzed statuses, headers, bodies, transport failures, late answers, secret rotations
//! and Azure Arc key files. No I/O: every answer is made up here.
//!
//! Invariants checked besides "never panics":
//! - requests go to the loopback endpoint of the snapshot, with the transport rules the
//!   configuration asks for, and secrets never show in `Debug` (of requests or the flow);
//! - a source with a secret header sends it on every request, and Arc's second leg carries the key;
//! - waits never point into the past, request ids only grow, late answers change nothing;
//! - no more attempts than `max_retries` allows (plus IMDS 410s and Arc's challenge leg);
//! - a token is valid when handed out (`refresh_on` ≤ `expires_on`, expires after the response);
//! - `Done` is final, and a poll after the deadline always ends the flow.
//!
//! Known findings `AZMI_FUZZ_LENIENT` can waive: `rotated-secret` (a rotated secret header value
//! that is not a valid header is dropped silently), `arc-key` (an Arc key that is not a valid
//! header is dropped silently).
#![no_main]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use arbitrary::Arbitrary;
use azmi_core::{
    Action, Config, EnvSnapshot, FileFailure, Identity, Outgoing, RequestId, Resource, SourceKind,
    TokenFlow, TransportFailure, UnixMillis,
};
use azmi_core_fuzz::{env_for, json_str, lenient, transport};
use base64::Engine;
use libfuzzer_sys::fuzz_target;

const START: u64 = 1_700_000_000_000;
const MAX_POLLS: usize = 200;
const KEY_DIR: &str = "/var/opt/azcmagent/tokens";
/// Prefix of every secret this target plants; `scrub` keeps it out of everything else.
const MARK: &str = "S3KR1T";
const HEADER_SECRET: &str = "S3KR1T-HEADER-9f2c";
const MSI_SECRET: &str = "S3KR1T-MSI-9f2c";

#[derive(Arbitrary, Debug)]
struct Input {
    source: u8,
    /// Azure Arc: answer the first request with the challenge (a valid key path), so that the
    /// key file and the second leg are reached often.
    arc_challenge: bool,
    client_id: Option<ClientId>,
    start: Start,
    settings: Settings,
    answers: Vec<Answer>,
    files: Vec<FileAnswer>,
}

#[derive(Arbitrary, Debug)]
enum ClientId {
    Abc,
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum Start {
    Fixed,
    Zero,
    NearEnd(u32),
    Any(u64),
}

#[derive(Arbitrary, Debug)]
struct Settings {
    /// None: the default deadline; else 1..=120 s.
    deadline_s: Option<u8>,
    max_retries: u8,
    initial_delay_ms: u16,
    max_delay_ms: u32,
    jitter: u8,
    seed: u64,
    attempt_timeout_ms: u32,
    connect_timeout_ms: u16,
    /// None: the default cap; else a small cap to reach the size check.
    max_response_bytes: Option<u16>,
}

#[derive(Arbitrary, Debug)]
struct Answer {
    elapsed_ms: u32,
    /// Deliver an answer with a wrong id first; it must be ignored.
    stale_first: Option<StaleId>,
    /// Rotate the secret header value (through `handle_env`) before answering.
    rotate_secret: Option<String>,
    reply: Reply,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum StaleId {
    Previous,
    Next,
    Zero,
    Max,
}

// Built once per answer from fuzz input; the size difference does not matter here.
#[allow(clippy::large_enum_variant)]
#[derive(Arbitrary, Debug)]
enum Reply {
    Http { status: Status, headers: Vec<Header>, body: Body },
    Transport(u8),
}

#[derive(Arbitrary, Debug)]
enum Status {
    Ok,
    Common(u8),
    Any(u16),
}

const COMMON_STATUSES: [u16; 17] =
    [200, 201, 204, 400, 401, 403, 404, 408, 410, 429, 500, 501, 502, 503, 504, 505, 302];

#[derive(Arbitrary, Debug)]
struct Header {
    name: HeaderKind,
    value: HeaderVal,
}

#[derive(Arbitrary, Debug)]
enum HeaderKind {
    RetryAfter,
    RetryAfterMs,
    XMsRetryAfterMs,
    WwwAuthenticate,
    ContentType,
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum HeaderVal {
    Seconds(u32),
    Millis(u64),
    /// An HTTP date this many seconds from now.
    HttpDate(i32),
    /// `Basic realm=<KEY_DIR>/<stem>.key`.
    GoodChallenge(String),
    Text(String),
    Raw(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
enum Body {
    Empty,
    Raw(Vec<u8>),
    Token(TokenBody),
    Error { code: ErrCode, message: Option<String>, nested: bool },
}

#[derive(Arbitrary, Debug)]
enum ErrCode {
    NotFound,
    InvalidResource,
    BadRequest102,
    Other(String),
}

#[derive(Arbitrary, Debug)]
struct TokenBody {
    access_token: Tok,
    expires_on: Option<Num>,
    expires_in: Option<Num>,
    refresh_in: Option<Num>,
    not_before: Option<Num>,
    client_id: Option<Echo>,
    token_type: Option<String>,
    resource: bool,
}

#[derive(Arbitrary, Debug)]
enum Tok {
    Opaque(String),
    Jwt { exp_rel_s: Option<i32>, appid: Option<Echo> },
    Empty,
    NotAString(i64),
}

#[derive(Arbitrary, Debug)]
enum Echo {
    Same,
    Upper,
    Other(String),
}

#[derive(Arbitrary, Debug)]
enum Num {
    /// Seconds relative to now (as an epoch for instants, as a count for durations).
    Rel(i32),
    Int(i64),
    Float(f64),
    Str(String),
    Digits(u32),
    /// Spliced into the JSON text as is (may break it).
    Raw(String),
    Null,
}

#[derive(Arbitrary, Debug)]
enum FileAnswer {
    Key(String),
    Bytes(Vec<u8>),
    NotFound,
    TooLarge,
    PermissionDenied,
    Other(String),
}

fn scrub(s: &str) -> String {
    s.replace(MARK, "s3kr1t")
}

/// The environment variable and request header of the source's secret, if it has one.
fn secret_of(kind: SourceKind) -> Option<(&'static str, &'static str)> {
    match kind {
        SourceKind::AppService => Some(("IDENTITY_HEADER", "x-identity-header")),
        SourceKind::ServiceFabric => Some(("IDENTITY_HEADER", "secret")),
        SourceKind::AppService2017 | SourceKind::AzureMl => Some(("MSI_SECRET", "secret")),
        _ => None,
    }
}

impl Settings {
    fn apply(&self, cfg: &mut Config) {
        cfg.deadline = self.deadline_s.map(|s| Duration::from_secs(u64::from(s % 120) + 1));
        cfg.retry.max_retries = u32::from(self.max_retries % 11);
        cfg.retry.initial_delay = Duration::from_millis(u64::from(self.initial_delay_ms % 5_000));
        cfg.retry.max_delay = Duration::from_millis(u64::from(self.max_delay_ms % 60_000));
        cfg.retry.jitter = f64::from(self.jitter) / 255.0;
        cfg.retry.seed = self.seed;
        cfg.attempt_timeout =
            Duration::from_millis(u64::from(self.attempt_timeout_ms % 20_000) + 1);
        // The core refuses a zero timeout (a configuration error), so 1 ms is the least.
        cfg.connect_timeout = Duration::from_millis(u64::from(self.connect_timeout_ms) + 1);
        // A zero cap is a configuration error too (the core's range is 1 B to 1 GiB).
        if let Some(cap) = self.max_response_bytes {
            cfg.max_response_bytes = usize::from(cap).max(1);
        }
    }
}

fn num(n: &Num, now_s: i64) -> String {
    match n {
        Num::Rel(d) => now_s.saturating_add(i64::from(*d)).to_string(),
        Num::Int(i) => i.to_string(),
        Num::Float(f) if f.is_finite() => format!("{f:?}"),
        Num::Float(_) => "1e999".to_owned(),
        Num::Str(s) => json_str(&scrub(s)),
        Num::Digits(n) => format!("\"{n}\""),
        Num::Raw(s) => scrub(s),
        Num::Null => "null".to_owned(),
    }
}

fn rel_num(n: &Num) -> String {
    match n {
        Num::Rel(d) => d.to_string(),
        other => num(other, 0),
    }
}

fn echo(e: &Echo, wanted: Option<&str>) -> String {
    match (e, wanted) {
        (Echo::Same, Some(w)) => w.to_owned(),
        (Echo::Upper, Some(w)) => w.to_ascii_uppercase(),
        (Echo::Same | Echo::Upper, None) => "abc".to_owned(),
        (Echo::Other(s), _) => scrub(s),
    }
}

fn token_body(t: &TokenBody, now: u64, wanted: Option<&str>) -> Vec<u8> {
    let now_s = i64::try_from(now / 1000).unwrap_or(i64::MAX);
    let mut fields = Vec::new();
    let access = match &t.access_token {
        Tok::Opaque(s) => json_str(&scrub(s)),
        Tok::Jwt { exp_rel_s, appid } => {
            let mut claims = Vec::new();
            if let Some(d) = exp_rel_s {
                claims.push(format!("\"exp\":{}", now_s.saturating_add(i64::from(*d))));
            }
            if let Some(a) = appid {
                claims.push(format!("\"appid\":{}", json_str(&echo(a, wanted))));
            }
            let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
            let payload = b64.encode(format!("{{{}}}", claims.join(",")));
            json_str(&format!("eyJhbGciOiJSUzI1NiJ9.{payload}.sig"))
        }
        Tok::Empty => "\"\"".to_owned(),
        Tok::NotAString(i) => i.to_string(),
    };
    fields.push(format!("\"access_token\":{access}"));
    if let Some(n) = &t.expires_on {
        fields.push(format!("\"expires_on\":{}", num(n, now_s)));
    }
    if let Some(n) = &t.expires_in {
        fields.push(format!("\"expires_in\":{}", rel_num(n)));
    }
    if let Some(n) = &t.refresh_in {
        fields.push(format!("\"refresh_in\":{}", rel_num(n)));
    }
    if let Some(n) = &t.not_before {
        fields.push(format!("\"not_before\":{}", num(n, now_s)));
    }
    if let Some(e) = &t.client_id {
        fields.push(format!("\"client_id\":{}", json_str(&echo(e, wanted))));
    }
    if let Some(tt) = &t.token_type {
        fields.push(format!("\"token_type\":{}", json_str(&scrub(tt))));
    }
    if t.resource {
        fields.push("\"resource\":\"https://management.azure.com/\"".to_owned());
    }
    format!("{{{}}}", fields.join(",")).into_bytes()
}

fn body(b: &Body, now: u64, wanted: Option<&str>) -> Vec<u8> {
    match b {
        Body::Empty => Vec::new(),
        Body::Raw(bytes) => bytes.clone(),
        Body::Token(t) => token_body(t, now, wanted),
        Body::Error { code, message, nested } => {
            let code = match code {
                ErrCode::NotFound => "ManagedIdentityNotFound".to_owned(),
                ErrCode::InvalidResource => "invalid_resource".to_owned(),
                ErrCode::BadRequest102 => "bad_request_102".to_owned(),
                ErrCode::Other(s) => scrub(s),
            };
            let message = message.as_deref().map(scrub);
            let text = if *nested {
                let msg = message.map(|m| format!(",\"message\":{}", json_str(&m)));
                format!("{{\"error\":{{\"code\":{}{}}}}}", json_str(&code), msg.unwrap_or_default())
            } else {
                let msg = message.map(|m| format!(",\"error_description\":{}", json_str(&m)));
                format!("{{\"error\":{}{}}}", json_str(&code), msg.unwrap_or_default())
            };
            text.into_bytes()
        }
    }
}

fn header(h: &Header, now: u64) -> Option<(http::HeaderName, http::HeaderValue)> {
    let name = match &h.name {
        HeaderKind::RetryAfter => http::HeaderName::from_static("retry-after"),
        HeaderKind::RetryAfterMs => http::HeaderName::from_static("retry-after-ms"),
        HeaderKind::XMsRetryAfterMs => http::HeaderName::from_static("x-ms-retry-after-ms"),
        HeaderKind::WwwAuthenticate => http::HeaderName::from_static("www-authenticate"),
        HeaderKind::ContentType => http::HeaderName::from_static("content-type"),
        HeaderKind::Other(s) => http::HeaderName::from_bytes(s.as_bytes()).ok()?,
    };
    let value = match &h.value {
        HeaderVal::Seconds(s) => http::HeaderValue::from(*s),
        HeaderVal::Millis(ms) => http::HeaderValue::from(*ms),
        HeaderVal::HttpDate(rel) => {
            let at = (now / 1000).saturating_add_signed(i64::from(*rel)).min(253_402_300_799);
            let at = UNIX_EPOCH.checked_add(Duration::from_secs(at))?;
            http::HeaderValue::from_str(&httpdate_fmt(at)).ok()?
        }
        HeaderVal::GoodChallenge(stem) => {
            let stem: String = scrub(stem).chars().filter(|c| c.is_ascii_alphanumeric()).collect();
            let stem = if stem.is_empty() { "k".to_owned() } else { stem };
            http::HeaderValue::from_str(&format!("Basic realm={KEY_DIR}/{stem}.key")).ok()?
        }
        HeaderVal::Text(s) => http::HeaderValue::from_str(&scrub(s)).ok()?,
        HeaderVal::Raw(b) => http::HeaderValue::from_bytes(b).ok()?,
    };
    Some((name, value))
}

/// IMF-fixdate, as `Retry-After` carries it.
fn httpdate_fmt(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(mo <= 2);
    const WD: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MO: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        WD[(days % 7) as usize],
        d,
        MO[(mo - 1) as usize],
        y,
        h,
        m,
        s
    )
}

fn response(
    status: &Status,
    headers: &[Header],
    b: &Body,
    now: u64,
    wanted: Option<&str>,
) -> http::Response<Vec<u8>> {
    let status = match status {
        Status::Ok => 200,
        Status::Common(i) => COMMON_STATUSES[usize::from(*i) % COMMON_STATUSES.len()],
        Status::Any(s) => 100 + s % 900,
    };
    let mut resp = http::Response::new(body(b, now, wanted));
    *resp.status_mut() = http::StatusCode::from_u16(status).expect("100..=999");
    for h in headers.iter().take(4) {
        if let Some((k, v)) = header(h, now) {
            resp.headers_mut().append(k, v);
        }
    }
    resp
}

fn stale(id: RequestId, s: StaleId) -> RequestId {
    match s {
        StaleId::Previous => RequestId(id.0.wrapping_sub(1)),
        StaleId::Next => RequestId(id.0.wrapping_add(1)),
        StaleId::Zero => RequestId(0),
        StaleId::Max => RequestId(u64::MAX),
    }
}

struct Run<'a> {
    kind: SourceKind,
    cfg: &'a Config,
    start: u64,
    /// The latest instant handed to the flow (its clock).
    clock: u64,
    first_send: Option<u64>,
    /// The secret header value the flow was last given.
    secret: Option<String>,
    /// The Arc key the flow read, once it read one.
    arc_key: Option<Vec<u8>>,
    /// The flow's clock when it was given the last response.
    last_response: u64,
}

impl Run<'_> {
    fn tell(&mut self, now: u64) -> UnixMillis {
        self.clock = self.clock.max(now);
        UnixMillis(now)
    }

    /// The latest the deadline can be: the explicit one, or 30 s moved to first attempt + 90 s.
    fn deadline_bound(&self) -> u64 {
        match self.cfg.deadline {
            Some(d) => self.start.saturating_add(d.as_millis() as u64),
            None => self
                .start
                .saturating_add(30_000)
                .max(self.first_send.unwrap_or(self.start).saturating_add(90_000)),
        }
    }

    fn check_outgoing(&mut self, out: &Outgoing) {
        let req = &out.request;
        let host = req.uri().host();
        let expected =
            if self.kind == SourceKind::LegacyVmExtension { "localhost" } else { "127.0.0.1" };
        assert_eq!(host, Some(expected), "request to another host: {}", req.uri());
        assert!(out.bypass_proxy, "identity requests must bypass proxies");
        assert_eq!(out.max_response_bytes, self.cfg.max_response_bytes);
        assert_eq!(out.tls_pin.is_some(), self.kind == SourceKind::ServiceFabric, "TLS pin");
        assert!(!out.timeout.is_zero(), "a zero timeout");
        assert!(out.timeout <= self.cfg.attempt_timeout, "timeout over attempt_timeout");
        assert!(out.connect_timeout <= out.timeout, "connect timeout over the timeout");
        let ends = self.clock.saturating_add(out.timeout.as_millis() as u64);
        assert!(ends <= self.deadline_bound(), "the attempt may run past the deadline");
        let shown = format!("{out:?}");
        assert!(!shown.contains(MARK), "a secret in Debug of the request: {shown}");
        if let Some((_, header)) = secret_of(self.kind) {
            let sent = req.headers().get(header).map(|v| v.as_bytes());
            let want = self.secret.as_deref().map(|s| s.trim().as_bytes());
            let unsendable = want.is_some_and(|w| http::HeaderValue::from_bytes(w).is_err());
            if sent.is_none() && unsendable && lenient("rotated-secret") {
                return;
            }
            assert_eq!(
                sent, want,
                "{:?} request without the current secret header {header:?} (flow was given {:?})",
                self.kind, self.secret
            );
        }
        if self.kind == SourceKind::AzureArc {
            let auth = req.headers().get("authorization");
            match &self.arc_key {
                None => assert!(auth.is_none(), "Arc first leg with an authorization header"),
                Some(key) => {
                    let key = std::str::from_utf8(key).expect("the flow accepted a non-UTF-8 key");
                    let want = format!("Basic {}", key.trim());
                    let unsendable = http::HeaderValue::from_str(&want).is_err();
                    if auth.is_none() && unsendable && lenient("arc-key") {
                        return;
                    }
                    assert_eq!(
                        auth.map(|v| v.as_bytes()),
                        Some(want.as_bytes()),
                        "Arc second leg without the key read from the file ({key:?})"
                    );
                }
            }
        }
    }
}

fn run(input: &Input) {
    let kind = SourceKind::ALL[usize::from(input.source) % SourceKind::ALL.len()];
    let mut cfg = Config::default();
    cfg.source = Some(kind);
    let client_id = match &input.client_id {
        None => None,
        Some(ClientId::Abc) => Some("abc".to_owned()),
        Some(ClientId::Other(s)) => Some(scrub(s)),
    };
    if let Some(id) = &client_id {
        match Identity::from_selectors(Some(id), None, None) {
            Ok(identity) => cfg.identity = identity,
            Err(_) => return,
        }
    }
    input.settings.apply(&mut cfg);
    cfg.validate().expect("the target builds valid settings");
    let start = match input.start {
        Start::Fixed => START,
        Start::Zero => 0,
        Start::NearEnd(back) => u64::MAX - u64::from(back),
        Start::Any(t) => t,
    };
    let resource = Resource::new("https://management.azure.com/").unwrap();
    let env = env_for(kind, HEADER_SECRET, MSI_SECRET);
    let user_assigned = cfg.identity != Identity::SystemAssigned;
    let refused =
        user_assigned && matches!(kind, SourceKind::CloudShell | SourceKind::ServiceFabric);
    let mut flow = match TokenFlow::new(&cfg, &env, &resource, UnixMillis(start)) {
        Ok(flow) => {
            assert!(!refused, "{kind:?} accepted a user-assigned identity");
            flow
        }
        Err(e) => {
            assert!(refused, "{kind:?} refused a valid configuration: {e:?}");
            return;
        }
    };
    assert_eq!(flow.detection().source, kind);
    let wanted = cfg.identity.id().map(str::to_owned);

    let mut r = Run {
        kind,
        cfg: &cfg,
        start,
        clock: start,
        first_send: None,
        secret: secret_of(kind).and_then(|(var, _)| env.get(var)).map(str::to_owned),
        arc_key: None,
        last_response: start,
    };
    let mut now = start;
    let mut last_id: Option<RequestId> = None;
    let (mut sends, mut gone, mut challenges) = (0u64, 0u64, 0u64);
    let mut answers = input.answers.iter().cycle();
    let mut files = input.files.iter().cycle();
    let mut result = None;

    for _ in 0..MAX_POLLS {
        let action = flow.poll(r.tell(now));
        if !matches!(action, Action::Done(_)) {
            let shown = format!("{flow:?} {action:?}");
            assert!(!shown.contains(MARK), "a secret in Debug: {shown}");
        }
        match action {
            Action::Send(out) => {
                sends += 1;
                r.first_send.get_or_insert(r.clock);
                if let Some(prev) = last_id {
                    assert!(out.id.0 > prev.0, "request ids must grow");
                }
                last_id = Some(out.id);
                r.check_outgoing(&out);
                if kind == SourceKind::AzureArc && input.arc_challenge && sends == 1 {
                    let mut resp = http::Response::new(Vec::new());
                    *resp.status_mut() = http::StatusCode::UNAUTHORIZED;
                    let challenge = format!("Basic realm={KEY_DIR}/agent.key");
                    resp.headers_mut().insert(
                        "www-authenticate",
                        http::HeaderValue::from_str(&challenge).unwrap(),
                    );
                    challenges += 1;
                    let at = r.tell(now);
                    r.last_response = r.clock;
                    flow.handle_response(out.id, resp, at);
                    continue;
                }
                let Some(answer) = answers.next() else {
                    now = now.saturating_add(1);
                    flow.handle_transport_error(out.id, TransportFailure::Timeout, r.tell(now));
                    continue;
                };
                now = now.saturating_add(u64::from(answer.elapsed_ms % 40_000));
                if let Some(s) = answer.stale_first {
                    let bogus = stale(out.id, s);
                    if bogus != out.id {
                        let resp = http::Response::new(b"{}".to_vec());
                        flow.handle_response(bogus, resp, r.tell(now));
                        flow.handle_transport_error(bogus, TransportFailure::Tls, r.tell(now));
                        match flow.poll(r.tell(now)) {
                            Action::WaitUntil(_) => {}
                            Action::Done(Err(e)) => assert_eq!(
                                e.code(),
                                "deadline_exceeded",
                                "a late answer ended the flow: {e:?}"
                            ),
                            other => panic!("a late answer changed the flow: {other:?}"),
                        }
                    }
                }
                if let (Some(new), Some((var, _))) = (&answer.rotate_secret, secret_of(kind)) {
                    let value = format!("{MARK}-ROT-{}", scrub(new));
                    flow.handle_env(&EnvSnapshot::from_vars([(var, value.as_str())]));
                    r.secret = Some(value);
                }
                match &answer.reply {
                    Reply::Http { status, headers, body } => {
                        let resp =
                            response(status, headers, body, r.clock.max(now), wanted.as_deref());
                        if kind == SourceKind::Imds && resp.status() == 410 {
                            gone += 1;
                        }
                        if kind == SourceKind::AzureArc
                            && r.arc_key.is_none()
                            && resp.status() == 401
                        {
                            challenges += 1;
                        }
                        let at = r.tell(now);
                        r.last_response = r.clock;
                        flow.handle_response(out.id, resp, at);
                    }
                    Reply::Transport(n) => {
                        flow.handle_transport_error(out.id, transport(*n), r.tell(now))
                    }
                }
            }
            Action::ReadFile { id, path, max_bytes } => {
                assert_eq!(kind, SourceKind::AzureArc, "only Azure Arc reads files");
                assert_eq!(max_bytes, 4096);
                let dir = format!("{KEY_DIR}/");
                let name = path
                    .strip_prefix(&dir)
                    .unwrap_or_else(|| panic!("key outside {KEY_DIR}: {path}"));
                assert!(!name.contains(['/', '\\']), "key in a subdirectory: {path}");
                assert!(name.len() > 4 && name.ends_with(".key"), "not a .key file: {path}");
                let contents = match files.next() {
                    None | Some(FileAnswer::NotFound) => Err(FileFailure::NotFound),
                    Some(FileAnswer::Key(k)) => Ok(format!("{MARK}-KEY-{}", scrub(k)).into_bytes()),
                    Some(FileAnswer::Bytes(b)) => Ok(b.clone()),
                    Some(FileAnswer::TooLarge) => Err(FileFailure::TooLarge),
                    Some(FileAnswer::PermissionDenied) => Err(FileFailure::PermissionDenied),
                    Some(FileAnswer::Other(s)) => Err(FileFailure::Other(scrub(s))),
                };
                let accepted = contents
                    .as_ref()
                    .ok()
                    .filter(|b| b.len() <= 4096 && std::str::from_utf8(b).is_ok())
                    .cloned();
                // An answer to another read is ignored.
                flow.handle_file(RequestId(id.0.wrapping_add(1)), Ok(b"x".to_vec()), r.tell(now));
                flow.handle_file(id, contents, r.tell(now));
                if accepted.is_some() {
                    r.arc_key = accepted;
                }
            }
            Action::WaitUntil(t) => {
                assert!(t.0 > r.clock, "a wait into the past: {} <= {}", t.0, r.clock);
                now = t.0;
            }
            Action::Done(res) => {
                if let Ok(token) = &res {
                    check_token(token, r.last_response);
                }
                result = Some(res);
                break;
            }
        }
    }

    let max_sends = 1 + u64::from(cfg.retry.max_retries) + gone + challenges;
    assert!(sends <= max_sends, "{sends} requests, at most {max_sends} allowed");

    // A poll after any deadline ends the flow, and `Done` never changes.
    let late = r.deadline_bound().saturating_add(1).max(r.clock);
    let Action::Done(end) = flow.poll(UnixMillis(late)) else {
        panic!("the flow goes on after its deadline");
    };
    if let Some(res) = result {
        assert_eq!(res, end, "Done changed");
    }
    let Action::Done(again) = flow.poll(UnixMillis(late.saturating_add(1))) else { panic!() };
    assert_eq!(end, again, "Done changed");
    if let Err(e) = &end {
        assert_eq!(e.source_kind, kind);
        assert!(e.attempts.len() as u64 <= sends, "more attempts recorded than sent");
        let _ = format!("{e:?} {e}"); // Debug and Display of any error must not panic
    }
}

fn check_token(token: &azmi_core::AccessToken, received: u64) {
    assert!(!token.secret().is_empty(), "an empty token");
    assert!(token.refresh_on <= token.expires_on, "refresh_on after expires_on");
    assert!(token.expires_on.0 > received, "handed out an expired token");
    assert!(token.refresh_on.0 >= received, "refresh_on before the token arrived");
    assert_eq!(format!("{token:?}"), "AccessToken(***)");
}

fuzz_target!(|input: Input| run(&input));
