//! One ARM operation as a state machine: token, request, retries, paging, long-running polling.
//!
//! # Theory of operation
//!
//! Like `TokenFlow`: `poll(now)` says what to do, `handle_*` reports what happened. An operation
//! is a sequence of *exchanges* (one logical HTTP request each: the first request, each next
//! page, each poll, the final read). An exchange needs a token (`NeedToken`, fulfilled by the
//! caller from the identity engine's cache), is retried on 429 and — for methods safe to repeat —
//! on 408/5xx and transport failures, and on a 401 asks once for a refreshed token and repeats.
//! The *phase* decides what follows a successful exchange. One deadline covers all of it.
//!
//! Bearer tokens only go to the cloud's endpoint: every `nextLink` and poll URL is checked
//! against it before anything is sent.

use std::time::Duration;

use http::Method;

use super::cloud::Cloud;
use super::config::ArmConfig;
use super::error::{ArmError, ArmErrorKind, ErrorBody};
use super::layout::Shape;
use super::lro::{self, Poller, Progress};
use super::outcome::{ArmOutcome, ArmResponse};
use super::paging::{Next, Pager};
use super::request::ArmRequest;
use crate::action::{Outgoing, RequestId, TransportFailure};
use crate::config::Resource;
use crate::error::{AttemptResult, TokenError};
use crate::redact;
use crate::retry::{self, Backoff};
use crate::time::{Monotonic, UnixMillis};
use crate::token::AccessToken;
use crate::wait::{DelaySetBy, WaitCause, WaitReason};

/// A held token is replaced this long before it expires.
const TOKEN_MARGIN: Duration = Duration::from_secs(60);

/// What the caller does next for an ARM flow.
// Returned by value once per step; boxing `Send` would only add an allocation per request.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
#[must_use]
pub enum ArmAction {
    /// Get a token for `resource` (from the cache; `refresh`: a fresh one, ARM refused the last)
    /// and call `handle_token`.
    NeedToken {
        /// The cloud's token resource.
        resource: Resource,
        /// Bypass the cache: ARM answered 401 to the cached token.
        refresh: bool,
    },
    /// Send this request, then call `handle_response` or `handle_transport_error`.
    Send(Outgoing),
    /// Nothing to do before this instant (or before a pending answer); poll again then.
    WaitUntil(UnixMillis),
    /// The operation is over.
    Done(Result<ArmOutcome, ArmError>),
}

/// One ARM operation. Call order: `new` (or `resume`), then `poll` after it and after every
/// `handle_*` until `ArmAction::Done`. Answers to unknown requests are ignored.
#[derive(Debug)]
pub struct ArmFlow {
    cloud: Cloud,
    cfg: ArmConfig,
    backoff: Backoff,
    clock: Monotonic,
    started: UnixMillis,
    deadline: UnixMillis,
    token: Option<AccessToken>,
    refreshed: bool,
    phase: Phase,
    target: Target,
    retries: u32,
    step: Step,
    next_id: u64,
    /// Why the flow waits, while in `Step::Backoff`.
    waiting: Option<WaitReason>,
}

#[derive(Debug)]
enum Phase {
    First(Shape),
    Paging(Pager),
    Polling(Poller),
    FinalRead,
}

/// The current exchange's request.
#[derive(Debug)]
struct Target {
    method: Method,
    url: String,
    body: Option<Vec<u8>>,
    auth: bool,
}

#[derive(Debug)]
enum Step {
    Ready,
    NeedToken { refresh: bool },
    Sending { id: RequestId },
    Backoff { until: UnixMillis },
    Done(Box<Result<ArmOutcome, ArmError>>),
}

