//! Azure Machine Learning compute: api-version 2017-09-01, `secret` header, `clientid`.

use super::request::GetRequest;

pub(super) const REQUEST: GetRequest = GetRequest::new("2017-09-01").secret_header("secret");
