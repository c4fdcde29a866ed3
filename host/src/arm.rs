//! An ARM client over the core's ARM flows, with tokens from a managed identity credential; the
//! flows run in the credential's engine.
//!
//! `execute_observed` runs a flow wrapped in [`Observed`], which hands the caller's hook each
//! wait (with the core's reason: a retry, or another poll of a long-running operation and ARM's
//! status) before it happens, and ends the flow when the hook says stop. Bindings build their
//! progress callbacks on it, and a callback that raises stops the operation.

use std::convert::Infallible;
use std::ops::ControlFlow;
use std::sync::Arc;

use azmi_core::{
    AccessToken, ArmAction, ArmConfig, ArmError, ArmErrorKind, ArmOutcome, ArmRequest, Cloud,
    RequestId, TokenError, UnixMillis, WaitReason,
};
use serde_json::{Map, Value};

use crate::credential::ManagedIdentityCredential;
use crate::drive::{drive, now, Answer, ArmRun, ArmSteps, Progress};
use crate::transport::Transport;

/// Calls Azure Resource Manager as a managed identity, in the credential's engine.
#[derive(Debug, Clone)]
pub struct ArmClient {
    credential: ManagedIdentityCredential,
    cloud: Cloud,
    cfg: ArmConfig,
    transport: Arc<Transport>,
}

impl ArmClient {
    /// A client for `cloud`, sharing the credential's transport.
    pub fn new(credential: ManagedIdentityCredential, cloud: Cloud) -> Self {
        let transport = Arc::clone(credential.transport());
        ArmClient { credential, cloud, cfg: ArmConfig::default(), transport }
    }

    /// Replaces the limits (deadline, retries, poll delay).
    pub fn with_config(mut self, cfg: ArmConfig) -> Self {
        self.cfg = cfg;
        self
    }

    /// The cloud.
    pub fn cloud(&self) -> &Cloud {
        &self.cloud
    }

    /// Runs any request to its end.
    pub fn execute(&self, request: &ArmRequest) -> Result<ArmOutcome, ArmError> {
        self.execute_with_progress(request, |_| {})
    }

    /// Runs any request to its end, telling `progress` about each wait (long-running polls).
    pub fn execute_with_progress(
        &self,
        request: &ArmRequest,
        mut progress: impl FnMut(Progress),
    ) -> Result<ArmOutcome, ArmError> {
        let ControlFlow::Continue(result) = self.execute_observed(request, |p: &Progress| {
            progress(p.clone());
            ControlFlow::<Infallible>::Continue(())
        });
        result
    }

    /// Runs any request to its end; before each wait `hook` hears when the next request goes
    /// out and why (for a long-running operation, each poll's ARM status and state). Returning
    /// `ControlFlow::Break(b)` stops there: no further request is sent (ARM goes on with an
    /// operation it accepted) and this returns `Break(b)`.
    pub fn execute_observed<B>(
        &self,
        request: &ArmRequest,
        hook: impl FnMut(&Progress) -> ControlFlow<B>,
    ) -> ControlFlow<B, Result<ArmOutcome, ArmError>> {
        let engine = self.credential.engine();
        match engine.arm_flow(&self.cfg, &self.cloud, request, now()) {
            Ok(steps) => self.run(steps, hook),
            Err(e) => ControlFlow::Continue(Err(e)),
        }
    }

    /// Goes on polling a long-running operation from a continuation token.
    pub fn resume(
        &self,
        continuation: &str,
        mut progress: impl FnMut(Progress),
    ) -> Result<ArmOutcome, ArmError> {
        let engine = self.credential.engine();
        let steps = engine.arm_resume(&self.cfg, &self.cloud, continuation, now())?;
        let ControlFlow::Continue(result) = self.run(steps, |p: &Progress| {
            progress(p.clone());
            ControlFlow::<Infallible>::Continue(())
        });
        result
    }

    /// Every subscription the identity can see.
    pub fn list_subscriptions(&self) -> Result<Vec<Value>, ArmError> {
        items(self.execute(&ArmRequest::list_subscriptions())?)
    }

