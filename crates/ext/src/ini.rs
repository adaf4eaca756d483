//! The php.ini directives. Each is read when a `Sidecast\Broadcaster` is created (so
//! `ini_set()` before that counts) and checked then: a value that makes no sense is a
//! `\ValueError` naming the directive, not a silent default.

use std::ffi::{CStr, c_char, c_int};
use std::time::Duration;

use ext_php_rs::flags::IniEntryPermission;
use ext_php_rs::zend::{IniEntryDef, IniEntryDefs};

const SOCKET: &CStr = c"sidecast.socket";
const DEFAULT_SOCKET: &CStr = c"/run/sidecast/sidecast.sock";
const TIMEOUT: &CStr = c"sidecast.timeout";
const ACKNOWLEDGED: &CStr = c"sidecast.acknowledged";
const BUFFER_BYTES: &CStr = c"sidecast.buffer_bytes";
const BUFFER_FRAMES: &CStr = c"sidecast.buffer_frames";
const OVERFLOW: &CStr = c"sidecast.overflow";
const SHUTDOWN_TIMEOUT: &CStr = c"sidecast.shutdown_timeout";

// The C string above must say what the wire crate documents as the default.
const _: () = assert!(same_bytes(
    DEFAULT_SOCKET.to_bytes(),
    sidecast_wire::DEFAULT_SOCKET_PATH.as_bytes()
));

static ENTRIES: IniEntryDefs<8> = IniEntryDefs::new([
    IniEntryDef::new(SOCKET, DEFAULT_SOCKET, IniEntryPermission::All),
    IniEntryDef::new(TIMEOUT, c"1", IniEntryPermission::All),
    IniEntryDef::new(ACKNOWLEDGED, c"0", IniEntryPermission::All),
    IniEntryDef::new(BUFFER_BYTES, c"8M", IniEntryPermission::All),
    IniEntryDef::new(BUFFER_FRAMES, c"100000", IniEntryPermission::All),
    IniEntryDef::new(OVERFLOW, c"drop", IniEntryPermission::All),
    // Read at module shutdown, after a request's ini_set() values are gone: php.ini only.
    IniEntryDef::new(SHUTDOWN_TIMEOUT, c"1", IniEntryPermission::System),
    IniEntryDef::end(),
]);

unsafe extern "C" {
    // Zend/zend_ini.h. ext-php-rs offers only a getter that copies every directive.
    fn zend_ini_string_ex(
        name: *const c_char,
        name_length: usize,
        orig: c_int,
        exists: *mut bool,
    ) -> *mut c_char;
}

pub fn register(module_number: i32) {
    IniEntryDef::register(ENTRIES.as_slice(), module_number);
}

/// What the extension does when its buffer is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overflow {
    /// Drop the event, count it and raise a warning.
    Drop,
    /// Throw `Sidecast\BroadcastException`.
    Throw,
}

impl Overflow {
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "drop" => Some(Overflow::Drop),
            "throw" => Some(Overflow::Throw),
            _ => None,
        }
    }
}

/// Every directive, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct IniSettings {
    pub socket: String,
    pub timeout: Duration,
    pub acknowledged: bool,
    pub buffer_bytes: usize,
    pub buffer_frames: usize,
    pub overflow: Overflow,
    pub shutdown_timeout: Duration,
}

impl IniSettings {
    pub fn read() -> Result<Self, String> {
        Self::parse(|name| value(name).unwrap_or_default())
    }

    fn parse(get: impl Fn(&CStr) -> String) -> Result<Self, String> {
        let wrong = |name: &CStr, expected: &str, given: &str| {
            format!(
                "{} in php.ini must be {expected}, \"{given}\" given",
                name.to_string_lossy()
            )
        };
        let seconds = |name: &CStr| {
            let text = get(name);
            parse_seconds(&text).ok_or_else(|| {
                wrong(
                    name,
                    "a number of seconds greater than 0 and at most 3600",
                    &text,
                )
            })
        };
        let socket = get(SOCKET);
        if socket.is_empty() {
            return Err("sidecast.socket in php.ini must not be empty".to_owned());
        }
        let acknowledged = get(ACKNOWLEDGED);
        let buffer_bytes = get(BUFFER_BYTES);
        let buffer_frames = get(BUFFER_FRAMES);
        let overflow = get(OVERFLOW);
        Ok(IniSettings {
            socket,
            timeout: seconds(TIMEOUT)?,
            acknowledged: parse_bool(&acknowledged)
                .ok_or_else(|| wrong(ACKNOWLEDGED, "On or Off", &acknowledged))?,
            buffer_bytes: parse_size(&buffer_bytes)
                .filter(|bytes| (1024..=1 << 30).contains(bytes))
                .ok_or_else(|| {
                    wrong(
                        BUFFER_BYTES,
                        "a size from 1K to 1G, such as 8M",
                        &buffer_bytes,
                    )
                })?,
            buffer_frames: buffer_frames
                .trim()
                .parse()
                .ok()
                .filter(|frames| (1..=10_000_000).contains(frames))
                .ok_or_else(|| {
                    wrong(
                        BUFFER_FRAMES,
                        "a whole number from 1 to 10000000",
                        &buffer_frames,
                    )
                })?,
            overflow: Overflow::parse(overflow.trim())
                .ok_or_else(|| wrong(OVERFLOW, "\"drop\" or \"throw\"", &overflow))?,
            shutdown_timeout: seconds(SHUTDOWN_TIMEOUT)?,
        })
    }

