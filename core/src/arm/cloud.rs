//! Azure clouds: the Resource Manager endpoint and the token resource that goes with it.

use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::error::ArmError;
use crate::config::Resource;
use crate::redact;

/// A Resource Manager endpoint and the audience its tokens need.
///
/// JSON form (serde): `{"arm_endpoint", "resource"}`; read also from a cloud's name
/// (`FromStr`: `public`, `us_government`, `china`, or ARM's names for them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cloud {
    endpoint: String,
    resource: Resource,
    origin: Origin,
}

/// Scheme, host and port: the only place a bearer token may go.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    https: bool,
    host: String,
    port: u16,
}

impl Cloud {
    /// Azure public cloud.
    pub fn public() -> Self {
        Self::known("https://management.azure.com", "https://management.azure.com/")
    }

    /// Azure US Government.
    pub fn us_government() -> Self {
        Self::known(
            "https://management.usgovcloudapi.net",
            "https://management.core.usgovcloudapi.net/",
        )
    }

    /// Azure China (21Vianet).
    pub fn china() -> Self {
        Self::known("https://management.chinacloudapi.cn", "https://management.chinacloudapi.cn/")
    }

    /// A cloud by name: `public` / `AzureCloud`, `us_government` / `AzureUSGovernment`,
    /// `china` / `AzureChinaCloud` (case-insensitive).
    pub fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "public" | "azurecloud" => Some(Self::public()),
            "us_government" | "azureusgovernment" => Some(Self::us_government()),
            "china" | "azurechinacloud" => Some(Self::china()),
            _ => None,
        }
    }

    /// The names `from_name` takes, for messages.
    pub const NAMES: &'static str =
        "public (AzureCloud), us_government (AzureUSGovernment), china (AzureChinaCloud)";

    /// Any endpoint (Azure Stack, the local emulator). It must be https unless it is on loopback,
    /// because bearer tokens travel to it.
    pub fn custom(endpoint: &str, resource: &str) -> Result<Self, ArmError> {
        let endpoint = endpoint.trim().trim_end_matches('/');
        // Shown without any name:password@ it may carry (issue 13 item 5).
        let shown = redact::userinfo(endpoint);
        if redact::has_userinfo(endpoint) {
            return Err(ArmError::config(format!(
                "ARM endpoint {shown:?} carries userinfo (name:password@), hidden here; remove it"
            )));
        }
        let origin = origin(endpoint).ok_or_else(|| {
            ArmError::config(format!("ARM endpoint {shown:?} is not an http(s) URL"))
        })?;
        if !origin.https && !is_loopback(&origin.host) {
            return Err(ArmError::config(format!(
                "ARM endpoint {shown} is plain http: bearer tokens only go over https, or to loopback"
            )));
        }
        let resource = Resource::new(resource).map_err(|e| ArmError::config(e.to_string()))?;
        Ok(Cloud { endpoint: endpoint.to_owned(), resource, origin })
    }

    /// The cloud described by a `metadata/endpoints` answer from `endpoint`.
    pub(crate) fn from_metadata(endpoint: &str, body: &Value) -> Result<Self, String> {
        let audience = body
            .pointer("/authentication/audiences/0")
            .and_then(Value::as_str)
            .ok_or("the metadata has no authentication.audiences")?;
        Cloud::custom(endpoint, audience).map_err(|e| e.to_string())
    }

    /// The endpoint, without a trailing `/`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The resource a token for this cloud is issued for.
    pub fn resource(&self) -> &Resource {
        &self.resource
    }

    /// Whether `url` is on this cloud's endpoint (same scheme, host and port).
    /// A URL with userinfo is never ours: the bearer token must not travel beside credentials
    /// someone else chose.
    pub(crate) fn owns(&self, url: &str) -> bool {
        !redact::has_userinfo(url) && origin(url).is_some_and(|o| o == self.origin)
    }

    /// The JSON form, as a value.
    pub(crate) fn to_json(&self) -> Value {
        serde_json::json!({"arm_endpoint": self.endpoint, "resource": self.resource.as_str()})
    }

    fn known(endpoint: &str, resource: &str) -> Self {
        let origin =
            Origin { https: true, host: endpoint["https://".len()..].to_owned(), port: 443 };
        let resource = Resource::new(resource).expect("known clouds have valid resources");
        Cloud { endpoint: endpoint.to_owned(), resource, origin }
    }
}

