//! The Azure Resource Manager engine: requests, paging, long-running operations, throttling,
//! shaped like the identity engine (`poll(now)` / `handle_*`, no I/O).

mod cloud;
mod error;
mod flow;
mod lro;
mod paging;
mod request;

pub use cloud::Cloud;
pub use error::{ArmError, ArmErrorKind, ErrorBody};
pub use flow::{ArmAction, ArmConfig, ArmFlow, ArmOutcome, ArmResponse, RateLimits};
pub use request::ArmRequest;
