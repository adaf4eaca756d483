//! The constructor's `array $options = []`: per-instance overrides of the php.ini directives.
//!
//! PHP hands over the array as is; checking happens in the constructor, so a wrong key or value
//! is a `\ValueError` that names it rather than a generic `TypeError`. The buffer's size is not
//! among them: there is one buffer per process and socket, shared by every instance.

use std::time::Duration;

use ext_php_rs::convert::{FromZval, StubLiteral};
use ext_php_rs::flags::DataType;
use ext_php_rs::types::Zval;

use crate::exception::php_type_name;
use crate::ini::{IniSettings, Overflow};

/// The raw `$options` array.
#[derive(Debug, Default)]
pub struct Options(Vec<(String, Value)>);

/// An option's value, as far as checking it needs.
#[derive(Debug)]
enum Value {
    Number(f64),
    Bool(bool),
    Text(String),
    /// Another PHP type; its name, for the error message.
    Other(&'static str),
}

impl<'a> FromZval<'a> for Options {
    const TYPE: DataType = DataType::Array;

    fn from_zval(zval: &'a Zval) -> Option<Self> {
        let array = zval.array()?;
        let entries = array
            .iter()
            .map(|(key, value)| {
                let value = if let Some(number) =
                    value.long().map(|n| n as f64).or_else(|| value.double())
                {
                    Value::Number(number)
                } else if let Some(flag) = value.bool() {
                    Value::Bool(flag)
                } else if let Some(text) = value.str() {
                    Value::Text(text.to_owned())
                } else {
                    Value::Other(php_type_name(value))
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
    /// How long a connect, a write, or a wait for the sidecar's answer may take.
    pub timeout: Duration,
    /// Whether `broadcast()` waits for the sidecar to take each event.
    pub acknowledged: bool,
    pub overflow: Overflow,
}

const KNOWN: &str = "\"timeout\", \"acknowledged\" and \"overflow\"";

impl Options {
    /// Applies every option over the php.ini settings; the error is the `\ValueError` message.
    pub fn settings(&self, ini: &IniSettings) -> Result<Settings, String> {
        let mut settings = Settings {
            timeout: ini.timeout,
            acknowledged: ini.acknowledged,
            overflow: ini.overflow,
        };
        let wrong = |key: &str, expected: &str, value: &Value| {
            let given = match value {
                Value::Number(number) => number.to_string(),
                Value::Bool(flag) => flag.to_string(),
                Value::Text(text) => format!("\"{text}\""),
                Value::Other(type_name) => (*type_name).to_owned(),
            };
            format!(
                "Sidecast\\Broadcaster::__construct(): option \"{key}\" must be {expected}, {given} given"
            )
        };
        for (key, value) in &self.0 {
            match (key.as_str(), value) {
                ("timeout", Value::Number(seconds))
                    if seconds.is_finite() && *seconds > 0.0 && *seconds <= 3600.0 =>
                {
                    settings.timeout = Duration::from_secs_f64(*seconds);
                }
                ("timeout", value) => {
                    return Err(wrong(
                        "timeout",
                        "a number of seconds greater than 0 and at most 3600",
                        value,
                    ));
                }
                ("acknowledged", Value::Bool(flag)) => settings.acknowledged = *flag,
                ("acknowledged", value) => {
                    return Err(wrong("acknowledged", "true or false", value));
                }
                ("overflow", Value::Text(text)) if Overflow::parse(text).is_some() => {
                    settings.overflow = Overflow::parse(text).expect("checked in the guard");
                }
                ("overflow", value) => {
                    return Err(wrong("overflow", "\"drop\" or \"throw\"", value));
                }
                (other, _) => {
                    return Err(format!(
                        "Sidecast\\Broadcaster::__construct(): unknown option \"{other}\"; the known options are {KNOWN}"
                    ));
                }
            }
        }
        Ok(settings)
    }
}
