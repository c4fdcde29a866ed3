//! The `identity` interface: detection and the token flow.

use std::cell::RefCell;

use azmi_core as c;
use c::UnixMillis;

use crate::convert;
use crate::w::identity as wi;
use crate::w::types as wt;
use crate::Component;

impl wi::Guest for Component {
    type TokenFlow = TokenFlow;

    fn default_config() -> wi::Config {
        convert::config_to_wit(&c::Config::default())
    }

    fn variables() -> Vec<String> {
        c::VARIABLES.iter().map(|v| (*v).to_owned()).collect()
    }

    fn identity_from_selectors(s: wi::Selectors) -> Result<wt::Identity, wt::ConfigError> {
        c::Identity::from_selectors(
            s.client_id.as_deref(),
            s.object_id.as_deref(),
            s.resource_id.as_deref(),
        )
        .map(|i| convert::identity_to_wit(&i))
        .map_err(|e| convert::config_error_to_wit(&e))
    }

    fn detect(forced: Option<wt::SourceKind>, env: wi::Environment) -> wi::Detection {
        let forced = forced.map(convert::source_from_wit);
        convert::detection_to_wit(&c::Detection::detect(forced, &convert::env_from_wit(env)))
    }
}

/// One `azmi_core::TokenFlow`.
pub(crate) struct TokenFlow(RefCell<c::TokenFlow>);

impl wi::GuestTokenFlow for TokenFlow {
    fn start(
        cfg: wi::Config,
        env: wi::Environment,
        audience: wi::Audience,
        now: u64,
    ) -> Result<wi::TokenFlow, wt::ConfigError> {
        let resource = match audience {
            wi::Audience::Resource(r) => c::Resource::new(&r),
            wi::Audience::Scopes(scopes) => c::Resource::from_scopes(&scopes),
        };
        resource
            .and_then(|r| {
                let env = convert::env_from_wit(env);
                c::TokenFlow::new(&convert::config_from_wit(cfg), &env, &r, UnixMillis(now))
            })
            .map(|flow| wi::TokenFlow::new(TokenFlow(RefCell::new(flow))))
            .map_err(|e| convert::config_error_to_wit(&e))
    }

    fn detection(&self) -> wi::Detection {
        convert::detection_to_wit(self.0.borrow().detection())
    }

    fn poll(&self, now: u64) -> wi::Action {
        convert::action_to_wit(&self.0.borrow_mut().poll(UnixMillis(now)))
    }

    fn wait_reason(&self) -> Option<wt::WaitReason> {
        self.0.borrow().wait_reason().map(convert::wait_reason_to_wit)
    }

    answers!();

    fn handle_file(&self, id: u64, contents: Result<Vec<u8>, wt::FileError>, now: u64) {
        let contents = contents.map_err(convert::file_from_wit);
        self.0.borrow_mut().handle_file(c::RequestId(id), contents, UnixMillis(now));
    }

    fn handle_env(&self, env: wi::Environment) {
        self.0.borrow_mut().handle_env(&convert::env_from_wit(env));
    }
}