impl ArmFlow {
    /// Starts `request` against `cloud`.
    pub fn new(
        cfg: &ArmConfig,
        cloud: &Cloud,
        request: &ArmRequest,
        now: UnixMillis,
    ) -> Result<Self, ArmError> {
        if let Some(url) = request.absolute_url() {
            // The caller's URL: its host must be the cloud's, or the token would leave it.
            if !cloud.owns(&url) {
                let url = redact::userinfo(&url).into_owned();
                return Err(ArmError::new(ArmErrorKind::ForeignHost { url }));
            }
        }
        let body = request.body().map(|b| serde_json::to_vec(b).unwrap_or_default());
        let target = Target {
            method: request.method().clone(),
            url: request.url(cloud.endpoint()),
            body,
            auth: request.needs_token(),
        };
        Self::start(cfg, cloud, Phase::First(request.shape()), target, now)
    }

    /// Goes on polling a long-running operation from `continuation_token()` of another flow.
    pub fn resume(
        cfg: &ArmConfig,
        cloud: &Cloud,
        continuation: &str,
        now: UnixMillis,
    ) -> Result<Self, ArmError> {
        let poller: Poller = serde_json::from_str(continuation)
            .ok()
            .filter(|p: &Poller| p.v == 1)
            .ok_or_else(|| ArmError::config("not an azmi continuation token (version 1)"))?;
        for url in [&poller.url, &poller.resource_url] {
            if !cloud.owns(url) {
                return Err(ArmError::new(ArmErrorKind::ForeignHost { url: url.clone() }));
            }
        }
        let target =
            Target { method: Method::GET, url: poller.url.clone(), body: None, auth: true };
        Self::start(cfg, cloud, Phase::Polling(poller), target, now)
    }

    fn start(
        cfg: &ArmConfig,
        cloud: &Cloud,
        phase: Phase,
        target: Target,
        now: UnixMillis,
    ) -> Result<Self, ArmError> {
        cfg.validate().map_err(|e| ArmError::config(format!("ARM config: {e}")))?;
        Ok(ArmFlow {
            cloud: cloud.clone(),
            cfg: cfg.clone(),
            backoff: Backoff::new(&cfg.retry),
            clock: Monotonic::new(now),
            started: now,
            deadline: now.plus(cfg.deadline),
            token: None,
            refreshed: false,
            phase,
            target,
            retries: 0,
            step: Step::Ready,
            next_id: 0,
            waiting: None,
        })
    }

    /// A serialisable token to resume polling elsewhere (`ArmFlow::resume`); present while a
    /// long-running operation is being polled.
    pub fn continuation_token(&self) -> Option<String> {
        match &self.phase {
            Phase::Polling(p) => serde_json::to_string(p).ok(),
            _ => None,
        }
    }

    /// Why the flow waits (a retry and its cause, or another poll of a long-running operation
    /// and ARM's status), while `poll` answers `WaitUntil` before the next request; `None`
    /// otherwise.
    pub fn wait_reason(&self) -> Option<&WaitReason> {
        match self.step {
            Step::Backoff { .. } => self.waiting.as_ref(),
            _ => None,
        }
    }

    /// What the caller does next.
    pub fn poll(&mut self, now: UnixMillis) -> ArmAction {
        let now = self.clock.advance(now);
        loop {
            match &self.step {
                Step::Done(result) => return ArmAction::Done((**result).clone()),
                _ if now >= self.deadline => self.fail(ArmErrorKind::DeadlineExceeded {
                    deadline: self.deadline.since(self.started),
                }),
                Step::Backoff { until } if now >= *until => self.step = Step::Ready,
                Step::Backoff { until } => return ArmAction::WaitUntil(*until),
                Step::NeedToken { refresh } => {
                    return ArmAction::NeedToken {
                        resource: self.cloud.resource().clone(),
                        refresh: *refresh,
                    }
                }
                Step::Sending { .. } => return ArmAction::WaitUntil(self.deadline),
                Step::Ready if self.target.auth && !self.has_token(now) => {
                    self.step = Step::NeedToken { refresh: false }
                }
                Step::Ready => return self.send(now),
            }
        }
    }

