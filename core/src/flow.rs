//! One token acquisition as a state machine.
//!
//! # Theory of operation
//!
//! The flow is created with the configuration, an environment snapshot, the resource and the
//! current time. From then on the caller loops: `poll(now)` says what to do next — send a request,
//! read the Arc key file, wait until an instant, or take the result — and the caller reports what
//! happened through `handle_response`, `handle_transport_error` or `handle_file`, then polls again.
//!
//! States: `Ready` (an attempt is due) → `Sending` (the caller holds the request) → either a
//! result (`Done`), a `Backoff` until the next attempt, or, on Azure Arc's 401 challenge,
//! `NeedKey` → `ReadingKey` → `Ready` for the second leg. A single deadline covers everything: a
//! wait that would end at or after it is never started, and a poll after it ends the flow.
//!
//! IMDS answers 410 while it updates ("available within 70 seconds"): after a 410 the flow keeps
//! trying past `max_retries` until an attempt starts at least 70 s after the first, with waits
//! capped at 10 s; with the default deadline, a 410 moves the deadline to first attempt + 90 s.
//!
//! # The IMDS probe
//!
//! The first request to IMDS is also a probe: on a laptop or a CI runner the IMDS address is
//! routed but nothing answers, and packets are dropped. That first request connects within
//! `Config::probe_timeout` (not `connect_timeout`); if it times out connecting, the flow ends at
//! once as `unavailable` ("no managed identity here"), as a refused connection or no route
//! already does, which the bindings raise as `CredentialUnavailableError`, so a credential chain
//! moves on. This holds however IMDS was chosen: by default (no managed-identity variable set),
//! through `AZURE_POD_IDENTITY_AUTHORITY_HOST` (a pod identity agent, the emulator: one that
//! cannot be reached is no identity either), or forced by the configuration (the credentials
//! pin the source they detected as a forced one, so forcing cannot mean "skip the probe"; a
//! real IMDS accepts a connection in milliseconds, and `probe_timeout` can be raised).
//! Later attempts are never probes: once IMDS has been reached, a time-out is retried as before
//! (refused or unreachable IMDS stays `unavailable` on any attempt).
//!
//! Only a connect time-out counts: the transport reports it apart
//! (`TransportFailure::ConnectTimeout`: no connection within the connect budget, nothing sent)
//! from a whole-attempt time-out (`TransportFailure::Timeout`: IMDS was reached but did not answer
//! in time, which is retried). A first request whose connect budget the deadline cut below
//! `probe_timeout` is no probe either: its connect time-out is retried, and the deadline ends it.

use std::time::Duration;

use crate::action::{Action, FileFailure, Outgoing, RequestId, TransportFailure};
use crate::config::{Config, Identity, Resource, DEFAULT_DEADLINE};
use crate::env::EnvSnapshot;
use crate::error::{Attempt, AttemptResult, ConfigError, ErrorKind, TokenError};
use crate::response::{self, Verdict};
use crate::retry::Backoff;
use crate::source::{arc, Detection, Endpoint, SourceKind};
use crate::time::{Monotonic, UnixMillis};
use crate::token::AccessToken;
use crate::wait::{DelaySetBy, WaitCause, WaitReason};

/// IMDS promises to be back within this long after a 410.
const GONE_WINDOW: Duration = Duration::from_secs(70);
/// Longest wait between attempts while IMDS answers 410.
const GONE_MAX_DELAY: Duration = Duration::from_secs(10);
/// The default deadline after a 410, counted from the first attempt.
const GONE_DEADLINE: Duration = Duration::from_secs(90);
/// Why an IMDS that cannot be reached means no managed identity, and what to do about it.
const NO_IMDS: &str = "no managed identity here (not an Azure VM?). To use another identity \
endpoint set AZURE_POD_IDENTITY_AUTHORITY_HOST, or the variables of another source \
(IDENTITY_ENDPOINT with IDENTITY_HEADER, MSI_ENDPOINT); to try locally, run `azmi emulate` \
and use the variables it prints";