impl FromStr for Cloud {
    type Err = ArmError;

    fn from_str(name: &str) -> Result<Self, ArmError> {
        Cloud::from_name(name).ok_or_else(|| {
            ArmError::config(format!("unknown cloud {name:?}; one of {}", Self::NAMES))
        })
    }
}

/// A custom cloud in JSON.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CloudJson<'a> {
    #[serde(borrow)]
    arm_endpoint: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    resource: std::borrow::Cow<'a, str>,
}

impl Serialize for Cloud {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let json = CloudJson {
            arm_endpoint: self.endpoint.as_str().into(),
            resource: self.resource.as_str().into(),
        };
        json.serialize(s)
    }
}

/// A name (`"public"`) or `{"arm_endpoint", "resource"}`, checked as `custom` checks it.
impl<'de> Deserialize<'de> for Cloud {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let problem = |e: ArmError| D::Error::custom(e.problem());
        match Value::deserialize(d)? {
            Value::String(name) => name.parse().map_err(problem),
            custom @ Value::Object(_) => {
                let c = CloudJson::deserialize(&custom).map_err(D::Error::custom)?;
                Cloud::custom(&c.arm_endpoint, &c.resource).map_err(problem)
            }
            other => Err(D::Error::custom(format!(
                "a cloud is a name (public, us_government, china) or an object \
                 {{\"arm_endpoint\", \"resource\"}}, not {other}"
            ))),
        }
    }
}

fn origin(url: &str) -> Option<Origin> {
    let uri: http::Uri = url.parse().ok()?;
    let https = match uri.scheme_str()? {
        s if s.eq_ignore_ascii_case("https") => true,
        s if s.eq_ignore_ascii_case("http") => false,
        _ => return None,
    };
    let host = uri.host().filter(|h| !h.is_empty())?.to_ascii_lowercase();
    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    Some(Origin { https, host, port })
}

/// `localhost`, `127.0.0.0/8` or `::1`.
fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<core::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => bare == "localhost",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_endpoints_need_https_or_loopback() {
        assert!(Cloud::custom("http://127.0.0.1:8443/", "https://management.azure.com/").is_ok());
        assert!(Cloud::custom("http://[::1]:8443", "https://management.azure.com/").is_ok());
        assert!(Cloud::custom("http://localhost:1", "r").is_ok());
        assert!(Cloud::custom("http://10.0.0.1:8443", "r").is_err());
        assert!(Cloud::custom("https://azurestack.local", "r").is_ok());
    }

    #[test]
    fn json_form() {
        let c: Cloud = serde_json::from_value(serde_json::json!("AzureChinaCloud")).unwrap();
        assert_eq!(c, Cloud::china());
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(serde_json::from_value::<Cloud>(json).unwrap(), c);
        let custom = serde_json::json!({"arm_endpoint": "http://127.0.0.1:1/", "resource": "r"});
        let c: Cloud = serde_json::from_value(custom).unwrap();
        assert_eq!(c.endpoint(), "http://127.0.0.1:1");
        for (bad, says) in [
            (serde_json::json!("mars"), "unknown cloud \"mars\"; one of public"),
            (serde_json::json!({"endpoint": "x", "resource": "r"}), "`arm_endpoint`"),
            (serde_json::json!({"arm_endpoint": "http://10.0.0.1", "resource": "r"}), "plain http"),
            (serde_json::json!(3), "a cloud is a name"),
        ] {
            let e = serde_json::from_value::<Cloud>(bad).unwrap_err().to_string();
            assert!(e.contains(says), "{e}");
        }
    }

    #[test]
    fn owns_compares_scheme_host_and_port() {
        let c = Cloud::public();
        assert!(c.owns("https://management.azure.com/subscriptions?$skiptoken=x"));
        assert!(c.owns("https://MANAGEMENT.azure.com:443/x"));
        assert!(!c.owns("http://management.azure.com/x"));
        assert!(!c.owns("https://management.azure.com:444/x"));
        assert!(!c.owns("https://evil.example/x"));
        assert!(!c.owns("https://u:p@management.azure.com/x"));
    }

    #[test]
    fn custom_endpoints_with_userinfo_are_refused_unshown() {
        let err =
            Cloud::custom("https://arm:pa55w0rd@127.0.0.1:8443", "https://management.azure.com/")
                .unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(text.contains("***@127.0.0.1:8443") && !text.contains("pa55w0rd"), "{text}");
    }
}
