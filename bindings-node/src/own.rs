//! Own enumerable properties on the class instances that stand for plain objects in the libraries
//! azmi replaces (@azure/identity's `AccessToken`, ms-rest-nodeauth's token response): napi puts
//! a class's fields on its prototype as getters, which spreading, `Object.keys`,
//! `structuredClone` and `postMessage` do not see. The secret becomes an own accessor, so that
//! `util.inspect` without the prototype's custom inspect shows `[Getter]`, never the secret;
//! `toJSON` (the prototype's) leaves it out.

use napi::bindgen_prelude::*;

/// A class whose instances hold a secret.
pub(crate) trait Secret {
    /// The secret itself.
    fn secret(&self) -> &str;
}

/// Defines on `instance` (a `T`) an own enumerable accessor `secret` for [`Secret::secret`] and
/// own enumerable data properties for `fields`.
pub(crate) fn define<T>(
    env: sys::napi_env,
    instance: sys::napi_value,
    secret: &str,
    fields: &[(&str, Unknown<'_>)],
) -> Result<()>
where
    T: Secret + FromNapiRef + TypeName + MaybeTypeTag + 'static,
{
    let mut properties = vec![Property::new()
        .with_utf8_name(secret)?
        .with_getter(own_secret::<T>)
        .with_property_attributes(
            PropertyAttributes::Enumerable | PropertyAttributes::Configurable,
        )];
    for (name, value) in fields {
        properties.push(Property::new().with_utf8_name(name)?.with_value(value));
    }
    Object::from_raw(env, instance).define_properties(&properties)
}

/// The own secret accessor: the secret of the `T` it is read on.
unsafe extern "C" fn own_secret<T>(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value
where
    T: Secret + FromNapiRef + TypeName + MaybeTypeTag + 'static,
{
    let secret = CallbackInfo::<0>::new(env, info, None, false)
        .and_then(|mut cb| cb.unwrap_borrow::<T>())
        .and_then(|t| unsafe { <&str>::to_napi_value(env, t.secret()) });
    secret.unwrap_or_else(|e| {
        unsafe { JsError::from(e).throw_into(env) };
        std::ptr::null_mut()
    })
}
