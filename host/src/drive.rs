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
    AccessToken, Action, ArmAction, ArmError, ArmErrorKind, ArmOutcome, ErrorKind, FileFailure,
    Outgoing, RequestId, TokenError, TransportFailure, UnixMillis,
};

use crate::credential::ManagedIdentityCredential;
use crate::keyfile::read_capped;
use crate::transport::Transport;

/// The current wall-clock time.
pub fn now() -> UnixMillis {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    UnixMillis(u64::try_from(since.as_millis()).unwrap_or(u64::MAX))
}

/// Something to tell the user while the loop waits (the CLI prints it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Waiting until this instant before the next request.
    Waiting(UnixMillis),
}

/// An HTTP answer: a response, or why there is none.
pub(crate) type Answer = Result<http::Response<Vec<u8>>, TransportFailure>;

/// A token flow of either engine, in the core's terms. The component's calls can fail; such a
/// failure is already a `TokenError` (kind `Engine`).
pub(crate) trait TokenSteps {
    fn poll(&mut self, now: UnixMillis) -> Result<Action, TokenError>;
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
    Wait(UnixMillis),
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
pub(crate) fn drive<F: Drivable>(
    flow: &mut F,
    transport: &Transport,
    progress: &mut dyn FnMut(Progress),
) -> F::Output {
    loop {
        match flow.step(now()) {
            Step::Send(out) => {
                let id = out.id;
                tracing::debug!(method = %out.request.method(), host = ?out.request.uri().host(), path = out.request.uri().path(), "request");
                let answer = transport.send(out);
                match &answer {
                    Ok(resp) => tracing::debug!(status = resp.status().as_u16(), "response"),
                    Err(e) => tracing::debug!(error = %e, "transport failure"),
                }
                flow.answer(id, answer, now());
            }
            Step::Wait(until) => {
                tracing::debug!(wait_ms = until.0.saturating_sub(now().0), "waiting");
                progress(Progress::Waiting(until));
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
            Ok(Action::WaitUntil(t)) => Step::Wait(t),
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
                ArmAction::WaitUntil(t) => Step::Wait(t),
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
