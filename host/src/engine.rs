//! The engine: which build of the core makes the decisions.
//!
//! # Theory of operation
//!
//! The credential, the ARM client and the drive loop are written once, against this module.
//! An [`Engine`] is the core compiled into this crate or (feature `component`) the same core as
//! a WebAssembly component run by wasmtime. Either gives the same four things: source detection,
//! a token cache ([`cache::EngineCache`]), token flows and ARM flows ([`TokenSteps`],
//! [`ArmSteps`]). The component's calls can fail (it traps, or a trap elsewhere restarted it);
//! those failures arrive as the core's own error types, kind `Engine` (code `engine`), so a
//! caller handles one set of errors whichever engine runs.

pub(crate) mod cache;

#[cfg(feature = "component")]
use std::sync::Arc;

use azmi_core::{
    AccessToken, Action, ArmAction, ArmConfig, ArmError, ArmFlow, ArmRequest, Cloud, Config,
    Detection, EnvSnapshot, FileFailure, RequestId, Resource, SourceKind, TokenError, TokenFlow,
    UnixMillis, WaitReason,
};

#[cfg(feature = "component")]
use crate::component::{
    wit, ComponentArmFlow, ComponentError, ComponentInstance, ComponentRuntime, ComponentTokenFlow,
    ComponentTokenSteps,
};
use crate::drive::{Answer, ArmSteps, TokenSteps};

/// Which build of the core makes every decision: [`Engine::native`] (the default), or the
/// WebAssembly component (`Engine::component`, feature `component`). Give it to
/// `ManagedIdentityCredential::builder`; the credential's `ArmClient` uses the same engine.
#[derive(Debug, Clone, Default)]
pub struct Engine {
    kind: Kind,
}

#[derive(Debug, Clone, Default)]
enum Kind {
    #[default]
    Native,
    #[cfg(feature = "component")]
    Component(Arc<ComponentInstance>),
}

impl Engine {
    /// The core compiled into this crate.
    pub fn native() -> Self {
        Engine { kind: Kind::Native }
    }

    /// The core as the WebAssembly component, run in `instance` (credentials may share one).
    #[cfg(feature = "component")]
    pub fn component(instance: Arc<ComponentInstance>) -> Self {
        Engine { kind: Kind::Component(instance) }
    }

    /// A new instance of the process's shared component (`AZMI_COMPONENT`, else this
    /// repository's build output); fails when it cannot be loaded.
    #[cfg(feature = "component")]
    pub fn shared_component() -> Result<Self, ComponentError> {
        Ok(Self::component(ComponentRuntime::shared()?.instantiate()?))
    }

