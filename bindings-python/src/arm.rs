//! The ARM client: `azmi_host::ArmClient` over a credential. Arguments and results are Python
//! values converted to and from JSON (`crate::value`); the cloud comes from the core's options
//! record.

use azmi_core::{ArmOutcome, ArmRequest, Options};
use pyo3::prelude::*;
use serde_json::Value;

use crate::credential::Credential;
use crate::errors::py_err;
use crate::value;

/// The native ARM client.
#[pyclass(frozen, module = "azmi._azmi")]
pub(crate) struct Arm {
    inner: azmi_host::ArmClient,
}

#[pymethods]
impl Arm {
    /// The Resource Manager of `cloud` (`public`, `us_government`, `china`), or `arm_endpoint`
    /// with `arm_resource`; with none of them, the credential's (its options' `cloud`, ...).
    #[new]
    #[pyo3(signature = (credential, *, cloud=None, arm_endpoint=None, arm_resource=None))]
    fn new(
        py: Python<'_>,
        credential: &Credential,
        cloud: Option<String>,
        arm_endpoint: Option<String>,
        arm_resource: Option<String>,
    ) -> PyResult<Self> {
        let cloud = if cloud.is_none() && arm_endpoint.is_none() && arm_resource.is_none() {
            credential.cloud.clone()
        } else {
            let mut options = Options::default();
            (options.cloud, options.arm_endpoint, options.arm_resource) =
                (cloud, arm_endpoint, arm_resource);
            options.cloud().map_err(|e| py_err(py, &e))?
        };
        Ok(Arm { inner: azmi_host::ArmClient::new(credential.inner.clone(), cloud) })
    }

    /// Subscriptions.
    fn list_subscriptions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let items = py.detach(|| self.inner.list_subscriptions()).map_err(|e| py_err(py, &e))?;
        value::to_py(py, &Value::Array(items))
    }

    /// Resource groups of a subscription.
    fn list_resource_groups<'py>(
        &self,
        py: Python<'py>,
        subscription_id: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let items = py
            .detach(|| self.inner.list_resource_groups(subscription_id))
            .map_err(|e| py_err(py, &e))?;
        value::to_py(py, &Value::Array(items))
    }

    /// Creates or updates a resource group; returns it.
    #[pyo3(signature = (subscription_id, name, location, tags=None))]
    fn create_resource_group<'py>(
        &self,
        py: Python<'py>,
        subscription_id: &str,
        name: &str,
        location: &str,
        tags: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let tags = tags.map(value::to_object).transpose().map_err(|e| e.type_error("tags"))?;
        let group = py
            .detach(|| {
                self.inner.create_resource_group(subscription_id, name, location, tags.as_ref())
            })
            .map_err(|e| py_err(py, &e))?;
        value::to_py(py, &group)
    }

    /// Deletes a resource group, polling until ARM says it is gone.
    fn delete_resource_group(
        &self,
        py: Python<'_>,
        subscription_id: &str,
        name: &str,
    ) -> PyResult<()> {
        py.detach(|| self.inner.delete_resource_group(subscription_id, name, |_| {}))
            .map_err(|e| py_err(py, &e))
    }

    /// A generic request: `GET`/`PUT`/`DELETE`/... on a path; returns the JSON body.
    #[pyo3(signature = (method, path, api_version, body=None))]
    fn request<'py>(
        &self,
        py: Python<'py>,
        method: &str,
        path: &str,
        api_version: &str,
        body: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let body = body
            .map(|b| value::to_value(b, String::new()))
            .transpose()
            .map_err(|e| e.type_error("body"))?;
        let request =
            ArmRequest::generic(method, path, api_version, body).map_err(|e| py_err(py, &e))?;
        let outcome = py.detach(|| self.inner.execute(&request)).map_err(|e| py_err(py, &e))?;
        let result = match outcome {
            ArmOutcome::Response(r) => r.body,
            ArmOutcome::Items { items, .. } => Value::Array(items),
            other => Value::String(format!("{other:?}")),
        };
        value::to_py(py, &result)
    }

    fn __repr__(&self) -> String {
        format!("Arm(endpoint={:?})", self.inner.cloud().endpoint())
    }
}
