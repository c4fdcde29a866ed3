//! The managed identity sources: names, how each selects a user-assigned identity, and the shape
//! of its error answers. Shapes copy the real services (docs/protocol.md §1), because client error
//! classification depends on them.

use serde_json::json;

use crate::http_util::Reply;

/// One managed identity endpoint kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    Imds,
    AppService,
    AppService2017,
    AzureMl,
    CloudShell,
    AzureArc,
    ServiceFabric,
    LegacyVmExtension,
}

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

impl Source {
    /// The name used by `env_for`, faults and the request log (azmi-core's source names).
    pub fn name(self) -> &'static str {
        match self {
            Source::Imds => "imds",
            Source::AppService => "app_service",
            Source::AppService2017 => "app_service_2017",
            Source::AzureMl => "azure_ml",
            Source::CloudShell => "cloud_shell",
            Source::AzureArc => "azure_arc",
            Source::ServiceFabric => "service_fabric",
            Source::LegacyVmExtension => "legacy_vm_extension",
        }
    }

    /// Query (or, for the POST sources, form) parameters that name a user-assigned identity.
    /// Others are ignored, as the real endpoints ignore unknown parameters.
    fn selector_params(self) -> &'static [(&'static str, SelectorKind)] {
        use SelectorKind::*;
        match self {
            // IMDS documents `mi_res_id`; every SDK sends `msi_res_id`. Both work on Azure.
            Source::Imds | Source::AzureArc => &[
                ("client_id", Client),
                ("object_id", Object),
                ("msi_res_id", Resource),
                ("mi_res_id", Resource),
            ],
            Source::LegacyVmExtension => {
                &[("client_id", Client), ("object_id", Object), ("msi_res_id", Resource)]
            }
            Source::AppService => &[
                ("client_id", Client),
                ("principal_id", Object),
                ("object_id", Object),
                ("mi_res_id", Resource),
            ],
            Source::AppService2017 | Source::AzureMl => &[("clientid", Client)],
            Source::CloudShell | Source::ServiceFabric => &[],
        }
    }

    /// The identity the parameters name; `Err` when they name more than one. Empty values count as
    /// absent (Azure ML clients send `clientid=` when `DEFAULT_IDENTITY_CLIENT_ID` is empty).
    pub fn selector(self, params: &[(String, String)]) -> Result<Selector, Reply> {
        let mut found = Vec::new();
        for (name, kind) in self.selector_params() {
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

    /// An error answer in this source's shape.
    pub fn error(self, status: u16, code: &str, message: &str) -> Reply {
        let body = match self {
            // OAuth-style, as IMDS, the Arc agent (which mimics IMDS) and the VM extension answer.
            Source::Imds | Source::AzureArc | Source::CloudShell | Source::LegacyVmExtension => {
                json!({ "error": code, "error_description": message })
            }
            // The App Service (and Azure ML) token service.
            Source::AppService | Source::AzureMl => json!({
                "statusCode": status,
                "message": message,
                "correlationId": crate::random::uuid(),
            }),
            // ASP.NET Web API errors; msrestazure recognises failures by `ExceptionMessage`.
            Source::AppService2017 => json!({
                "Message": "An error has occurred.",
                "ExceptionMessage": message,
                "ExceptionType": code,
                "StackTrace": null,
            }),
            Source::ServiceFabric => json!({
                "error": { "correlationId": crate::random::uuid(), "code": code, "message": message }
            }),
        };
        Reply::json(status, &body)
    }

    /// The answer when the named (or the system-assigned) identity does not exist.
    pub fn identity_not_found(self) -> Reply {
        match self {
            Source::Imds | Source::AzureArc | Source::CloudShell | Source::LegacyVmExtension => {
                self.error(400, "invalid_request", "Identity not found")
            }
            Source::AppService | Source::AppService2017 | Source::AzureMl => self.error(
                400,
                "ManagedIdentityException",
                "Unable to load the proper Managed Identity.",
            ),
            Source::ServiceFabric => self.error(
                404,
                "ManagedIdentityNotFound",
                "Managed Identity not found for the specified application host.",
            ),
        }
    }
}