    /// `native` or `component` (logged with every fetch).
    pub fn name(&self) -> &'static str {
        match self.kind {
            Kind::Native => "native",
            #[cfg(feature = "component")]
            Kind::Component(_) => "component",
        }
    }

    /// The component instance, for the component engine.
    #[cfg(feature = "component")]
    pub fn instance(&self) -> Option<&Arc<ComponentInstance>> {
        match &self.kind {
            Kind::Native => None,
            Kind::Component(instance) => Some(instance),
        }
    }

    /// Which source applies (`Detection::detect`).
    pub(crate) fn detect(
        &self,
        forced: Option<SourceKind>,
        env: &EnvSnapshot,
    ) -> Result<Detection, TokenError> {
        match &self.kind {
            Kind::Native => Ok(Detection::detect(forced, env)),
            #[cfg(feature = "component")]
            Kind::Component(instance) => instance
                .detect(forced, env)
                .map_err(|e| e.into_token_error(forced.unwrap_or(SourceKind::Imds))),
        }
    }

    /// An empty token cache; `source` labels the errors of the component's cache.
    #[cfg_attr(not(feature = "component"), allow(unused_variables))]
    pub(crate) fn cache(&self, source: SourceKind) -> cache::EngineCache {
        match &self.kind {
            Kind::Native => cache::EngineCache::Native(azmi_core::TokenCache::new()),
            #[cfg(feature = "component")]
            Kind::Component(instance) => cache::EngineCache::Component(
                crate::component::CacheSlot::new(Arc::clone(instance), source),
            ),
        }
    }

    /// A token flow for `resource` (`TokenFlow::new`); a configuration that cannot work is a
    /// `Config` error of `source`.
    pub(crate) fn token_flow(
        &self,
        cfg: &Config,
        env: &EnvSnapshot,
        resource: &Resource,
        now: UnixMillis,
        source: SourceKind,
    ) -> Result<Box<dyn TokenSteps>, TokenError> {
        match &self.kind {
            Kind::Native => match TokenFlow::new(cfg, env, resource, now) {
                Ok(flow) => Ok(Box::new(flow)),
                Err(e) => Err(TokenError::new(source, azmi_core::ErrorKind::Config(e))),
            },
            #[cfg(feature = "component")]
            Kind::Component(instance) => {
                let audience = wit::identity::Audience::Resource(resource.as_str().to_owned());
                match ComponentTokenFlow::start(instance, cfg, env, &audience, now) {
                    Ok(flow) => Ok(Box::new(ComponentTokenSteps { flow, source })),
                    Err(e) => Err(e.into_token_error(source)),
                }
            }
        }
    }

    /// An ARM flow for `request` (`ArmFlow::new`).
    pub(crate) fn arm_flow(
        &self,
        cfg: &ArmConfig,
        cloud: &Cloud,
        request: &ArmRequest,
        now: UnixMillis,
    ) -> Result<Box<dyn ArmSteps>, ArmError> {
        match &self.kind {
            Kind::Native => Ok(Box::new(ArmFlow::new(cfg, cloud, request, now)?)),
            #[cfg(feature = "component")]
            Kind::Component(instance) => {
                let request = crate::component::arm_request_to_wit(request);
                let flow = ComponentArmFlow::start(instance, cfg, cloud, &request, now);
                Ok(Box::new(flow.map_err(ComponentError::into_arm_error)?))
            }
        }
    }

    /// An ARM flow that goes on polling a long-running operation (`ArmFlow::resume`).
    pub(crate) fn arm_resume(
        &self,
        cfg: &ArmConfig,
        cloud: &Cloud,
        continuation: &str,
        now: UnixMillis,
    ) -> Result<Box<dyn ArmSteps>, ArmError> {
        match &self.kind {
            Kind::Native => Ok(Box::new(ArmFlow::resume(cfg, cloud, continuation, now)?)),
            #[cfg(feature = "component")]
            Kind::Component(instance) => {
                let flow = ComponentArmFlow::resume(instance, cfg, cloud, continuation, now);
                Ok(Box::new(flow.map_err(ComponentError::into_arm_error)?))
            }
        }
    }
}

// The native core's flows never fail as calls: their failures are their results.

impl TokenSteps for TokenFlow {
    fn poll(&mut self, now: UnixMillis) -> Result<Action, TokenError> {
        Ok(TokenFlow::poll(self, now))
    }

    fn wait_reason(&self) -> Option<WaitReason> {
        TokenFlow::wait_reason(self).cloned()
    }

    fn answer(&mut self, id: RequestId, answer: Answer, now: UnixMillis) -> Result<(), TokenError> {
        match answer {
            Ok(resp) => self.handle_response(id, resp, now),
            Err(e) => self.handle_transport_error(id, e, now),
        }
        Ok(())
    }

    fn file(
        &mut self,
        id: RequestId,
        contents: Result<Vec<u8>, FileFailure>,
        now: UnixMillis,
    ) -> Result<(), TokenError> {
        self.handle_file(id, contents, now);
        Ok(())
    }
}

impl ArmSteps for ArmFlow {
    fn poll(&mut self, now: UnixMillis) -> Result<ArmAction, ArmError> {
        Ok(ArmFlow::poll(self, now))
    }

    fn wait_reason(&self) -> Option<WaitReason> {
        ArmFlow::wait_reason(self).cloned()
    }

    fn answer(&mut self, id: RequestId, answer: Answer, now: UnixMillis) -> Result<(), ArmError> {
        match answer {
            Ok(resp) => self.handle_response(id, resp, now),
            Err(e) => self.handle_transport_error(id, e, now),
        }
        Ok(())
    }

    fn token(
        &mut self,
        token: Result<AccessToken, TokenError>,
        now: UnixMillis,
    ) -> Result<(), ArmError> {
        self.handle_token(token, now);
        Ok(())
    }
}