    /// Every resource group of a subscription.
    pub fn list_resource_groups(&self, subscription_id: &str) -> Result<Vec<Value>, ArmError> {
        items(self.execute(&ArmRequest::list_resource_groups(subscription_id, None, None)?)?)
    }

    /// Creates or updates a resource group; returns it.
    pub fn create_resource_group(
        &self,
        subscription_id: &str,
        name: &str,
        location: &str,
        tags: Option<&Map<String, Value>>,
    ) -> Result<Value, ArmError> {
        let request =
            ArmRequest::create_or_update_resource_group(subscription_id, name, location, tags)?;
        body(self.execute(&request)?)
    }

    /// Deletes a resource group, polling until ARM says it is gone.
    pub fn delete_resource_group(
        &self,
        subscription_id: &str,
        name: &str,
        progress: impl FnMut(Progress),
    ) -> Result<(), ArmError> {
        let request = ArmRequest::delete_resource_group(subscription_id, name, None)?;
        self.execute_with_progress(&request, progress).map(|_| ())
    }

    fn run<B>(
        &self,
        steps: Box<dyn ArmSteps>,
        mut hook: impl FnMut(&Progress) -> ControlFlow<B>,
    ) -> ControlFlow<B, Result<ArmOutcome, ArmError>> {
        let engine = self.credential.engine().name();
        let span = tracing::info_span!("arm", endpoint = self.cloud.endpoint(), engine);
        let _entered = span.enter();
        let mut stopped = None;
        let observed = Observed { steps, hook: &mut hook, stopped: &mut stopped };
        let mut run = ArmRun::new(Box::new(observed), &self.credential);
        let result = drive(&mut run, &self.transport, &mut |_| {});
        drop(run);
        match stopped {
            Some(b) => ControlFlow::Break(b),
            None => ControlFlow::Continue(result),
        }
    }
}

/// An ARM flow whose waits are shown to a hook first; the hook can end the flow there.
struct Observed<'h, B> {
    steps: Box<dyn ArmSteps>,
    hook: &'h mut dyn FnMut(&Progress) -> ControlFlow<B>,
    /// What the hook stopped with.
    stopped: &'h mut Option<B>,
}

impl<B> ArmSteps for Observed<'_, B> {
    fn poll(&mut self, now: UnixMillis) -> Result<ArmAction, ArmError> {
        let action = self.steps.poll(now)?;
        if let ArmAction::WaitUntil(until) = action {
            let progress = Progress { until, reason: self.steps.wait_reason() };
            if let ControlFlow::Break(b) = (self.hook)(&progress) {
                *self.stopped = Some(b);
                // Ends the drive loop; `run` returns the hook's value, never this error.
                let detail = "stopped by the caller's progress hook".to_owned();
                return Err(ArmError::new(ArmErrorKind::Engine { detail }));
            }
        }
        Ok(action)
    }

    fn wait_reason(&self) -> Option<WaitReason> {
        self.steps.wait_reason()
    }

    fn answer(&mut self, id: RequestId, answer: Answer, now: UnixMillis) -> Result<(), ArmError> {
        self.steps.answer(id, answer, now)
    }

    fn token(
        &mut self,
        token: Result<AccessToken, TokenError>,
        now: UnixMillis,
    ) -> Result<(), ArmError> {
        self.steps.token(token, now)
    }
}

fn items(outcome: ArmOutcome) -> Result<Vec<Value>, ArmError> {
    match outcome {
        ArmOutcome::Items { items, .. } => Ok(items),
        other => Err(unexpected(other)),
    }
}

fn body(outcome: ArmOutcome) -> Result<Value, ArmError> {
    match outcome {
        ArmOutcome::Response(r) => Ok(r.body),
        other => Err(unexpected(other)),
    }
}

fn unexpected(outcome: ArmOutcome) -> ArmError {
    ArmError::new(azmi_core::ArmErrorKind::InvalidResponse {
        problem: format!("unexpected outcome {outcome:?}"),
    })
}