    /// The directives and their values, for `phpinfo()`.
    pub fn raw() -> Vec<(String, String)> {
        [
            SOCKET,
            TIMEOUT,
            ACKNOWLEDGED,
            BUFFER_BYTES,
            BUFFER_FRAMES,
            OVERFLOW,
            SHUTDOWN_TIMEOUT,
        ]
        .iter()
        .map(|name| {
            (
                name.to_string_lossy().into_owned(),
                value(name).unwrap_or_default(),
            )
        })
        .collect()
    }
}

/// The current value of a directive (after `-d`, php.ini, `ini_set()`).
fn value(name: &CStr) -> Option<String> {
    let mut exists = false;
    // SAFETY: the name is a NUL-terminated literal and its length excludes the NUL; PHP returns
    // null or a NUL-terminated string it owns, which is copied before anything can change it.
    let value =
        unsafe { zend_ini_string_ex(name.as_ptr(), name.count_bytes(), 0, &raw mut exists) };
    if value.is_null() || !exists {
        return None;
    }
    // SAFETY: see above.
    Some(
        unsafe { CStr::from_ptr(value) }
            .to_string_lossy()
            .into_owned(),
    )
}

pub fn parse_seconds(text: &str) -> Option<Duration> {
    let seconds: f64 = text.trim().parse().ok()?;
    (seconds.is_finite() && seconds > 0.0 && seconds <= 3600.0)
        .then(|| Duration::from_secs_f64(seconds))
}

/// PHP's spellings of a boolean directive.
fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "" | "0" | "off" | "false" | "no" | "none" => Some(false),
        "1" | "on" | "true" | "yes" => Some(true),
        _ => None,
    }
}

/// A byte count with PHP's optional K, M or G suffix.
fn parse_size(text: &str) -> Option<usize> {
    let text = text.trim();
    let (digits, unit) = match text.char_indices().last()? {
        (at, 'k' | 'K') => (&text[..at], 1 << 10),
        (at, 'm' | 'M') => (&text[..at], 1 << 20),
        (at, 'g' | 'G') => (&text[..at], 1 << 30),
        _ => (text, 1),
    };
    digits.trim().parse::<usize>().ok()?.checked_mul(unit)
}

const fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(overrides: &[(&CStr, &str)]) -> Result<IniSettings, String> {
        IniSettings::parse(|name| {
            let default = ENTRIES.as_slice().iter().find(|entry| {
                // SAFETY: the table's names are the literals above.
                !entry.name.is_null() && unsafe { CStr::from_ptr(entry.name) } == name
            });
            overrides
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
                .or_else(|| {
                    default.map(|entry| {
                        unsafe { CStr::from_ptr(entry.value) }
                            .to_string_lossy()
                            .into_owned()
                    })
                })
                .unwrap_or_default()
        })
    }

    #[test]
    fn the_defaults_are_valid() {
        let defaults = settings(&[]).unwrap();
        assert_eq!(defaults.buffer_bytes, 8 << 20);
        assert_eq!(defaults.buffer_frames, 100_000);
        assert_eq!(defaults.overflow, Overflow::Drop);
        assert!(!defaults.acknowledged);
        assert_eq!(defaults.timeout, Duration::from_secs(1));
    }

    #[test]
    fn invalid_values_name_the_directive_and_what_it_takes() {
        for (name, value, message) in [
            (
                BUFFER_BYTES,
                "lots",
                r#"sidecast.buffer_bytes in php.ini must be a size from 1K to 1G, such as 8M, "lots" given"#,
            ),
            (
                BUFFER_BYTES,
                "2G",
                r#"sidecast.buffer_bytes in php.ini must be a size from 1K to 1G, such as 8M, "2G" given"#,
            ),
            (
                BUFFER_FRAMES,
                "0",
                r#"sidecast.buffer_frames in php.ini must be a whole number from 1 to 10000000, "0" given"#,
            ),
            (
                OVERFLOW,
                "ignore",
                r#"sidecast.overflow in php.ini must be "drop" or "throw", "ignore" given"#,
            ),
            (
                TIMEOUT,
                "-1",
                r#"sidecast.timeout in php.ini must be a number of seconds greater than 0 and at most 3600, "-1" given"#,
            ),
            (
                ACKNOWLEDGED,
                "maybe",
                r#"sidecast.acknowledged in php.ini must be On or Off, "maybe" given"#,
            ),
            (SOCKET, "", "sidecast.socket in php.ini must not be empty"),
        ] {
            assert_eq!(settings(&[(name, value)]).unwrap_err(), message);
        }
    }

    #[test]
    fn sizes_and_booleans_are_spelled_as_in_php() {
        assert_eq!(parse_size("512K"), Some(512 << 10));
        assert_eq!(parse_size(" 2m "), Some(2 << 20));
        assert_eq!(parse_size("4096"), Some(4096));
        assert_eq!(parse_size("K"), None);
        assert_eq!(parse_bool("On"), Some(true));
        assert_eq!(parse_bool(""), Some(false));
        assert_eq!(parse_seconds("0.25"), Some(Duration::from_millis(250)));
        assert_eq!(parse_seconds("inf"), None);
    }
}
