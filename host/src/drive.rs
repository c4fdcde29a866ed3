//! The one loop that drives the core's flows with real I/O: it sends requests, sleeps, reads
//! the Arc key file and fetches tokens for ARM, exactly as each flow asks. Token and ARM flows
//! both go through `drive`, so there is one place where the core meets the world.

use std::io::Read;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use azmi_core::{
    AccessToken, Action, ArmAction, ArmError, ArmFlow, ArmOutcome, FileFailure, Outgoing,
    RequestId, Resource, TokenError, TokenFlow, TransportFailure, UnixMillis,
};

use crate::transport::Transport;

/// The current wall-clock time.
pub fn now() -> UnixMillis {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    UnixMillis(u64::try_from(since.as_millis()).unwrap_or(u64::MAX))
}

/// What a flow asks for, in the host's terms.
// Moved once per step, like the core's actions; boxing `Send` would add an allocation per request.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Step<T> {
    Send(Outgoing),
    Wait(UnixMillis),
    ReadFile { id: RequestId, path: String, max_bytes: u64 },
    NeedToken { resource: Resource, refresh: bool },
    Done(T),
}

/// A core flow the loop can drive.
pub(crate) trait Drivable {
    type Output;
    fn step(&mut self, now: UnixMillis) -> Step<Self::Output>;
    fn answer(
        &mut self,
        id: RequestId,
        answer: Result<http::Response<Vec<u8>>, TransportFailure>,
        now: UnixMillis,
    );
    fn file(&mut self, id: RequestId, contents: Result<Vec<u8>, FileFailure>, now: UnixMillis);
    fn token(&mut self, token: Result<AccessToken, TokenError>, now: UnixMillis);
}

/// Something to tell the user while the loop waits (the CLI prints it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Waiting until this instant before the next request.
    Waiting(UnixMillis),
}

/// Runs `flow` to its end. `tokens` fulfils ARM's token requests; `progress` hears about waits.
pub(crate) fn drive<F: Drivable>(
    flow: &mut F,
    transport: &Transport,
    tokens: &mut dyn FnMut(&Resource, bool) -> Result<AccessToken, TokenError>,
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
                sleep_until(until);
            }
            Step::ReadFile { id, path, max_bytes } => {
                flow.file(id, read_capped(&path, max_bytes), now())
            }
            Step::NeedToken { resource, refresh } => {
                let token = tokens(&resource, refresh);
                flow.token(token, now());
            }
            Step::Done(output) => return output,
        }
    }
}

fn sleep_until(until: UnixMillis) {
    let left = until.0.saturating_sub(now().0);
    if left > 0 {
        std::thread::sleep(Duration::from_millis(left));
    }
}

/// Reads `path` if it is at most `max_bytes` long; the size is checked before reading.
fn read_capped(path: &str, max_bytes: u64) -> Result<Vec<u8>, FileFailure> {
    let failure = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::NotFound => FileFailure::NotFound,
        std::io::ErrorKind::PermissionDenied => FileFailure::PermissionDenied,
        _ => FileFailure::Other(e.to_string()),
    };
    let file = std::fs::File::open(path).map_err(failure)?;
    if file.metadata().map_err(failure)?.len() > max_bytes {
        return Err(FileFailure::TooLarge);
    }
    let mut contents = Vec::new();
    file.take(max_bytes + 1).read_to_end(&mut contents).map_err(failure)?;
    Ok(contents)
}

impl Drivable for TokenFlow {
    type Output = Result<AccessToken, TokenError>;

    fn step(&mut self, now: UnixMillis) -> Step<Self::Output> {
        match self.poll(now) {
            Action::Send(out) => Step::Send(out),
            Action::WaitUntil(t) => Step::Wait(t),
            Action::ReadFile { id, path, max_bytes } => Step::ReadFile { id, path, max_bytes },
            Action::Done(result) => Step::Done(result),
        }
    }

    fn answer(
        &mut self,
        id: RequestId,
        answer: Result<http::Response<Vec<u8>>, TransportFailure>,
        now: UnixMillis,
    ) {
        match answer {
            Ok(resp) => self.handle_response(id, resp, now),
            Err(e) => self.handle_transport_error(id, e, now),
        }
    }

    fn file(&mut self, id: RequestId, contents: Result<Vec<u8>, FileFailure>, now: UnixMillis) {
        self.handle_file(id, contents, now);
    }

    fn token(&mut self, _: Result<AccessToken, TokenError>, _: UnixMillis) {}
}

impl Drivable for ArmFlow {
    type Output = Result<ArmOutcome, ArmError>;

    fn step(&mut self, now: UnixMillis) -> Step<Self::Output> {
        match self.poll(now) {
            ArmAction::Send(out) => Step::Send(out),
            ArmAction::WaitUntil(t) => Step::Wait(t),
            ArmAction::NeedToken { resource, refresh } => Step::NeedToken { resource, refresh },
            ArmAction::Done(result) => Step::Done(result),
        }
    }

    fn answer(
        &mut self,
        id: RequestId,
        answer: Result<http::Response<Vec<u8>>, TransportFailure>,
        now: UnixMillis,
    ) {
        match answer {
            Ok(resp) => self.handle_response(id, resp, now),
            Err(e) => self.handle_transport_error(id, e, now),
        }
    }

    fn file(&mut self, _: RequestId, _: Result<Vec<u8>, FileFailure>, _: UnixMillis) {}

    fn token(&mut self, token: Result<AccessToken, TokenError>, now: UnixMillis) {
        self.handle_token(token, now);
    }
}
