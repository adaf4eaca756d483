//! The constructor's `array $options = []`.
//!
//! PHP hands over the array as is; checking happens in the constructor, so a wrong key or value
//! is a `\ValueError` that names it rather than a generic `TypeError`.

use std::time::Duration;

use ext_php_rs::convert::{FromZval, StubLiteral};
use ext_php_rs::flags::DataType;
use ext_php_rs::types::Zval;

/// Longest write timeout accepted, in seconds.
const MAX_TIMEOUT_SECONDS: f64 = 3600.0;

/// The raw `$options` array.
#[derive(Debug, Default)]
pub struct Options(Vec<(String, Value)>);

/// An option's value, as far as checking it needs.
#[derive(Debug)]
enum Value {
    Number(f64),
    /// Not a number: the PHP type's name, for the error message.
    Other(&'static str),
}

impl<'a> FromZval<'a> for Options {
    const TYPE: DataType = DataType::Array;

    fn from_zval(zval: &'a Zval) -> Option<Self> {
        let array = zval.array()?;
        let entries = array
            .iter()
            .map(|(key, value)| {
                let value = match value.long().map(|n| n as f64).or_else(|| value.double()) {
                    Some(number) => Value::Number(number),
                    None => Value::Other(type_name(value)),
                };
                (key.to_string(), value)
            })
            .collect();
        Some(Options(entries))
    }
}

impl StubLiteral for Options {
    fn stub_literal(&self) -> String {
        "[]".to_owned()
    }
}

/// The settings an instance uses, after checking.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// How long one `broadcast()` may take to connect and write before it throws.
    pub timeout: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            timeout: Duration::from_secs(1),
        }
    }
}

impl Options {
    /// Checks every option; the error is the `\ValueError` message.
    pub fn settings(&self) -> Result<Settings, String> {
        let mut settings = Settings::default();
        for (key, value) in &self.0 {
            match (key.as_str(), value) {
                ("timeout", Value::Number(seconds))
                    if seconds.is_finite() && *seconds > 0.0 && *seconds <= MAX_TIMEOUT_SECONDS =>
                {
                    settings.timeout = Duration::from_secs_f64(*seconds);
                }
                ("timeout", value) => {
                    let given = match value {
                        Value::Number(number) => number.to_string(),
                        Value::Other(type_name) => (*type_name).to_owned(),
                    };
                    return Err(format!(
                        "Sidecast\\Broadcaster::__construct(): option \"timeout\" must be a number of seconds greater than 0 and at most {MAX_TIMEOUT_SECONDS}, {given} given"
                    ));
                }
                (other, _) => {
                    return Err(format!(
                        "Sidecast\\Broadcaster::__construct(): unknown option \"{other}\"; the known option is \"timeout\""
                    ));
                }
            }
        }
        Ok(settings)
    }
}

fn type_name(value: &Zval) -> &'static str {
    if value.is_string() {
        "string"
    } else if value.is_bool() {
        "bool"
    } else if value.is_null() {
        "null"
    } else if value.is_array() {
        "array"
    } else {
        "a value of another type"
    }
}