/// One token request, from the first attempt to a token or a typed error.
///
/// Call order: `new`, then `poll` after `new` and after every `handle_*` until it returns
/// `Action::Done`. Answers with an unknown `RequestId` are ignored.
///
/// ```
/// use azmi_core::{Action, Config, EnvSnapshot, Resource, TokenFlow, UnixMillis};
/// let env = EnvSnapshot::from_vars([("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:8080")]);
/// let resource = Resource::new("https://management.azure.com/").unwrap();
/// let mut flow = TokenFlow::new(&Config::default(), &env, &resource, UnixMillis(0)).unwrap();
/// let Action::Send(out) = flow.poll(UnixMillis(0)) else { panic!() };
/// assert_eq!(out.request.uri().host(), Some("127.0.0.1"));
/// let body = br#"{"access_token":"t","expires_in":"3600"}"#.to_vec();
/// flow.handle_response(out.id, http::Response::new(body), UnixMillis(5));
/// let Action::Done(Ok(token)) = flow.poll(UnixMillis(5)) else { panic!() };
/// assert_eq!(token.secret(), "t");
/// ```
#[derive(Debug)]
pub struct TokenFlow {
    detection: Detection,
    endpoint: Endpoint,
    identity: Identity,
    resource: Resource,
    /// Current value of the source's secret header (the platform rotates it).
    secret: Option<Secret>,
    arc_key: Option<Secret>,
    limits: Limits,
    backoff: Backoff,
    clock: Monotonic,
    started: UnixMillis,
    deadline: UnixMillis,
    first_attempt: Option<UnixMillis>,
    retries: u32,
    next_id: u64,
    attempts: Vec<Attempt>,
    state: State,
    /// Why the flow waits, while in `Backoff`.
    waiting: Option<WaitReason>,
}

#[derive(Debug)]
struct Limits {
    attempt_timeout: Duration,
    connect_timeout: Duration,
    max_body: usize,
    max_retries: u32,
    max_delay: Duration,
    explicit_deadline: bool,
    /// Connect budget of the first request when it is an IMDS probe (see the module docs).
    probe: Option<Duration>,
}

#[derive(Debug)]
enum State {
    Ready,
    /// `probe`: the request is the IMDS probe, connecting within the whole probe budget.
    Sending {
        id: RequestId,
        since: UnixMillis,
        probe: bool,
    },
    Backoff {
        until: UnixMillis,
    },
    NeedKey {
        path: String,
    },
    ReadingKey {
        id: RequestId,
    },
    Done(Result<AccessToken, TokenError>),
}

