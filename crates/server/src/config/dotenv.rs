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
//!   protects only what the environment had before); `KEY` alone, with no `=`, defines nothing.
//!
//! `dotenv/cases.json` holds cases with the values phpdotenv gives for them; this parser is
//! tested against them here, and phpdotenv itself in the PHP suite
//! (`php/tests/Unit/Laravel/DotenvCasesTest.php`).

use std::collections::HashMap;
use std::path::Path;

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
        let Some((name, value)) = parse_entry(&entry)? else {
            continue;
        };
        let value = resolve(value, &|key| {
            environment(key).or_else(|| variables.get(key).cloned())
        });
        variables.insert(name, value);
    }
    Ok(variables)
}

/// The file's entries: lines, a double-quoted value's continuation lines joined to its first,
/// comments and blank lines left out (phpdotenv's `Lines::process`).
fn entries(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text
        .split("\r\n")
        .flat_map(|l| l.split(['\n', '\r']))
        .collect();
    let mut output = Vec::new();
    let mut buffer: Vec<&str> = Vec::new();
    for line in lines {
        let started = buffer.is_empty() && line.contains("=\"") && !closes_quote(line, true);
        if started || !buffer.is_empty() {
            buffer.push(line);
            if closes_quote(line, started) {
                output.push(buffer.join("\n"));
                buffer.clear();
            }
            continue;
        }
        let trimmed = php_trim(line);
        if !trimmed.is_empty() && !trimmed.starts_with('#') {
            output.push(line.to_owned());
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

/// A value before `${…}` are resolved: its text and where each `$` it may expand stands.
struct Value {
    chars: String,
    vars: Vec<usize>,
}

/// `Ok(None)` for a name without `=`, which defines nothing.
fn parse_entry(entry: &str) -> Result<Option<(String, Value)>, String> {
    let Some((name, value)) = entry.split_once('=') else {
        parse_name(php_trim(entry))?;
        return Ok(None);
    };
    let (name, value) = (php_trim(name), php_trim(value));
    if name.is_empty() {
        return Err(complaint("an unexpected equals", entry));
    }
    Ok(Some((parse_name(name)?, parse_value(value)?)))
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

#[derive(Clone, Copy, PartialEq)]
enum State {
    Initial,
    Unquoted,
    SingleQuoted,
    DoubleQuoted,
    Escape,
    Whitespace,
    Comment,
}

fn parse_value(value: &str) -> Result<Value, String> {
    let mut parsed = Value {
        chars: String::new(),
        vars: Vec::new(),
    };
    let mut state = State::Initial;
    for token in tokens(value) {
        let (text, var, next) = step(state, token).map_err(|cause| complaint(cause, value))?;
        if var {
            parsed.vars.push(parsed.chars.len());
        }
        parsed.chars.push_str(&text);
        state = next;
    }
    if matches!(
        state,
        State::SingleQuoted | State::DoubleQuoted | State::Escape
    ) {
        return Err(complaint("a missing closing quote", value));
    }
    Ok(parsed)
}

/// One token read in `state`: the text it adds, whether it is a `$` that may expand, and the
/// next state (phpdotenv's `EntryParser::processToken`).
fn step(state: State, token: &str) -> Result<(String, bool, State), &'static str> {
    let space = token.starts_with(is_space);
    let keep = |next| Ok((token.to_owned(), false, next));
    let drop = |next| Ok((String::new(), false, next));
    match (state, token) {
        (State::Initial, "'") => drop(State::SingleQuoted),
        (State::Initial, "\"") => drop(State::DoubleQuoted),
        (State::Initial | State::Unquoted | State::Whitespace, "#") => drop(State::Comment),
        (State::Initial | State::Unquoted, "$") => Ok(("$".to_owned(), true, State::Unquoted)),
        (State::Unquoted, _) if space => drop(State::Whitespace),
        (State::Initial | State::Unquoted, _) => keep(State::Unquoted),
        (State::SingleQuoted, "'") => drop(State::Whitespace),
        (State::SingleQuoted, _) => keep(State::SingleQuoted),
        (State::DoubleQuoted, "\"") => drop(State::Whitespace),
        (State::DoubleQuoted, "\\") => drop(State::Escape),
        (State::DoubleQuoted, "$") => Ok(("$".to_owned(), true, State::DoubleQuoted)),
        (State::DoubleQuoted, _) => keep(State::DoubleQuoted),
        (State::Escape, "\"" | "\\" | "$") => keep(State::DoubleQuoted),
        (State::Escape, _) => {
            let escaped = match token.as_bytes()[0] {
                b'f' => '\x0c',
                b'n' => '\n',
                b'r' => '\r',
                b't' => '\t',
                b'v' => '\x0b',
                _ => return Err("an unexpected escape sequence"),
            };
            Ok((
                format!("{escaped}{}", &token[1..]),
                false,
                State::DoubleQuoted,
            ))
        }
        (State::Whitespace, _) if space => drop(State::Whitespace),
        (State::Whitespace, _) => Err("unexpected whitespace"),
        (State::Comment, _) => drop(State::Comment),
    }
}

/// phpdotenv's lexer: runs of line breaks, runs of other whitespace, each of `\ ' " # $`
/// alone, and runs of anything else.
fn tokens(value: &str) -> Vec<&str> {
    #[derive(PartialEq)]
    enum Class {
        Newline,
        Space,
        Single,
        Other,
    }
    let class = |c: char| match c {
        '\r' | '\n' => Class::Newline,
        c if is_space(c) => Class::Space,
        '\\' | '\'' | '"' | '#' | '$' => Class::Single,
        _ => Class::Other,
    };
    let mut tokens = Vec::new();
    let mut chars = value.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        let kind = class(c);
        if kind != Class::Single {
            while chars.peek().is_some_and(|&(_, next)| class(next) == kind) {
                chars.next();
            }
        }
        let end = chars.peek().map_or(value.len(), |&(next, _)| next);
        tokens.push(&value[start..end]);
    }
    tokens
}

/// PCRE's `\s` and PHP's `ctype_space()`: ASCII whitespace, vertical tab included.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c')
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
