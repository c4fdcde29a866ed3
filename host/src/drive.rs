//! The one loop that drives the core's flows with real I/O: it sends requests, sleeps and reads
//! the Arc key file, exactly as each flow asks. Token and ARM flows of either engine go through
//! `drive`, so there is one place where the core meets the world.
//!
//! A flow reaches the loop as a [`Drivable`]: [`TokenRun`] wraps a token flow, [`ArmRun`] an ARM
//! flow together with the credential that answers its token requests (so the loop itself never
//! deals in tokens). Both are written once over the engines' [`TokenSteps`] / [`ArmSteps`]: a
//! call the engine fails (a component trap) ends the flow with that error at the next step.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use azmi_core::{
    AccessToken, Action, ArmAction, ArmError, ArmErrorKind, ArmOutcome, AttemptResult, ErrorKind,
    FileFailure, Outgoing, RequestId, TokenError, TransportFailure, UnixMillis, WaitCause,
    WaitReason,
};

use crate::credential::ManagedIdentityCredential;
use crate::keyfile::read_capped;
use crate::transport::Transport;

/// The current wall-clock time.
pub fn now() -> UnixMillis {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    UnixMillis(u64::try_from(since.as_millis()).unwrap_or(u64::MAX))
}

/// What the loop tells a progress hook before each wait (the CLI prints it; a long-running
/// operation's poll says ARM's status and provisioning state in `reason`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// The next request goes out at this instant.
    pub until: UnixMillis,
    /// Why, as the core decided: a retry and what its attempt got, or another poll of a
    /// long-running operation with ARM's status; `None` when the engine gave no reason.
    pub reason: Option<WaitReason>,
}

/// An HTTP answer: a response, or why there is none.
pub(crate) type Answer = Result<http::Response<Vec<u8>>, TransportFailure>;

/// A token flow of either engine, in the core's terms. The component's calls can fail; such a
/// failure is already a `TokenError` (kind `Engine`).
pub(crate) trait TokenSteps {
    fn poll(&mut self, now: UnixMillis) -> Result<Action, TokenError>;
    /// Why the flow waits; `None` when it does not, or the engine cannot say.
    fn wait_reason(&self) -> Option<WaitReason>;
    fn answer(&mut self, id: RequestId, answer: Answer, now: UnixMillis) -> Result<(), TokenError>;
    fn file(
        &mut self,
        id: RequestId,
        contents: Result<Vec<u8>, FileFailure>,
        now: UnixMillis,
    ) -> Result<(), TokenError>;
}

/// An ARM flow of either engine, in the core's terms; failures of the engine are `ArmError`s
/// (kind `Engine`).
pub(crate) trait ArmSteps {
    fn poll(&mut self, now: UnixMillis) -> Result<ArmAction, ArmError>;
    /// Why the flow waits; `None` when it does not, or the engine cannot say.
    fn wait_reason(&self) -> Option<WaitReason>;
    fn answer(&mut self, id: RequestId, answer: Answer, now: UnixMillis) -> Result<(), ArmError>;
    fn token(
        &mut self,
        token: Result<AccessToken, TokenError>,
        now: UnixMillis,
    ) -> Result<(), ArmError>;
}

/// What a flow asks the loop for.
// Moved once per step, like the core's actions; boxing `Send` would add an allocation per request.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Step<T> {
    Send(Outgoing),
    Wait(UnixMillis, Option<WaitReason>),
    ReadFile { id: RequestId, path: String, max_bytes: u64 },
    Done(T),
}

/// A flow the loop can drive.
pub(crate) trait Drivable {
    type Output;
    fn step(&mut self, now: UnixMillis) -> Step<Self::Output>;
    fn answer(&mut self, id: RequestId, answer: Answer, now: UnixMillis);
    fn file(&mut self, id: RequestId, contents: Result<Vec<u8>, FileFailure>, now: UnixMillis);
    /// Whether nobody wants the output any more: a wait ends early, and the next `step` says
    /// `Done`.
    fn stopped(&self) -> bool {
        false
    }
}

