//! Python objects ↔ `serde_json::Value`, the form the core's options record and ARM calls take.
//!
//! Written here rather than taken from a crate so that nothing is lost on the way: a float that
//! is not finite has no JSON form and is refused (rather than turned into `null`, which an
//! options record would read as "not given"), an integer keeps its type, and a value that is not
//! JSON-shaped is refused with the path to it.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyMapping, PyString, PyTuple};
use serde_json::{Map, Number, Value};

/// A Python value with no JSON form: where it is (`key`, `tags.team`, `body[2]`) and why.
#[derive(Debug)]
pub(crate) struct NotJson {
    /// The path from the converted object's top to the value.
    pub(crate) path: String,
    /// What is wrong, e.g. "must be a finite number, not inf".
    pub(crate) problem: String,
}

impl NotJson {
    /// The top-level key the value sits under (the option it belongs to).
    pub(crate) fn key(&self) -> &str {
        self.path.split(['.', '[']).next().unwrap_or_default()
    }

    /// A `TypeError` naming the path under `what` (an argument's name).
    pub(crate) fn type_error(&self, what: &str) -> PyErr {
        let sep = if self.path.starts_with('[') || self.path.is_empty() { "" } else { "." };
        PyTypeError::new_err(format!("{what}{sep}{}: {}", self.path, self.problem))
    }
}

/// A dict (or any mapping with string keys) as a JSON object.
pub(crate) fn to_object(mapping: &Bound<'_, PyAny>) -> Result<Map<String, Value>, NotJson> {
    match to_value(mapping, String::new())? {
        Value::Object(object) => Ok(object),
        _ => Err(NotJson { path: String::new(), problem: "must be a dict".into() }),
    }
}

/// Any JSON-shaped Python value (`None`, bool, int, float, str, mappings, lists and tuples).
pub(crate) fn to_value(obj: &Bound<'_, PyAny>, path: String) -> Result<Value, NotJson> {
    if obj.is_none() {
        return Ok(Value::Null);
    }
    // bool first: it is also an int.
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(n) = obj.extract::<i64>() {
            return Ok(Value::from(n));
        }
        return match obj.extract::<u64>() {
            Ok(n) => Ok(Value::from(n)),
            Err(_) => fail(path, format!("integer {obj} is out of range")),
        };
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        let f = f.value();
        return match Number::from_f64(f) {
            Some(n) => Ok(Value::Number(n)),
            None => fail(path, format!("must be a finite number, not {f}")),
        };
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return s
            .to_str()
            .map(|s| Value::String(s.to_owned()))
            .or_else(|e| fail(path, e.to_string()));
    }
    if let Ok(mapping) = obj.cast::<PyMapping>() {
        let mut object = Map::new();
        let items = mapping.items().or_else(|e| fail(path.clone(), e.to_string()))?;
        for item in items.iter() {
            let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) =
                item.extract().or_else(|e: PyErr| fail(path.clone(), e.to_string()))?;
            let Ok(key) = k.cast::<PyString>().map(|k| k.to_string()) else {
                return fail(path, format!("keys must be strings, not {}", type_name(&k)));
            };
            let inner = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
            object.insert(key, to_value(&v, inner)?);
        }
        return Ok(Value::Object(object));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let items = obj.try_iter().or_else(|e| fail(path.clone(), e.to_string()))?;
        let mut array = Vec::new();
        for (i, item) in items.enumerate() {
            let item = item.or_else(|e| fail(path.clone(), e.to_string()))?;
            array.push(to_value(&item, format!("{path}[{i}]"))?);
        }
        return Ok(Value::Array(array));
    }
    fail(path, format!("a {} has no JSON form", type_name(obj)))
}

/// A JSON value as Python's `json.loads` would give it.
pub(crate) fn to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_pyobject(py)?.into_any(),
            (None, Some(u)) => u.into_pyobject(py)?.into_any(),
            _ => n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any(),
        },
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(object) => {
            let dict = PyDict::new(py);
            for (k, v) in object {
                dict.set_item(k, to_py(py, v)?)?;
            }
            dict.into_any()
        }
    })
}

fn fail<T>(path: String, problem: String) -> Result<T, NotJson> {
    Err(NotJson { path, problem })
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "value".into())
}
