//! JSON values between JavaScript and the core, with numbers as JavaScript's own `JSON` writes
//! and reads them.
//!
//! JavaScript has one number type, a double. napi's serde-json conversion makes a whole number an
//! integer only up to `u32::MAX`; above it the number stays a float, which the core's typed JSON
//! refuses where it reads an integer (a token's `expires_on_ms`) and which serde writes as
//! `1099511627776.0` into a user's ARM request body. [`from_js`] makes every whole number within
//! the 64-bit range an integer, as `JSON.stringify` writes it, and leaves every other number a
//! float (`1.5` stays `1.5`). The other way, napi would hand an integer beyond 2^53 − 1 to
//! JavaScript as a `BigInt`, which `JSON.stringify` cannot write; [`Json`] gives it as a number,
//! as `JSON.parse` does.

use napi::bindgen_prelude::*;
use serde_json::{Number, Value};

/// A value from JavaScript (napi's conversion) with its whole numbers as integers.
pub(crate) fn from_js(mut v: Value) -> Value {
    visit(&mut v, &mut |n| whole(n).map(Value::Number));
    v
}

/// `n` as an integer when it is a whole double that an integer holds exactly (every double of
/// that magnitude is exact, so nothing is rounded); `None` to leave it.
fn whole(n: &Number) -> Option<Number> {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    const TWO_64: f64 = 18_446_744_073_709_551_616.0;
    let f = n.as_f64().filter(|f| n.is_f64() && f.fract() == 0.0)?;
    if (0.0..TWO_64).contains(&f) {
        Some(Number::from(f as u64))
    } else if (-TWO_63..0.0).contains(&f) {
        Some(Number::from(f as i64))
    } else {
        None
    }
}

/// Calls `f` on every number in `v`, replacing those it gives a value for (in place: most values
/// have nothing to change).
fn visit(v: &mut Value, f: &mut impl FnMut(&Number) -> Option<Value>) {
    match v {
        Value::Number(n) => {
            if let Some(new) = f(n) {
                *v = new;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| visit(item, f)),
        Value::Object(map) => map.values_mut().for_each(|item| visit(item, f)),
        _ => {}
    }
}

/// A JSON value handed to JavaScript as `JSON.parse` would give it: integers past 2^53 − 1 as
/// (rounded) numbers rather than napi's `BigInt`.
pub struct Json(pub Value);

impl TypeName for Json {
    fn type_name() -> &'static str {
        "any"
    }

    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

impl ToNapiValue for Json {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        let mut v = val.0;
        visit(&mut v, &mut unsafe_integer_as_double);
        // SAFETY: forwarded to serde_json's conversion, with the env napi gave us.
        unsafe { Value::to_napi_value(env, v) }
    }
}

/// An integer beyond JavaScript's safe range (±(2^53 − 1)) as the nearest double.
fn unsafe_integer_as_double(n: &Number) -> Option<Value> {
    const MAX_SAFE: u64 = (1 << 53) - 1;
    let magnitude = n.as_u64().or_else(|| n.as_i64().map(i64::unsigned_abs))?;
    (magnitude > MAX_SAFE).then(|| n.as_f64().and_then(Number::from_f64).map(Value::Number))?
}