    /// The token asked for by `NeedToken`, or why there is none.
    pub fn handle_token(&mut self, token: Result<AccessToken, TokenError>, now: UnixMillis) {
        self.clock.advance(now);
        if !matches!(self.step, Step::NeedToken { .. }) {
            return;
        }
        match token {
            Ok(t) => {
                self.token = Some(t);
                self.step = Step::Ready;
            }
            Err(e) => self.fail(ArmErrorKind::Token(Box::new(e))),
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
        if !matches!(self.step, Step::Sending { id: pending } if pending == id) {
            return;
        }
        let status = resp.status().as_u16();
        if resp.body().len() > self.cfg.max_response_bytes {
            return self.fail(ArmErrorKind::InvalidResponse {
                problem: format!("body over {} bytes", self.cfg.max_response_bytes),
            });
        }
        let response = ArmResponse::from_http(&resp);
        if status == 401 && self.target.auth && !self.refreshed {
            self.refreshed = true;
            self.token = None;
            self.step = Step::NeedToken { refresh: true };
            return;
        }
        if is_retryable(status, &self.target.method) {
            let server_delay = retry::server_delay(resp.headers(), now);
            let failure = status_error(&response, server_delay);
            return self.retry(failure, AttemptResult::Status(status), server_delay, now);
        }
        self.advance(response, resp.headers(), now);
    }

    /// Request `id` got no response.
    pub fn handle_transport_error(
        &mut self,
        id: RequestId,
        err: TransportFailure,
        now: UnixMillis,
    ) {
        let now = self.clock.advance(now);
        if !matches!(self.step, Step::Sending { id: pending } if pending == id) {
            return;
        }
        let unavailable = ArmError::new(ArmErrorKind::Unavailable { reason: err.to_string() });
        let after = AttemptResult::Transport(err.clone());
        match err {
            // Nothing reached the server: safe to send again whatever the method.
            TransportFailure::ConnectionRefused
            | TransportFailure::Unreachable
            | TransportFailure::ConnectTimeout => self.retry(unavailable, after, None, now),
            TransportFailure::BodyTooLarge => self
                .fail(ArmErrorKind::InvalidResponse { problem: "body over the size cap".into() }),
            TransportFailure::Tls => self.finish(Err(unavailable)),
            _ if is_idempotent(&self.target.method) => self.retry(unavailable, after, None, now),
            _ => self.finish(Err(unavailable)),
        }
    }

    /// What a successful (or final) response of the current exchange leads to.
    fn advance(&mut self, response: ArmResponse, headers: &http::HeaderMap, now: UnixMillis) {
        let status = response.status;
        if let Phase::First(Shape::Exists) = self.phase {
            return match status {
                200 | 204 => self.finish(Ok(ArmOutcome::Exists { exists: true, last: response })),
                404 => self.finish(Ok(ArmOutcome::Exists { exists: false, last: response })),
                _ => self.finish(Err(status_error(&response, None))),
            };
        }
        if !(200..300).contains(&status) {
            return self.finish(Err(status_error(&response, None)));
        }
        match std::mem::replace(&mut self.phase, Phase::FinalRead) {
            Phase::First(Shape::Discovery) => {
                match Cloud::from_metadata(self.cloud.endpoint(), &response.body) {
                    Ok(cloud) => self.finish(Ok(ArmOutcome::Cloud(cloud))),
                    Err(problem) => self.fail(ArmErrorKind::InvalidResponse { problem }),
                }
            }
            Phase::First(Shape::Single | Shape::Exists) | Phase::FinalRead => {
                self.finish(Ok(ArmOutcome::Response(response)))
            }
            Phase::First(Shape::Paged) => self.next_page(Pager::default(), response, now),
            Phase::Paging(pager) => self.next_page(pager, response, now),
            Phase::First(Shape::LongRunning) => {
                match lro::start(
                    &self.target.method,
                    &self.target.url,
                    status,
                    headers,
                    &response.body,
                ) {
                    Some(poller) => {
                        let state = Poller::state(&response.body);
                        self.poll_later(poller, status, state, headers, now)
                    }
                    None => self.finish(Ok(ArmOutcome::Response(response))),
                }
            }
            Phase::Polling(poller) => match poller.progress(status, &response.body) {
                Ok(Progress::Running) => {
                    let state = Poller::state(&response.body);
                    self.poll_later(poller, status, state, headers, now)
                }
                Ok(Progress::Succeeded(Some(url))) => {
                    self.exchange(Phase::FinalRead, url, None, now)
                }
                Ok(Progress::Succeeded(None)) => self.finish(Ok(ArmOutcome::Response(response))),
                Ok(Progress::Failed(state, body)) => {
                    let mut e = ArmError::new(ArmErrorKind::OperationFailed { state });
                    e.body = body.map(Box::new);
                    e.status = Some(status);
                    e.set_ids(response.request_id, response.correlation_id);
                    self.finish(Err(e))
                }
                Err(problem) => self.fail(ArmErrorKind::InvalidResponse { problem }),
            },
        }
    }

    fn next_page(&mut self, mut pager: Pager, response: ArmResponse, now: UnixMillis) {
        match pager.accept(&response.body) {
            Ok(Next::Follow(url)) => self.exchange(Phase::Paging(pager), url, None, now),
            Ok(Next::Finished) => {
                self.finish(Ok(ArmOutcome::Items { items: pager.items, last: response }))
            }
            Err(e) => self.finish(Err(e)),
        }
    }

    /// Polls `poller` after ARM's `Retry-After`, or the configured delay; `status` and `state`
    /// are what the last answer said, for the wait's reason.
    fn poll_later(
        &mut self,
        poller: Poller,
        status: u16,
        state: Option<String>,
        headers: &http::HeaderMap,
        now: UnixMillis,
    ) {
        let (wait, set_by) = match retry::server_delay(headers, now) {
            Some(d) => (d, DelaySetBy::RetryAfter),
            None => (self.cfg.lro_poll_delay, DelaySetBy::PollInterval),
        };
        let url = poller.url.clone();
        let cause = WaitCause::Poll { status, state };
        self.exchange(Phase::Polling(poller), url, Some((wait, cause, set_by)), now);
    }

    /// Starts the next exchange: a GET of `url` (checked against the endpoint), after `wait`
    /// (its length, why, and what set the length).
    fn exchange(
        &mut self,
        phase: Phase,
        url: String,
        wait: Option<(Duration, WaitCause, DelaySetBy)>,
        now: UnixMillis,
    ) {
        self.phase = phase;
        if !self.cloud.owns(&url) {
            // ARM chose this URL: what it shows goes through the server-text redaction.
            let url = redact::server_text(&redact::userinfo(&url));
            return self.finish(Err(ArmError::new(ArmErrorKind::ForeignHost { url })));
        }
        self.target = Target { method: Method::GET, url, body: None, auth: true };
        self.retries = 0;
        self.step = Step::Ready;
        if let Some((delay, cause, set_by)) = wait {
            self.wait(WaitReason { cause, delay, set_by }, now);
        }
    }

    /// Retries the current exchange (whose attempt got `after`), or ends with `failure` when no
    /// retry is left.
    fn retry(
        &mut self,
        failure: ArmError,
        after: AttemptResult,
        server_delay: Option<Duration>,
        now: UnixMillis,
    ) {
        let n = self.retries + 1;
        if n > self.cfg.retry.max_retries {
            return self.finish(Err(failure));
        }
        self.retries = n;
        let (delay, set_by) = match server_delay {
            Some(d) => (d, DelaySetBy::RetryAfter),
            None => (self.backoff.delay(n, self.cfg.retry.max_delay), DelaySetBy::Backoff),
        };
        // A 429 asking for a wait past the deadline is throttling, not a slow ARM: say so, with
        // the wait ARM asked for.
        let throttled = matches!(failure.kind, ArmErrorKind::Throttled { .. });
        if throttled && server_delay.is_some() && now.plus(delay) >= self.deadline {
            return self.finish(Err(failure));
        }
        let cause = WaitCause::Retry { retry: n, after };
        self.wait(WaitReason { cause, delay, set_by }, now);
    }

    /// Waits before the current exchange, unless that would reach the deadline.
    fn wait(&mut self, reason: WaitReason, now: UnixMillis) {
        let until = now.plus(reason.delay);
        if until >= self.deadline {
            return self.fail(ArmErrorKind::DeadlineExceeded {
                deadline: self.deadline.since(self.started),
            });
        }
        self.step = Step::Backoff { until };
        self.waiting = Some(reason);
    }

    fn send(&mut self, now: UnixMillis) -> ArmAction {
        let mut b = http::Request::builder()
            .method(self.target.method.clone())
            .uri(&self.target.url)
            .header("accept", "application/json");
        if self.target.auth {
            let secret = self.token.as_ref().map(AccessToken::secret).unwrap_or_default();
            match http::HeaderValue::from_str(&format!("Bearer {secret}")) {
                Ok(mut v) => {
                    v.set_sensitive(true);
                    b = b.header(http::header::AUTHORIZATION, v);
                }
                Err(_) => {
                    self.fail(ArmErrorKind::InvalidResponse {
                        problem: "the token cannot travel in a header".into(),
                    });
                    return self.poll(now);
                }
            }
        }
        if self.target.body.is_some() {
            b = b.header(http::header::CONTENT_TYPE, "application/json");
        }
        let request = match b.body(self.target.body.clone().unwrap_or_default()) {
            Ok(r) => r,
            Err(_) => {
                // The URL may be one ARM chose (nextLink, Location): server text.
                let url = redact::server_text(&redact::userinfo(&self.target.url));
                let problem = format!("{url} is not a valid request URL");
                self.fail(ArmErrorKind::InvalidResponse { problem });
                return self.poll(now);
            }
        };
        self.next_id += 1;
        let id = RequestId(self.next_id);
        self.step = Step::Sending { id };
        let timeout = self.cfg.attempt_timeout.min(self.deadline.since(now));
        ArmAction::Send(Outgoing {
            id,
            request,
            timeout,
            connect_timeout: self.cfg.connect_timeout.min(timeout),
            max_response_bytes: self.cfg.max_response_bytes,
            tls_pin: None,
            bypass_proxy: false,
        })
    }

    fn has_token(&self, now: UnixMillis) -> bool {
        self.token.as_ref().is_some_and(|t| now < t.expires_on.minus(TOKEN_MARGIN))
    }

    fn fail(&mut self, kind: ArmErrorKind) {
        self.finish(Err(ArmError::new(kind)));
    }

    fn finish(&mut self, result: Result<ArmOutcome, ArmError>) {
        // ARM may echo the request, bearer included, in its error: mask the token it was sent.
        let result = match (result, &self.token) {
            (Err(e), Some(token)) => Err(e.without_secret(token.secret())),
            (result, _) => result,
        };
        self.step = Step::Done(Box::new(result));
    }
}

fn is_idempotent(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS)
}

/// 429 is retried for every method (ARM did not process it); 408/5xx only where repeating is safe.
fn is_retryable(status: u16, method: &Method) -> bool {
    status == 429 || (matches!(status, 408 | 500 | 502 | 503 | 504) && is_idempotent(method))
}

fn status_error(response: &ArmResponse, retry_after: Option<Duration>) -> ArmError {
    let body = ErrorBody::parse(&response.body);
    let mut e = ArmError::from_status(response.status, body, retry_after);
    e.set_ids(response.request_id.clone(), response.correlation_id.clone());
    e
}