/// Runs `flow` to its end; `progress` hears about waits.
///
/// Events (`tracing`, target `azmi_host::drive`): each request at DEBUG (its number in the flow,
/// method, host and path: never the query, whose values may be ids, nor any header), each answer
/// at DEBUG (status or transport failure, time taken), and each wait with the core's reason at
/// INFO: a retry (which one, what the failed attempt got, and whether Retry-After or the
/// backoff set the wait) or another poll of a long-running operation (ARM's status and state).
pub(crate) fn drive<F: Drivable>(
    flow: &mut F,
    transport: &Transport,
    progress: &mut dyn FnMut(Progress),
) -> F::Output {
    let mut requests = 0u32;
    loop {
        match flow.step(now()) {
            Step::Send(out) => {
                let id = out.id;
                requests += 1;
                let uri = out.request.uri();
                tracing::debug!(
                    request = requests,
                    method = %out.request.method(),
                    host = uri.host().unwrap_or_default(),
                    path = uri.path(),
                    "sending"
                );
                let sent = now();
                let answer = transport.send(out);
                let elapsed_ms = now().0.saturating_sub(sent.0);
                match &answer {
                    Ok(resp) => {
                        tracing::debug!(status = resp.status().as_u16(), elapsed_ms, "answered")
                    }
                    Err(e) => tracing::debug!(error = %e, elapsed_ms, "no answer"),
                }
                flow.answer(id, answer, now());
            }
            Step::Wait(until, reason) => {
                log_wait(until, reason.as_ref());
                progress(Progress { until, reason });
                sleep_until(until, &|| flow.stopped());
            }
            Step::ReadFile { id, path, max_bytes } => {
                flow.file(id, read_capped(&path, max_bytes), now())
            }
            Step::Done(output) => return output,
        }
    }
}

/// A token flow in the loop; `None` when it was stopped before it ended (no caller wants it).
pub(crate) struct TokenRun<'a> {
    steps: Box<dyn TokenSteps + 'a>,
    failed: Option<TokenError>,
    stop: &'a dyn Fn() -> bool,
}

impl<'a> TokenRun<'a> {
    /// `stop` is asked before each step and during waits.
    pub(crate) fn new(steps: Box<dyn TokenSteps + 'a>, stop: &'a dyn Fn() -> bool) -> Self {
        TokenRun { steps, failed: None, stop }
    }
}

impl Drivable for TokenRun<'_> {
    type Output = Option<Result<AccessToken, TokenError>>;

    fn step(&mut self, now: UnixMillis) -> Step<Self::Output> {
        if let Some(e) = self.failed.take() {
            return Step::Done(Some(Err(e)));
        }
        if (self.stop)() {
            return Step::Done(None);
        }
        match self.steps.poll(now) {
            Ok(Action::Send(out)) => Step::Send(out),
            Ok(Action::WaitUntil(t)) => Step::Wait(t, self.steps.wait_reason()),
            Ok(Action::ReadFile { id, path, max_bytes }) => Step::ReadFile { id, path, max_bytes },
            Ok(Action::Done(result)) => Step::Done(Some(result)),
            Err(e) => Step::Done(Some(Err(e))),
        }
    }

    fn stopped(&self) -> bool {
        (self.stop)()
    }

    fn answer(&mut self, id: RequestId, answer: Answer, now: UnixMillis) {
        if let Err(e) = self.steps.answer(id, answer, now) {
            self.failed.get_or_insert(e);
        }
    }

    fn file(&mut self, id: RequestId, contents: Result<Vec<u8>, FileFailure>, now: UnixMillis) {
        if let Err(e) = self.steps.file(id, contents, now) {
            self.failed.get_or_insert(e);
        }
    }
}

