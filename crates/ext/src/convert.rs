//! JSON answers from the sidecar, as PHP values: objects and lists become arrays, numbers ints
//! or floats.

use ext_php_rs::boxed::ZBox;
use ext_php_rs::types::{ZendHashTable, Zval};
use serde_json::Value;

/// `value` as a PHP array: an object keyed by its fields, a list as a list; anything else
/// (which no answer holds where an array is expected) as an empty array.
pub fn to_array(value: &Value) -> ZBox<ZendHashTable> {
    match value {
        Value::Object(fields) => {
            let mut array = ZendHashTable::with_capacity(capacity(fields.len()));
            for (key, value) in fields {
                // Fails only for a key PHP cannot hold, which JSON from the sidecar never has.
                let _ = array.insert(key.as_str(), to_zval(value));
            }
            array
        }
        Value::Array(items) => {
            let mut array = ZendHashTable::with_capacity(capacity(items.len()));
            for item in items {
                let _ = array.push(to_zval(item));
            }
            array
        }
        _ => ZendHashTable::new(),
    }
}

fn to_zval(value: &Value) -> Zval {
    let mut zval = Zval::new();
    match value {
        Value::Null => zval.set_null(),
        Value::Bool(flag) => zval.set_bool(*flag),
        Value::Number(number) => match number.as_i64() {
            Some(int) => zval.set_long(int),
            None => zval.set_double(number.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(text) => {
            if zval.set_string(text, false).is_err() {
                zval.set_null();
            }
        }
        Value::Array(_) | Value::Object(_) => zval.set_hashtable(to_array(value)),
    }
    zval
}

fn capacity(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}
