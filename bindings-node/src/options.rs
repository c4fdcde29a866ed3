//! JavaScript option objects → the core's [`Options`]: camelCase keys, read by
//! `Options::from_json`, which names a wrong or unknown key and lists the accepted ones. This
//! module only says which of the core's keys each JavaScript object takes (a credential has no
//! cloud; an `ArmClient` takes its identity from its credential) and carries ms-rest-nodeauth's
//! own argument names to the core's.

use azmi_core::compat::identity_js;
use azmi_core::{ArmConfig, ConfigError, Naming, Options};
use napi::bindgen_prelude::{
    Either, FromNapiValue, JsObjectValue, JsValue, Object, Unknown, ValueType,
};
use serde_json::{Map, Value};

use crate::json::from_js;

/// The keys naming a Resource Manager, which an `ArmClient` takes.
pub(crate) const ARM_KEYS: &[&str] = &["cloud", "arm_endpoint", "arm_resource"];
/// What an `ArmClient` takes: its Resource Manager and its operations' deadline.
const ARM_CLIENT_KEYS: &[&str] = &["cloud", "arm_endpoint", "arm_resource", "deadline_ms"];

/// `new ManagedIdentityCredential(clientIdOrOptions?, options?)`: the options object, or a client
/// id merged into the options that follow it (so a second selector there is the core's "several
/// identities" error, not ignored).
pub(crate) fn credential(
    first: Option<Either<String, Value>>,
    second: Option<Value>,
) -> Result<Options, ConfigError> {
    let object = match (first, second) {
        (Some(Either::A(client_id)), options) => with_client_id(client_id, options)?,
        (Some(Either::B(options)), None) | (None, Some(options)) => options,
        (None, None) => Value::Null,
        (Some(Either::B(_)), Some(_)) => {
            return Err(ConfigError::InvalidOption {
                key: "options".into(),
                problem: "give the options once: (options) or (clientId, options)".into(),
            })
        }
    };
    let mut object = from_js(object);
    // @azure/identity's own options: `retryOptions` is carried over by the core's profile, the
    // others are refused with the reason.
    let retry = match &mut object {
        Value::Object(map) => {
            let given = map.iter().filter(|(_, v)| !v.is_null()).map(|(k, _)| k);
            if let Some(e) = given.filter_map(|k| identity_js::refused(k)).next() {
                return Err(e);
            }
            map.remove(identity_js::RETRY_OPTIONS).filter(|v| !v.is_null())
        }
        _ => None,
    };
    let mut token_keys: Vec<&str> =
        Options::KEYS.iter().copied().filter(|k| !ARM_KEYS.contains(k)).collect();
    token_keys.push("retry_options");
    only(&object, &token_keys)?;
    let options = Options::from_json(object, Naming::Camel)?;
    match retry {
        Some(retry) => identity_js::retry_options(&retry, options),
        None => Ok(options),
    }
}

fn with_client_id(client_id: String, options: Option<Value>) -> Result<Value, ConfigError> {
    let key = Naming::Camel.spell("client_id");
    match options.unwrap_or(Value::Null) {
        Value::Null => Ok(Value::Object(Map::from_iter([(key, client_id.into())]))),
        Value::Object(mut map) => match map.get(&key) {
            Some(v) if !v.is_null() => Err(ConfigError::InvalidOption {
                key,
                problem: "given twice, as the first argument and in the options; give it once"
                    .into(),
            }),
            _ => {
                map.insert(key, client_id.into());
                Ok(Value::Object(map))
            }
        },
        // Not an object: the core says what options must be.
        other => Ok(other),
    }
}

