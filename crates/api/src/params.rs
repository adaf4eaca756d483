//! Query-string parameters, percent-decoded.

/// The value of `name` in `query`, decoded; `None` if it is not there.
pub(crate) fn parameter(query: Option<&str>, name: &str) -> Option<String> {
    pairs(query?)
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
}

/// Every `key=value` of `query`, both decoded, in order; a key without `=` has an empty value.
pub(crate) fn pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key), percent_decode(value))
        })
}

/// `%XX` escapes and `+` for space; a `%` not followed by two hex digits stays as it is.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'%' => match (
                bytes.get(index + 1).and_then(hex),
                bytes.get(index + 2).and_then(hex),
            ) {
                (Some(high), Some(low)) => {
                    out.push(high << 4 | low);
                    index += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            byte => out.push(byte),
        }
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(byte: &u8) -> Option<u8> {
    (*byte as char).to_digit(16).map(|digit| digit as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_found_and_decoded() {
        assert_eq!(
            parameter(Some("a=1&filter_by_prefix=presence-"), "filter_by_prefix").as_deref(),
            Some("presence-")
        );
        assert_eq!(
            parameter(Some("x=private%2Dx+y"), "x").as_deref(),
            Some("private-x y")
        );
        assert_eq!(
            parameter(Some("auth_key=a%2Bb%3D"), "auth_key").as_deref(),
            Some("a+b=")
        );
        assert_eq!(parameter(None, "x"), None);
        assert_eq!(parameter(Some("x=1"), "y"), None);
    }

    #[test]
    fn broken_escapes_and_non_ascii_never_panic() {
        assert_eq!(parameter(Some("x=%zz%"), "x").as_deref(), Some("%zz%"));
        assert_eq!(
            parameter(Some("x=%a\u{e9}"), "x").as_deref(),
            Some("%a\u{e9}")
        );
        assert_eq!(parameter(Some("x=%"), "x").as_deref(), Some("%"));
        assert_eq!(parameter(Some("x=%e9"), "x").as_deref(), Some("\u{fffd}"));
    }
}
