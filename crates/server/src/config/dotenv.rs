//! The working directory's `.env`, read as Laravel reads it: vlucas/phpdotenv 5's grammar and
//! Laravel's immutable repository, so the sidecar and the app see the same values.
//!
//! - `KEY=value`, `export KEY=value`, `"KEY"=value`; names of letters, digits, `_` and `.`.
//! - Unquoted values end at whitespace or ` #`; whitespace inside one is an error.
//! - `'single'` quotes are literal; `"double"` quotes take `\"`, `\\`, `\$` and `\f \n \r \t \v`,
//!   and may span lines.
//! - `${NAME}` in unquoted and double-quoted values is replaced by the process environment's
//!   NAME, else by an earlier line's; an unknown one stays as written. `$NAME` is literal.
//! - A later definition of a name wins over an earlier one (Laravel's immutable repository
//!   protects only what the environment had before); `KEY` alone, with no `=`, unsets it.
//!
//! `dotenv/cases.json` holds cases with the values phpdotenv gives for them; this parser is
//! tested against them here, and phpdotenv itself in the PHP suite
//! (`php/tests/Unit/Laravel/DotenvCasesTest.php`).

use std::collections::HashMap;
use std::path::Path;

use value::{Value, is_space, parse_value};

mod value;

/// The variables of `dir/.env`, or none if there is no such file. `environment` answers
/// `${NAME}` before the file's own earlier lines do.
pub fn read(
    dir: &Path,
    environment: &dyn Fn(&str) -> Option<String>,
) -> Result<HashMap<String, String>, String> {
    let path = dir.join(".env");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(HashMap::new()),
        Err(e) => return Err(format!("{}: cannot read: {e}", path.display())),
    };
    parse(&text, environment).map_err(|error| format!("{}: {error}", path.display()))
}

/// The variables of a `.env` text, or phpdotenv's complaint about it.
pub fn parse(
    text: &str,
    environment: &dyn Fn(&str) -> Option<String>,
) -> Result<HashMap<String, String>, String> {
    let mut variables = HashMap::new();
    for entry in entries(text) {
        match parse_entry(&entry)? {
            (name, Some(value)) => {
                let value = resolve(value, &|key| {
                    environment(key).or_else(|| variables.get(key).cloned())
                });
                variables.insert(name, value);
            }
            // A name without `=` unsets what the file gave it before.
            (name, None) => {
                variables.remove(&name);
            }
        }
    }
    Ok(variables)
}

/// The file's entries: lines, a double-quoted value's continuation lines joined to its first,
/// comments and blank lines left out (phpdotenv's `Lines::process`, quirks included: whether a
/// line opens a value is asked of every line, and a joined entry that is a comment is dropped).
fn entries(text: &str) -> Vec<String> {
    let lines = text.split("\r\n").flat_map(|l| l.split(['\n', '\r']));
    let mut output = Vec::new();
    let mut multiline = false;
    let mut buffer: Vec<&str> = Vec::new();
    for line in lines {
        let started = line.contains("=\"") && !closes_quote(line, true);
        multiline |= started;
        let entry = if multiline {
            buffer.push(line);
            if !closes_quote(line, started) {
                continue;
            }
            multiline = false;
            std::mem::take(&mut buffer).join("\n")
        } else {
            line.to_owned()
        };
        let trimmed = php_trim(&entry);
        if !trimmed.is_empty() && !trimmed.starts_with('#') {
            output.push(entry);
        }
    }
    output
}

/// Whether `line` ends a multi-line value: a `"` not escaped (two of them on its first line).
fn closes_quote(line: &str, first_line: bool) -> bool {
    if line == "\"" {
        return true;
    }
    let unescaped = line.replace("\\\\", "");
    let bytes = unescaped.as_bytes();
    let quotes = (1..bytes.len())
        .filter(|&i| bytes[i] == b'"' && bytes[i - 1] != b'\\')
        .count();
    if first_line { quotes > 1 } else { quotes >= 1 }
}

/// A name and its value; no value for a name without `=` (read untrimmed, as phpdotenv does).
fn parse_entry(entry: &str) -> Result<(String, Option<Value>), String> {
    let Some((name, value)) = entry.split_once('=') else {
        return Ok((parse_name(entry)?, None));
    };
    let (name, value) = (php_trim(name), php_trim(value));
    if name.is_empty() {
        return Err(complaint("an unexpected equals", entry));
    }
    Ok((parse_name(name)?, Some(parse_value(value)?)))
}

fn parse_name(name: &str) -> Result<String, String> {
    let mut name = name;
    if name.chars().count() > 8 && name.starts_with("export") && name[6..].starts_with(is_space) {
        name = name[6..].trim_start_matches([' ', '\t', '\n', '\r', '\0', '\x0b']);
    }
    let quoted = name.len() >= 3
        && ((name.starts_with('"') && name.ends_with('"'))
            || (name.starts_with('\'') && name.ends_with('\'')));
    if quoted {
        name = &name[1..name.len() - 1];
    }
    let valid = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.');
    if valid {
        Ok(name.to_owned())
    } else {
        Err(complaint("an invalid name", name))
    }
}

/// PHP's `trim()`: spaces, tabs, line breaks, NUL and vertical tabs.
fn php_trim(text: &str) -> &str {
    text.trim_matches([' ', '\t', '\n', '\r', '\0', '\x0b'])
}

/// `${NAME}` at the value's `$` positions, replaced from the last one back so that earlier
/// positions stay where they were (phpdotenv's `Resolver`).
fn resolve(value: Value, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    let mut text = value.chars;
    for &at in value.vars.iter().rev() {
        let rest = &text[at..];
        let Some(name) = rest
            .strip_prefix("${")
            .and_then(|r| r.split_once('}'))
            .map(|(name, _)| name)
            .filter(|name| {
                !name.is_empty()
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
            })
        else {
            continue;
        };
        if let Some(replacement) = lookup(name) {
            let end = at + name.len() + 3;
            text.replace_range(at..end, &replacement);
        }
    }
    text
}

fn complaint(cause: &str, subject: &str) -> String {
    let first_line = subject.split('\n').next().unwrap_or(subject);
    format!("Failed to parse dotenv file. Encountered {cause} at [{first_line}].")
}

#[cfg(test)]
mod tests;
