//! The working directory's `.env`, read as laravel-echo-server's `dotenv` did: `KEY=VALUE`
//! lines, optional quotes, `#` comments. Variables already set in the environment win.

use std::collections::HashMap;
use std::path::Path;

/// The variables of `dir/.env`, or none if there is no such file.
pub fn read(dir: &Path) -> Result<HashMap<String, String>, String> {
    let path = dir.join(".env");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(HashMap::new()),
        Err(e) => return Err(format!("{}: cannot read: {e}", path.display())),
    };
    Ok(parse(&text))
}

pub fn parse(text: &str) -> HashMap<String, String> {
    let mut variables = HashMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim();
        let value = match value.chars().next() {
            Some(quote @ ('"' | '\'')) if value.len() >= 2 && value.ends_with(quote) => {
                value[1..value.len() - 1].to_owned()
            }
            _ => value.split(" #").next().unwrap_or("").trim().to_owned(),
        };
        variables.insert(key.trim().to_owned(), value);
    }
    variables
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn laravel_style_env_files_are_read() {
        let variables = parse(
            "# comment\nAPP_NAME=\"My App\"\nexport LARAVEL_ECHO_SERVER_PORT=7001\nREDIS_PASSWORD='p#ss'\nEMPTY=\nNOTE=value # trailing\nbroken line\n",
        );
        assert_eq!(variables["APP_NAME"], "My App");
        assert_eq!(variables["LARAVEL_ECHO_SERVER_PORT"], "7001");
        assert_eq!(variables["REDIS_PASSWORD"], "p#ss");
        assert_eq!(variables["EMPTY"], "");
        assert_eq!(variables["NOTE"], "value");
        assert_eq!(variables.len(), 5);
    }
}
