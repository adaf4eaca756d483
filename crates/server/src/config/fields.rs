//! A checked walk over a JSON object: every read names its key path, so an error says exactly
//! which key is wrong and what was expected; keys nobody read are reported as unknown.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

/// What is wrong with one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyError {
    pub key: String,
    pub problem: String,
}

pub type Result<T> = std::result::Result<T, KeyError>;

/// The keys of one JSON object, read one by one.
pub struct Fields<'a> {
    object: &'a Map<String, Value>,
    prefix: String,
    read: BTreeSet<&'a str>,
}

impl<'a> Fields<'a> {
    pub fn of(value: &'a Value, path: &str) -> Result<Self> {
        match value {
            Value::Object(object) => Ok(Fields {
                object,
                prefix: path.to_owned(),
                read: BTreeSet::new(),
            }),
            other => Err(KeyError {
                key: if path.is_empty() {
                    "(top level)".into()
                } else {
                    path.into()
                },
                problem: format!("expected an object, found {}", kind(other)),
            }),
        }
    }

    pub fn path(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.prefix)
        }
    }

    fn error(&self, key: &str, expected: &str, found: &Value) -> KeyError {
        KeyError {
            key: self.path(key),
            problem: format!("expected {expected}, found {}", kind(found)),
        }
    }

    /// The raw value, marking the key as known.
    pub fn value(&mut self, key: &'a str) -> Option<&'a Value> {
        self.read.insert(key);
        self.object.get(key)
    }

    pub fn object(&mut self, key: &'a str) -> Result<Option<Fields<'a>>> {
        let path = self.path(key);
        match self.value(key) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => Fields::of(value, &path).map(Some),
        }
    }

    pub fn string(&mut self, key: &'a str) -> Result<Option<String>> {
        match self.value(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(other) => Err(self.error(key, "a string", other)),
        }
    }

    /// A boolean; the strings "true" and "false" too, as environment values are strings.
    pub fn bool(&mut self, key: &'a str) -> Result<Option<bool>> {
        match self.value(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(flag)) => Ok(Some(*flag)),
            Some(Value::String(text)) if text == "true" || text == "false" => {
                Ok(Some(text == "true"))
            }
            Some(other) => Err(self.error(key, "true or false", other)),
        }
    }

    /// A whole number in `range`; a string of digits too (laravel-echo-server's `init` writes
    /// the port as a string).
    pub fn number(
        &mut self,
        key: &'a str,
        range: std::ops::RangeInclusive<u64>,
    ) -> Result<Option<u64>> {
        let value = match self.value(key) {
            None | Some(Value::Null) => return Ok(None),
            Some(value) => value,
        };
        let number = match value {
            Value::Number(number) => number.as_u64(),
            Value::String(text) => text.trim().parse().ok(),
            _ => None,
        };
        match number {
            Some(number) if range.contains(&number) => Ok(Some(number)),
            _ => Err(KeyError {
                key: self.path(key),
                problem: format!(
                    "expected a whole number from {} to {}, found {}",
                    range.start(),
                    range.end(),
                    describe(value)
                ),
            }),
        }
    }

    /// One string or a list of strings.
    pub fn strings(&mut self, key: &'a str) -> Result<Option<Vec<String>>> {
        match self.value(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(vec![text.clone()])),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| match item {
                    Value::String(text) => Ok(text.clone()),
                    other => Err(self.error(key, "a string or a list of strings", other)),
                })
                .collect::<Result<Vec<_>>>()
                .map(Some),
            Some(other) => Err(self.error(key, "a string or a list of strings", other)),
        }
    }

    pub fn array(&mut self, key: &'a str) -> Result<Option<&'a Vec<Value>>> {
        match self.value(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => Ok(Some(items)),
            Some(other) => Err(self.error(key, "a list", other)),
        }
    }

    /// Fails on the first key that was never read, naming the keys that are allowed here.
    pub fn finish(self) -> Result<()> {
        if let Some(unknown) = self
            .object
            .keys()
            .find(|key| !self.read.contains(key.as_str()))
        {
            let known: Vec<&str> = self.read.iter().copied().collect();
            return Err(KeyError {
                key: self.path(unknown),
                problem: format!("unknown key; known keys here: {}", known.join(", ")),
            });
        }
        Ok(())
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::Number(_) | Value::String(_) => value.to_string(),
        other => kind(other).to_owned(),
    }
}
