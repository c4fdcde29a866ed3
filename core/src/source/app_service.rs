//! App Service, Functions, Container Apps: api-version 2019-08-01 with `X-IDENTITY-HEADER`.

use super::request::GetRequest;

// MSAL sends Metadata too: Azure Automation's variant of this endpoint needs it.
pub(super) const REQUEST: GetRequest =
    GetRequest::new("2019-08-01").metadata().secret_header("x-identity-header");
