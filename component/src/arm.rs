//! The `arm` interface: ARM operations as the core's `ArmFlow`.

use std::cell::RefCell;

use azmi_core as c;
use c::UnixMillis;

use crate::convert;
use crate::w::arm as wa;
use crate::w::types as wt;
use crate::Component;

impl wa::Guest for Component {
    type ArmFlow = ArmFlow;

    fn default_arm_config() -> wa::ArmConfig {
        convert::arm_config_to_wit(&c::ArmConfig::default())
    }

    fn named_cloud(name: String) -> Option<wa::Cloud> {
        c::Cloud::from_name(&name).map(|cloud| convert::cloud_to_wit(&cloud))
    }
}

/// One `azmi_core::ArmFlow`.
pub(crate) struct ArmFlow(RefCell<c::ArmFlow>);

impl ArmFlow {
    // The shape of WIT's `result<arm-flow, arm-error>`, which the generated trait returns.
    #[allow(clippy::result_large_err)]
    fn wrap(flow: Result<c::ArmFlow, c::ArmError>) -> Result<wa::ArmFlow, wa::ArmError> {
        flow.map(|f| wa::ArmFlow::new(ArmFlow(RefCell::new(f))))
            .map_err(|e| convert::arm_error_to_wit(&e))
    }
}

impl wa::GuestArmFlow for ArmFlow {
    fn start(
        cfg: wa::ArmConfig,
        cloud: wa::Cloud,
        request: wa::ArmRequest,
        now: u64,
    ) -> Result<wa::ArmFlow, wa::ArmError> {
        let cfg = convert::arm_config_from_wit(cfg);
        Self::wrap(convert::cloud_from_wit(&cloud).and_then(|cloud| {
            let request = convert::arm_request_from_wit(request)?;
            c::ArmFlow::new(&cfg, &cloud, &request, UnixMillis(now))
        }))
    }

    fn resume(
        cfg: wa::ArmConfig,
        cloud: wa::Cloud,
        continuation: String,
        now: u64,
    ) -> Result<wa::ArmFlow, wa::ArmError> {
        let cfg = convert::arm_config_from_wit(cfg);
        Self::wrap(
            convert::cloud_from_wit(&cloud)
                .and_then(|cloud| c::ArmFlow::resume(&cfg, &cloud, &continuation, UnixMillis(now))),
        )
    }

    fn continuation_token(&self) -> Option<String> {
        self.0.borrow().continuation_token()
    }

    fn poll(&self, now: u64) -> wa::ArmAction {
        convert::arm_action_to_wit(&self.0.borrow_mut().poll(UnixMillis(now)))
    }

    fn wait_reason(&self) -> Option<wt::WaitReason> {
        self.0.borrow().wait_reason().map(convert::wait_reason_to_wit)
    }

    fn handle_token(&self, token: Result<wt::AccessToken, wt::TokenError>, now: u64) {
        let token = convert::token_result_from_wit(token);
        self.0.borrow_mut().handle_token(token, UnixMillis(now));
    }

    answers!();
}
