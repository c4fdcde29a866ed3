//! The managed identity sources: how each selects a user-assigned identity, and the shape of its
//! error answers. Shapes copy the real services (docs/protocol.md §1), because client error
//! classification depends on them.
//!
//! The sources themselves and their names are azmi-core's [`SourceKind`]: the names are the
//! project's own vocabulary, not a protocol fact. What each endpoint accepts and answers is
//! written here independently of the core, so the emulator stays a peer that can catch it out.

use azmi_core::SourceKind;
use serde_json::json;

use crate::http_util::Reply;

/// Which identity a request names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Selector {
    System,
    ClientId(String),
    ObjectId(String),
    ResourceId(String),
}

#[derive(Clone, Copy)]
enum SelectorKind {
    Client,
    Object,
    Resource,
}

/// Query (or, for the POST sources, form) parameters that name a user-assigned identity on
/// `source`. Others are ignored, as the real endpoints ignore unknown parameters.
fn selector_params(source: SourceKind) -> &'static [(&'static str, SelectorKind)] {
    use SelectorKind::*;
    use SourceKind::*;
    match source {
        // IMDS documents `mi_res_id`; every SDK sends `msi_res_id`. Both work on Azure.
        Imds | AzureArc => &[
            ("client_id", Client),
            ("object_id", Object),
            ("msi_res_id", Resource),
            ("mi_res_id", Resource),
        ],
        LegacyVmExtension => {
            &[("client_id", Client), ("object_id", Object), ("msi_res_id", Resource)]
        }
        AppService => &[
            ("client_id", Client),
            ("principal_id", Object),
            ("object_id", Object),
            ("mi_res_id", Resource),
        ],
        AppService2017 | AzureMl => &[("clientid", Client)],
        CloudShell | ServiceFabric => &[],
    }
}

/// How each source's endpoint answers: the emulator's methods on azmi-core's `SourceKind` (a
/// trait, as the type is not the emulator's).
pub(crate) trait SourceAnswers {
    /// The identity the parameters name; `Err` when they name more than one. Empty values count as
    /// absent (Azure ML clients send `clientid=` when `DEFAULT_IDENTITY_CLIENT_ID` is empty).
    fn selector(self, params: &[(String, String)]) -> Result<Selector, Reply>;

    /// An error answer in this source's shape.
    fn error(self, status: u16, code: &str, message: &str) -> Reply;

    /// The answer when the named (or the system-assigned) identity does not exist.
    fn identity_not_found(self) -> Reply;
}

impl SourceAnswers for SourceKind {
    fn selector(self, params: &[(String, String)]) -> Result<Selector, Reply> {
        let mut found = Vec::new();
        for (name, kind) in selector_params(self) {
            if let Some((_, v)) = params.iter().find(|(k, v)| k == name && !v.is_empty()) {
                found.push(match kind {
                    SelectorKind::Client => Selector::ClientId(v.clone()),
                    SelectorKind::Object => Selector::ObjectId(v.clone()),
                    SelectorKind::Resource => Selector::ResourceId(v.clone()),
                });
            }
        }
        match found.len() {
            0 => Ok(Selector::System),
            1 => Ok(found.remove(0)),
            _ => Err(self.error(
                400,
                "invalid_request",
                "Only one of the user-assigned identity parameters may be given",
            )),
        }
    }

    fn error(self, status: u16, code: &str, message: &str) -> Reply {
        use SourceKind::*;
        let body = match self {
            // OAuth-style, as IMDS, the Arc agent (which mimics IMDS) and the VM extension answer.
            Imds | AzureArc | CloudShell | LegacyVmExtension => {
                json!({ "error": code, "error_description": message })
            }
            // The App Service (and Azure ML) token service.
            AppService | AzureMl => json!({
                "statusCode": status,
                "message": message,
                "correlationId": crate::random::uuid(),
            }),
            // ASP.NET Web API errors; msrestazure recognises failures by `ExceptionMessage`.
            AppService2017 => json!({
                "Message": "An error has occurred.",
                "ExceptionMessage": message,
                "ExceptionType": code,
                "StackTrace": null,
            }),
            ServiceFabric => json!({
                "error": { "correlationId": crate::random::uuid(), "code": code, "message": message }
            }),
        };
        Reply::json(status, &body)
    }

    fn identity_not_found(self) -> Reply {
        use SourceKind::*;
        match self {
            Imds | AzureArc | CloudShell | LegacyVmExtension => {
                self.error(400, "invalid_request", "Identity not found")
            }
            AppService | AppService2017 | AzureMl => self.error(
                400,
                "ManagedIdentityException",
                "Unable to load the proper Managed Identity.",
            ),
            ServiceFabric => self.error(
                404,
                "ManagedIdentityNotFound",
                "Managed Identity not found for the specified application host.",
            ),
        }
    }
}
