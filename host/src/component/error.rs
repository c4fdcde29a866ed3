//! What can go wrong with the component itself (as opposed to the token or ARM request).

use azmi_core::{ArmError, ArmErrorKind, ConfigError, ErrorKind, SourceKind, TokenError};

/// A failure of a call through the component.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ComponentError {
    /// The token request failed: the core's own error, exactly as the native credential gives it.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// The configuration cannot work (found by the core in the component, before any request).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The ARM operation failed.
    #[error(transparent)]
    Arm(#[from] ArmError),
    /// The component could not be read, compiled or instantiated.
    #[error("cannot load the azmi component: {0}")]
    Load(String),
    /// The component trapped in `call`; its store was replaced, so the next call starts afresh.
    #[error("the azmi component trapped in {call}: {message}; the call failed and the next one uses a fresh instance")]
    Trap {
        /// The WIT function that trapped.
        call: &'static str,
        /// wasmtime's description of the trap.
        message: String,
    },
    /// The flow belonged to an instance that trapped and was replaced; start the request again.
    #[error("the azmi component was restarted after a trap, and this flow's state went with it; start the request again")]
    Restarted,
    /// The component answered with something the core's types cannot hold.
    #[error("the azmi component returned an invalid {what}: {problem}")]
    Invalid {
        /// What was invalid.
        what: &'static str,
        /// Why.
        problem: String,
    },
}

impl ComponentError {
    /// A stable code: the token or ARM error's own, else `component_load`, `component_trap`,
    /// `component_restarted` or `component_invalid`.
    pub fn code(&self) -> &'static str {
        match self {
            ComponentError::Token(e) => e.code(),
            ComponentError::Config(e) => e.code(),
            ComponentError::Arm(e) => e.code(),
            ComponentError::Load(_) => "component_load",
            ComponentError::Trap { .. } => "component_trap",
            ComponentError::Restarted => "component_restarted",
            ComponentError::Invalid { .. } => "component_invalid",
        }
    }
}

impl ComponentError {
    /// The same failure as the credential reports it for `source`: the core's own token and
    /// configuration errors as they are, a failure of the component itself as kind `Engine`.
    pub(crate) fn into_token_error(self, source: SourceKind) -> TokenError {
        match self {
            ComponentError::Token(e) => e,
            ComponentError::Config(e) => TokenError::new(source, ErrorKind::Config(e)),
            other => TokenError::new(source, ErrorKind::Engine { detail: other.to_string() }),
        }
    }

    /// The same failure as the ARM client reports it: the core's ARM errors as they are, a
    /// failure of the component itself as kind `Engine`.
    pub(crate) fn into_arm_error(self) -> ArmError {
        match self {
            ComponentError::Arm(e) => e,
            ComponentError::Token(e) => ArmError::new(ArmErrorKind::Token(Box::new(e))),
            ComponentError::Config(e) => {
                ArmError::new(ArmErrorKind::Config { problem: e.to_string() })
            }
            other => ArmError::new(ArmErrorKind::Engine { detail: other.to_string() }),
        }
    }
}