/// An ARM flow in the loop, with the credential that answers its token requests.
pub(crate) struct ArmRun<'a> {
    steps: Box<dyn ArmSteps + 'a>,
    credential: &'a ManagedIdentityCredential,
    failed: Option<ArmError>,
}

impl<'a> ArmRun<'a> {
    pub(crate) fn new(
        steps: Box<dyn ArmSteps + 'a>,
        credential: &'a ManagedIdentityCredential,
    ) -> Self {
        ArmRun { steps, credential, failed: None }
    }

    /// The token ARM asked for; `refresh`: ARM refused the cached one.
    fn token(
        &self,
        resource: &azmi_core::Resource,
        refresh: bool,
    ) -> Result<AccessToken, TokenError> {
        if refresh {
            self.credential.invalidate(resource);
        }
        self.credential.get_token_for(resource).map(|t| (*t).clone())
    }
}

impl Drivable for ArmRun<'_> {
    type Output = Result<ArmOutcome, ArmError>;

    fn step(&mut self, now: UnixMillis) -> Step<Self::Output> {
        loop {
            if let Some(e) = self.failed.take() {
                return Step::Done(Err(e));
            }
            let action = match self.steps.poll(now) {
                Ok(action) => action,
                Err(e) => return Step::Done(Err(e)),
            };
            return match action {
                ArmAction::Send(out) => Step::Send(out),
                ArmAction::WaitUntil(t) => Step::Wait(t, self.steps.wait_reason()),
                ArmAction::Done(result) => Step::Done(result),
                ArmAction::NeedToken { resource, refresh } => {
                    match self.token(&resource, refresh) {
                        // The engine failed, not the identity endpoint: reported as itself.
                        Err(TokenError { kind: ErrorKind::Engine { detail }, .. }) => {
                            Step::Done(Err(ArmError::new(ArmErrorKind::Engine { detail })))
                        }
                        token => {
                            if let Err(e) = self.steps.token(token, now) {
                                self.failed = Some(e);
                            }
                            continue;
                        }
                    }
                }
            };
        }
    }

    fn answer(&mut self, id: RequestId, answer: Answer, now: UnixMillis) {
        if let Err(e) = self.steps.answer(id, answer, now) {
            self.failed.get_or_insert(e);
        }
    }

    fn file(&mut self, _: RequestId, _: Result<Vec<u8>, FileFailure>, _: UnixMillis) {}
}

/// One event per wait, with the core's reason when there is one.
fn log_wait(until: UnixMillis, reason: Option<&WaitReason>) {
    let wait_ms = until.0.saturating_sub(now().0);
    let Some(reason) = reason else {
        return tracing::debug!(wait_ms, "waiting");
    };
    let set_by = reason.set_by.as_str();
    match &reason.cause {
        WaitCause::Retry { retry, after: AttemptResult::Status(status) } => {
            tracing::info!(retry, status, wait_ms, set_by, "retrying after status {status}")
        }
        WaitCause::Retry { retry, after: AttemptResult::Transport(failure) } => {
            tracing::info!(retry, failure = %failure, wait_ms, set_by, "retrying after a transport failure")
        }
        WaitCause::Poll { status, state } => tracing::info!(
            status,
            state = state.as_deref().unwrap_or(""),
            wait_ms,
            set_by,
            "operation still running; polling again"
        ),
        _ => tracing::info!(reason = %reason, wait_ms, "waiting"),
    }
}

/// How often a wait asks whether its flow was stopped.
const STOP_CHECK: Duration = Duration::from_millis(50);

/// Sleeps until `until`, or until `stopped` says so (asked every [`STOP_CHECK`]).
fn sleep_until(until: UnixMillis, stopped: &dyn Fn() -> bool) {
    loop {
        let left = Duration::from_millis(until.0.saturating_sub(now().0));
        if left.is_zero() || stopped() {
            return;
        }
        std::thread::sleep(left.min(STOP_CHECK));
    }
}
