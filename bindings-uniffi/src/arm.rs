//! The ARM client: `azmi_host::ArmClient` over a credential. Operations are the core's table
//! (`azmi_core::ArmOperation`); results are the outcome's natural value
//! (`ArmOutcome::into_value`) as JSON text, which each language parses with its own JSON
//! library. Long-running operations tell a [`ProgressListener`] about each poll, through the
//! host's `execute_observed`.

use std::ops::ControlFlow;
use std::sync::Arc;

use azmi_core::{
    wire, ArmConfig, ArmOperation, ArmOutcome, ArmRequest, Naming, Options, WaitCause,
};
use azmi_host::Progress;
use serde_json::{Map, Value};

use crate::credential::ManagedIdentityCredential;
use crate::errors::AzmiError;

/// The keys of an `ArmClient`'s options (snake_case, as the credential's).
const ARM_CLIENT_KEYS: &[&str] = &["cloud", "arm_endpoint", "arm_resource", "deadline_ms"];

/// One poll of a long-running operation that is still running.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ArmProgress {
    /// The HTTP status of the last poll (usually 200 or 202).
    pub status: u16,
    /// ARM's provisioning state or operation status, when it said (`Deleting`, `InProgress`).
    pub state: Option<String>,
    /// Milliseconds until the next poll.
    pub wait_ms: u64,
    /// Polls before this one.
    pub polls: u32,
}

/// Hears each poll of a long-running operation; returning `false` stops the operation there
/// (no further request is sent; ARM goes on with what it accepted) with the error `stopped`.
#[uniffi::export(callback_interface)]
pub trait ProgressListener: Send + Sync {
    /// Called before each wait for another poll, on the calling thread.
    fn on_progress(&self, progress: ArmProgress) -> bool;
}

/// Calls Azure Resource Manager as a managed identity.
#[derive(Debug, uniffi::Object)]
pub struct ArmClient {
    inner: azmi_host::ArmClient,
}

#[uniffi::export]
impl ArmClient {
    /// A client over `credential`. `options`: a JSON object with `cloud` (`public`,
    /// `us_government`, `china`), or `arm_endpoint` with `arm_resource`, and `deadline_ms` (each
    /// operation's deadline); without a cloud key, the credential's options (then
    /// `AZMI_ARM_ENDPOINT`, then the public cloud) decide.
    #[uniffi::constructor(default(options = None))]
    pub fn new(
        credential: Arc<ManagedIdentityCredential>,
        options: Option<String>,
    ) -> Result<Arc<Self>, AzmiError> {
        let own = crate::credential::options_from_json(options.as_deref().unwrap_or(""))?;
        only(&own, options.as_deref().unwrap_or(""))?;
        let named = own.cloud.is_some() || own.arm_endpoint.is_some() || own.arm_resource.is_some();
        let chosen = if named { &own } else { &credential.options };
        let cloud = chosen.cloud(&credential.inner.snapshot())?;
        let mut limits = ArmConfig::default();
        if own.deadline_ms.is_some() {
            limits.deadline = own.config()?.deadline.unwrap_or(limits.deadline);
        }
        let inner = azmi_host::ArmClient::new(credential.inner.clone(), cloud).with_config(limits);
        Ok(Arc::new(ArmClient { inner }))
    }

    /// The Resource Manager endpoint this client calls.
    pub fn endpoint(&self) -> String {
        self.inner.cloud().endpoint().to_owned()
    }

    /// Every subscription the identity can see: a JSON array.
    pub fn list_subscriptions(&self) -> Result<String, AzmiError> {
        self.execute(ArmOperation::ListSubscriptions {}, None)
    }

    /// Every resource group of a subscription: a JSON array.
    pub fn list_resource_groups(&self, subscription_id: String) -> Result<String, AzmiError> {
        let operation =
            ArmOperation::ListResourceGroups { subscription_id, filter: None, top: None };
        self.execute(operation, None)
    }

    /// Creates or updates a resource group; returns it (JSON).
    #[uniffi::method(default(tags = None))]
    pub fn create_resource_group(
        &self,
        subscription_id: String,
        name: String,
        location: String,
        tags: Option<std::collections::HashMap<String, String>>,
    ) -> Result<String, AzmiError> {
        let tags = tags.map(|t| t.into_iter().map(|(k, v)| (k, Value::from(v))).collect());
        let operation =
            ArmOperation::CreateOrUpdateResourceGroup { subscription_id, name, location, tags };
        self.execute(operation, None)
    }

