//! A `.env` value as phpdotenv's `Lexer` and `EntryParser` read it: tokens, then a state machine
//! over quotes, escapes, whitespace and comments, keeping where each `$` that may expand stands.

use super::complaint;

/// A value whose `${…}` are not resolved yet: its text and where each `$` that may expand stands.
pub(super) struct Value {
    pub(super) chars: String,
    pub(super) vars: Vec<usize>,
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

pub(super) fn parse_value(value: &str) -> Result<Value, String> {
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
pub(super) fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c')
}
