//! The Azure Resource Manager engine: requests, paging, long-running operations, throttling,
//! shaped like the identity engine (`poll(now)` / `handle_*`, no I/O).
//!
//! The operations azmi knows by name are declared once, in `operation.rs` (`ArmOperation` and
//! the table `ArmOperationKind::spec`); every surface builds an `ArmOperation` and shows results
//! through `ArmOutcome`'s two JSON forms.

mod cloud;
mod config;
mod error;
mod flow;
mod layout;
mod lro;
mod operation;
mod outcome;
mod paging;
mod request;

pub use cloud::Cloud;
pub use config::ArmConfig;
pub use error::{ArmError, ArmErrorKind, ErrorBody};
pub use flow::{ArmAction, ArmFlow};
pub use operation::{ArmOperation, ArmOperationKind, ArmOperationSpec, ArmResultShape};
pub use outcome::{ArmOutcome, ArmResponse, RateLimits};
pub use request::ArmRequest;