/// An options argument as JSON, each key's value converted apart, so that a value JSON cannot
/// hold (`NaN` from `Number(process.env.X)`, `Infinity`, a function) is the core's error for
/// that key rather than napi's for the whole object. Keys whose value is `undefined` and the
/// `skip`ped ones are left out; anything but an object is converted whole, for the core to say
/// what options must be.
pub(crate) fn from_js_options(value: Unknown<'_>, skip: &[&str]) -> Result<Value, ConfigError> {
    let is_object = matches!(value.get_type(), Ok(ValueType::Object));
    if !is_object || value.is_array().unwrap_or(false) {
        return json_value(value, "options");
    }
    // SAFETY: an object value, read in the scope of the call that received it.
    let object = unsafe { Object::from_napi_value(value.value().env, value.raw()) }
        .map_err(|e| invalid("options", &e.reason))?;
    let keys = Object::keys(&object).map_err(|e| invalid("options", &e.reason))?;
    let mut map = Map::new();
    for key in keys.into_iter().filter(|k| !skip.contains(&k.as_str())) {
        let item: Unknown =
            object.get_named_property(&key).map_err(|e| invalid(&key, &e.reason))?;
        if !matches!(item.get_type(), Ok(ValueType::Undefined)) {
            let item = json_value(item, &key)?;
            map.insert(key, item);
        }
    }
    Ok(Value::Object(map))
}

/// A credential's options argument as JSON ([`from_js_options`]); a value JSON cannot hold under
/// one of @azure/identity's own keys (an `httpClient` object with methods) gets that key's
/// refusal, which says why azmi has no use for it.
pub(crate) fn credential_options(value: Unknown<'_>) -> Result<Value, ConfigError> {
    from_js_options(value, &[]).map_err(|e| match &e {
        ConfigError::InvalidOption { key, .. } => identity_js::refused(key).unwrap_or(e),
        _ => e,
    })
}

/// One value as JSON, or the error naming `key` when JSON cannot hold it.
fn json_value(value: Unknown<'_>, key: &str) -> Result<Value, ConfigError> {
    let number = matches!(value.get_type(), Ok(ValueType::Number));
    Value::from_unknown(value).map_err(|_| {
        let problem = if number {
            "must be a finite number, not NaN or Infinity".into()
        } else {
            "must be a string, a number, a boolean, an object, an array or null".into()
        };
        ConfigError::InvalidOption { key: key.into(), problem }
    })
}

fn invalid(key: &str, reason: &str) -> ConfigError {
    ConfigError::InvalidOption { key: key.into(), problem: reason.into() }
}

/// An `ArmClient`'s options: which Resource Manager (the core's `cloud`, `armEndpoint`,
/// `armResource`).
pub(crate) fn arm(options: Option<Value>) -> Result<Options, ConfigError> {
    let object = from_js(options.unwrap_or(Value::Null));
    only(&object, ARM_CLIENT_KEYS)?;
    Options::from_json(object, Naming::Camel)
}

/// An `ArmClient`'s limits: the default ones, with `deadlineMs` as each operation's deadline,
/// range-checked by the core as every deadline is.
pub(crate) fn arm_limits(options: &Options) -> Result<ArmConfig, ConfigError> {
    let mut limits = ArmConfig::default();
    if options.deadline_ms.is_some() {
        limits.deadline = options.config()?.deadline.unwrap_or(limits.deadline);
    }
    Ok(limits)
}

/// Refuses any key of `object` outside `accepted` (snake_case), with the core's error for an
/// unknown option (the key as given, the accepted ones camelCased).
pub(crate) fn only(object: &Value, accepted: &[&str]) -> Result<(), ConfigError> {
    let Value::Object(map) = object else { return Ok(()) };
    let spelt: Vec<String> = accepted.iter().map(|k| Naming::Camel.spell(k)).collect();
    match map.iter().find(|(k, v)| !v.is_null() && !spelt.contains(k)) {
        Some((key, _)) => {
            Err(ConfigError::UnknownOption { key: key.clone(), accepted: spelt.join(", ") })
        }
        None => Ok(()),
    }
}

/// A surface key's string value from `Options::from_json_with`'s extras.
pub(crate) fn text(extra: &Map<String, Value>, key: &str) -> Result<Option<String>, ConfigError> {
    match extra.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ConfigError::InvalidOption {
            key: Naming::Camel.spell(key),
            problem: "must be a string".into(),
        }),
    }
}