/// A secret header value or the Arc key, hidden from `Debug`.
struct Secret(String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

impl TokenFlow {
    /// Starts a token request. Fails, before any request, when the configuration cannot work.
    pub fn new(
        cfg: &Config,
        env: &EnvSnapshot,
        resource: &Resource,
        now: UnixMillis,
    ) -> Result<Self, ConfigError> {
        cfg.validate()?;
        let detection = Detection::detect(cfg.source, env);
        let endpoint = Endpoint::resolve(detection.source, cfg, env)?;
        let secret = endpoint.secret_var.and_then(|v| env.get(v)).map(|v| Secret(v.to_owned()));
        // Build the first request now, so a bad endpoint is a ConfigError before any I/O.
        endpoint.request(&cfg.identity, resource, secret.as_ref().map(|s| s.0.as_str()), None)?;
        let probe = (endpoint.kind == SourceKind::Imds).then_some(cfg.probe_timeout);
        Ok(TokenFlow {
            detection,
            endpoint,
            identity: cfg.identity.clone(),
            resource: resource.clone(),
            secret,
            arc_key: None,
            limits: Limits {
                attempt_timeout: cfg.attempt_timeout,
                connect_timeout: cfg.connect_timeout,
                max_body: cfg.max_response_bytes,
                max_retries: cfg.retry.max_retries,
                max_delay: cfg.retry.max_delay,
                explicit_deadline: cfg.deadline.is_some(),
                probe,
            },
            backoff: Backoff::new(&cfg.retry),
            clock: Monotonic::new(now),
            started: now,
            deadline: now.plus(cfg.deadline.unwrap_or(DEFAULT_DEADLINE)),
            first_attempt: None,
            retries: 0,
            next_id: 0,
            attempts: Vec::new(),
            state: State::Ready,
            waiting: None,
        })
    }

    /// Which source this flow talks to, and why.
    pub fn detection(&self) -> &Detection {
        &self.detection
    }

    /// Why the flow waits (the retry it is waiting for, its cause, and what set the wait's
    /// length), while `poll` answers `WaitUntil` before another attempt; `None` otherwise.
    pub fn wait_reason(&self) -> Option<&WaitReason> {
        match self.state {
            State::Backoff { .. } => self.waiting.as_ref(),
            _ => None,
        }
    }

    /// What the caller does next.
    pub fn poll(&mut self, now: UnixMillis) -> Action {
        let now = self.clock.advance(now);
        loop {
            match &self.state {
                State::Done(result) => return Action::Done(result.clone()),
                _ if now >= self.deadline => self.fail(ErrorKind::DeadlineExceeded {
                    deadline: self.deadline.since(self.started),
                }),
                State::Ready => return self.send(now),
                State::Backoff { until } if now >= *until => self.state = State::Ready,
                State::Backoff { until } => return Action::WaitUntil(*until),
                State::NeedKey { path } => {
                    let path = path.clone();
                    let id = self.fresh_id();
                    self.state = State::ReadingKey { id };
                    return Action::ReadFile { id, path, max_bytes: arc::MAX_KEY_BYTES };
                }
                State::Sending { .. } | State::ReadingKey { .. } => {
                    return Action::WaitUntil(self.deadline)
                }
            }
        }
    }

    /// The response to request `id`.
    pub fn handle_response(
        &mut self,
        id: RequestId,
        resp: http::Response<Vec<u8>>,
        now: UnixMillis,
    ) {
        let now = self.clock.advance(now);
        if !self.record(id, AttemptResult::Status(resp.status().as_u16())) {
            return;
        }
        let cx = response::Context {
            kind: self.endpoint.kind,
            identity: &self.identity,
            now,
            max_body: self.limits.max_body,
            arc_first_leg: self.arc_key.is_none(),
            arc_key_dir: self.endpoint.arc_key_dir.as_ref(),
        };
        match response::judge(&cx, &resp) {
            Verdict::Token(token) => self.state = State::Done(Ok(token)),
            Verdict::Fail(kind) => self.fail(kind),
            Verdict::ArcChallenge(Ok(path)) => self.state = State::NeedKey { path },
            Verdict::ArcChallenge(Err(problem)) => self.fail(ErrorKind::KeyFile { problem }),
            Verdict::Retry { failure, server_delay, gone } => {
                self.retry(failure, server_delay, gone, now)
            }
        }
    }

    /// Request `id` got no response.
    pub fn handle_transport_error(
        &mut self,
        id: RequestId,
        err: TransportFailure,
        now: UnixMillis,
    ) {
        let now = self.clock.advance(now);
        let probe = matches!(self.state, State::Sending { probe: true, .. });
        if !self.record(id, AttemptResult::Transport(err.clone())) {
            return;
        }
        let kind = self.endpoint.kind;
        let unavailable = |reason: String| ErrorKind::Unavailable { reason };
        match err {
            TransportFailure::ConnectionRefused | TransportFailure::Unreachable
                if kind == SourceKind::Imds =>
            {
                self.fail(unavailable(format!("{err}; {NO_IMDS}")))
            }
            TransportFailure::ConnectTimeout if probe => {
                self.fail(unavailable(format!("no connection on the first contact; {NO_IMDS}")))
            }
            TransportFailure::Tls => self.fail(unavailable(
                "TLS failed (the certificate did not match the pinned thumbprint?)".to_owned(),
            )),
            TransportFailure::BodyTooLarge => {
                self.fail(ErrorKind::InvalidResponse { problem: "body over the size cap".into() })
            }
            _ => self.retry(unavailable(format!("{err} on the last attempt")), None, false, now),
        }
    }

    /// The contents of the file read for `Action::ReadFile` `id`, or why it could not be read.
    pub fn handle_file(
        &mut self,
        id: RequestId,
        contents: Result<Vec<u8>, FileFailure>,
        now: UnixMillis,
    ) {
        self.clock.advance(now);
        if !matches!(self.state, State::ReadingKey { id: pending } if pending == id) {
            return;
        }
        let key =
            contents.map_err(|e| format!("could not read the key file: {e}")).and_then(|bytes| {
                if bytes.len() as u64 > arc::MAX_KEY_BYTES {
                    return Err(format!("the key file is over {} bytes", arc::MAX_KEY_BYTES));
                }
                let key =
                    String::from_utf8(bytes).map_err(|_| "the key file is not text".to_owned())?;
                arc::basic_auth(&key).map_err(|_| {
                    "the key file holds characters a header cannot carry".to_owned()
                })?;
                Ok(key)
            });
        match key {
            Ok(key) => {
                self.arc_key = Some(Secret(key));
                self.state = State::Ready;
            }
            Err(problem) => self.fail(ErrorKind::KeyFile { problem }),
        }
    }

    /// A newer environment snapshot: picks up a rotated secret header for the next attempt.
    pub fn handle_env(&mut self, env: &EnvSnapshot) {
        if let Some(value) = self.endpoint.secret_var.and_then(|v| env.get(v)) {
            self.secret = Some(Secret(value.to_owned()));
        }
    }

    fn send(&mut self, now: UnixMillis) -> Action {
        let request = self.endpoint.request(
            &self.identity,
            &self.resource,
            self.secret.as_ref().map(|s| s.0.as_str()),
            self.arc_key.as_ref().map(|k| k.0.as_str()),
        );
        let request = match request {
            Ok(r) => r,
            // Only a rotated secret that no header can carry gets here.
            Err(e) => {
                self.fail(ErrorKind::Config(e));
                return self.poll(now);
            }
        };
        let id = self.fresh_id();
        let timeout = self.limits.attempt_timeout.min(self.deadline.since(now));
        let probe_budget = self.limits.probe.filter(|_| self.first_attempt.is_none());
        let connect_timeout = probe_budget.unwrap_or(self.limits.connect_timeout).min(timeout);
        let probe = probe_budget.is_some_and(|p| p <= timeout);
        self.first_attempt.get_or_insert(now);
        self.state = State::Sending { id, since: now, probe };
        Action::Send(Outgoing {
            id,
            request,
            timeout,
            connect_timeout,
            max_response_bytes: self.limits.max_body,
            tls_pin: self.endpoint.tls_pin.clone(),
            bypass_proxy: true,
        })
    }

    /// Records the answer to the pending request; false when `id` is not the pending one.
    fn record(&mut self, id: RequestId, result: AttemptResult) -> bool {
        let State::Sending { id: pending, since, .. } = self.state else { return false };
        if pending != id {
            return false;
        }
        self.attempts.push(Attempt {
            started: since.since(self.started),
            result,
            waited: Duration::ZERO,
        });
        true
    }

    /// Schedules the next attempt, or ends the flow with `failure` when none is allowed.
    fn retry(
        &mut self,
        failure: ErrorKind,
        server_delay: Option<Duration>,
        gone: bool,
        now: UnixMillis,
    ) {
        let first = self.first_attempt.unwrap_or(self.started);
        if gone && !self.limits.explicit_deadline {
            self.deadline = self.deadline.max(first.plus(GONE_DEADLINE));
        }
        let n = self.retries + 1;
        let in_gone_window = gone && now < first.plus(GONE_WINDOW);
        if n > self.limits.max_retries && !in_gone_window {
            return self.fail(failure);
        }
        let cap =
            if gone { GONE_MAX_DELAY.min(self.limits.max_delay) } else { self.limits.max_delay };
        let backoff = self.backoff.delay(n, cap);
        // Past max_retries (the 410 window) a server's tiny Retry-After must not turn the
        // retries into a busy loop: never wait less than the backoff there.
        let (delay, set_by) = match server_delay {
            Some(d) if n > self.limits.max_retries && d < backoff => (backoff, DelaySetBy::Backoff),
            Some(d) => (d, DelaySetBy::RetryAfter),
            None => (backoff, DelaySetBy::Backoff),
        };
        let until = now.plus(delay);
        if until >= self.deadline {
            // A 429 asking for a wait past the deadline is throttling, not a slow endpoint: say
            // so, with the wait the server asked for, so callers can back off that long.
            if server_delay.is_some() && matches!(failure, ErrorKind::Throttled { .. }) {
                return self.fail(failure);
            }
            return self
                .fail(ErrorKind::DeadlineExceeded { deadline: self.deadline.since(self.started) });
        }
        let mut after = None;
        if let Some(last) = self.attempts.last_mut() {
            last.waited = delay;
            after = Some(last.result.clone());
        }
        // The wait as it is kept (whole milliseconds), so every engine reports the same.
        self.waiting = after.map(|after| WaitReason {
            cause: WaitCause::Retry { retry: n, after },
            delay: until.since(now),
            set_by,
        });
        self.retries = n;
        self.state = State::Backoff { until };
    }

    fn fail(&mut self, kind: ErrorKind) {
        let kind = self.without_known_secrets(kind);
        let attempts = std::mem::take(&mut self.attempts);
        self.state =
            State::Done(Err(TokenError { kind, source_kind: self.endpoint.kind, attempts }));
    }

    /// `kind` with the secret header value and the Arc key masked wherever server text carried
    /// them into it (an endpoint may echo the request in its error description).
    fn without_known_secrets(&self, kind: ErrorKind) -> ErrorKind {
        let secrets: Vec<&str> =
            [&self.secret, &self.arc_key].into_iter().flatten().map(|s| s.0.as_str()).collect();
        if secrets.is_empty() {
            return kind;
        }
        let Ok(mut json) = serde_json::to_value(&kind) else { return kind };
        crate::redact::known_json(&mut json, &secrets);
        serde_json::from_value(json).unwrap_or(kind)
    }

    fn fresh_id(&mut self) -> RequestId {
        self.next_id += 1;
        RequestId(self.next_id)
    }
}