    /// Deletes a resource group and waits until ARM says it is gone; `progress` hears each poll.
    #[uniffi::method(default(progress = None))]
    pub fn delete_resource_group(
        &self,
        subscription_id: String,
        name: String,
        progress: Option<Box<dyn ProgressListener>>,
    ) -> Result<(), AzmiError> {
        let operation =
            ArmOperation::DeleteResourceGroup { subscription_id, name, force_deletion_types: None };
        self.execute(operation, progress).map(drop)
    }

    /// Any request on a resource path (`/subscriptions/...`): `body` is JSON text; `paged`
    /// follows `nextLink` (the result is the JSON array of every item); `lro` polls a 201/202
    /// answer to its end. Returns the outcome's JSON (`null` for no body).
    #[uniffi::method(default(body = None, paged = false, lro = false, progress = None))]
    #[allow(clippy::too_many_arguments)]
    pub fn request(
        &self,
        method: String,
        path: String,
        api_version: String,
        body: Option<String>,
        paged: bool,
        lro: bool,
        progress: Option<Box<dyn ProgressListener>>,
    ) -> Result<String, AzmiError> {
        let body = body.map(|b| wire::parse("body", &b)).transpose()?;
        let operation =
            ArmOperation::Generic { method, path, api_version, body, paged, long_running: lro };
        self.execute(operation, progress)
    }

    /// Runs one operation of the core's table in its JSON form (`{"op": "list_resource_groups",
    /// "subscription_id": "..."}`); returns the outcome's value as JSON, or with `full` the whole
    /// outcome (`{"items": [...], "last": ...}`, ...).
    #[uniffi::method(default(full = false, progress = None))]
    pub fn run(
        &self,
        operation: String,
        full: bool,
        progress: Option<Box<dyn ProgressListener>>,
    ) -> Result<String, AzmiError> {
        let request = wire::arm_request(&wire::parse("operation", &operation)?)?;
        let outcome = self.outcome(&request, progress)?;
        match full {
            true => serde_json::to_string(&outcome).map_err(|e| {
                AzmiError::coded("arm", "engine", format!("the outcome has no JSON form: {e}"))
            }),
            false => Ok(outcome.into_value().to_string()),
        }
    }
}

impl ArmClient {
    fn execute(
        &self,
        operation: ArmOperation,
        progress: Option<Box<dyn ProgressListener>>,
    ) -> Result<String, AzmiError> {
        let request = ArmRequest::new(operation)?;
        Ok(self.outcome(&request, progress)?.into_value().to_string())
    }

    fn outcome(
        &self,
        request: &ArmRequest,
        progress: Option<Box<dyn ProgressListener>>,
    ) -> Result<ArmOutcome, AzmiError> {
        let Some(listener) = progress else { return Ok(self.inner.execute(request)?) };
        let mut polls = 0;
        match self.inner.execute_observed(request, |p| tell(listener.as_ref(), p, &mut polls)) {
            ControlFlow::Continue(outcome) => Ok(outcome?),
            ControlFlow::Break(()) => Err(AzmiError::stopped("it returned false")),
        }
    }
}

/// Tells the listener about a wait before another poll (other waits are retries).
fn tell(listener: &dyn ProgressListener, progress: &Progress, polls: &mut u32) -> ControlFlow<()> {
    let Some(WaitCause::Poll { status, state }) = progress.reason.as_ref().map(|r| &r.cause) else {
        return ControlFlow::Continue(());
    };
    let wait_ms = progress.until.0.saturating_sub(azmi_host::now().0);
    let heard = ArmProgress { status: *status, state: state.clone(), wait_ms, polls: *polls };
    *polls += 1;
    match listener.on_progress(heard) {
        true => ControlFlow::Continue(()),
        false => ControlFlow::Break(()),
    }
}

/// Refuses an `ArmClient` option outside its keys, with the core's error for an unknown option.
fn only(_parsed: &Options, text: &str) -> Result<(), AzmiError> {
    let Ok(Value::Object(map)) =
        serde_json::from_str::<Map<String, Value>>(text).map(Value::Object)
    else {
        return Ok(());
    };
    match map.iter().find(|(k, v)| !v.is_null() && !ARM_CLIENT_KEYS.contains(&k.as_str())) {
        Some((key, _)) => Err(azmi_core::ConfigError::UnknownOption {
            key: key.clone(),
            accepted: ARM_CLIENT_KEYS
                .iter()
                .map(|k| Naming::Snake.spell(k))
                .collect::<Vec<_>>()
                .join(", "),
        }
        .into()),
        None => Ok(()),
    }
}
