//! An ARM client over the core's ARM flows, with tokens from a managed identity credential; the
//! flows run in the credential's engine.

use std::sync::Arc;

use azmi_core::{ArmConfig, ArmError, ArmOutcome, ArmRequest, Cloud};
use serde_json::{Map, Value};

use crate::credential::ManagedIdentityCredential;
use crate::drive::{drive, now, ArmRun, ArmSteps, Progress};
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
        progress: impl FnMut(Progress),
    ) -> Result<ArmOutcome, ArmError> {
        let engine = self.credential.engine();
        self.run(engine.arm_flow(&self.cfg, &self.cloud, request, now())?, progress)
    }

    /// Goes on polling a long-running operation from a continuation token.
    pub fn resume(
        &self,
        continuation: &str,
        progress: impl FnMut(Progress),
    ) -> Result<ArmOutcome, ArmError> {
        let engine = self.credential.engine();
        self.run(engine.arm_resume(&self.cfg, &self.cloud, continuation, now())?, progress)
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

    fn run(
        &self,
        steps: Box<dyn ArmSteps>,
        mut progress: impl FnMut(Progress),
    ) -> Result<ArmOutcome, ArmError> {
        let engine = self.credential.engine().name();
        let span = tracing::info_span!("arm", endpoint = self.cloud.endpoint(), engine);
        let _entered = span.enter();
        drive(&mut ArmRun::new(steps, &self.credential), &self.transport, &mut progress)
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
