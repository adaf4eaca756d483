//! Where PHP reaches the sidecar, and who may: the socket's path and its owner, group and mode.
//!
//! The default path is one PHP finds without being told. Started in a Laravel app's directory
//! (one with an `artisan` file), the sidecar listens in the app's `storage/sidecast/`, which is
//! where the Laravel package looks by default: the directory PHP and the sidecar both already
//! reach, and unlike `/tmp` not hidden by php-fpm's `PrivateTmp`. Anywhere else it listens in
//! the runtime directory `/run/sidecast/`, where the extension looks by default.

use std::path::{Path, PathBuf};

use sidecast_ingest::SocketAccess;

use super::ConfigError;
use super::sidecast_section::SidecastSection;
use crate::cli::StartArgs;

/// The socket of a sidecar started in a Laravel app, relative to the app's directory.
pub const LARAVEL_APP_SOCKET: &str = "storage/sidecast/sidecast.sock";

/// The socket path: the one `given` (option, environment or `.env`), else the config file's,
/// else the default for `dir`.
pub fn path(given: Option<PathBuf>, from_file: Option<&str>, dir: &Path) -> PathBuf {
    given
        .or_else(|| from_file.map(PathBuf::from))
        .unwrap_or_else(|| default_path(dir))
}

/// The socket path when none is given: in the app's storage when `dir` holds a Laravel app,
/// the runtime directory otherwise.
pub fn default_path(dir: &Path) -> PathBuf {
    if dir.join("artisan").is_file() {
        let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_owned());
        dir.join(LARAVEL_APP_SOCKET)
    } else {
        PathBuf::from(sidecast_wire::DEFAULT_SOCKET_PATH)
    }
}

/// The socket's owner, group and mode, from the options (or their variables) first, then the
/// file's `sidecast.socketOwner`, `socketGroup` and `socketMode`.
pub fn access(args: &StartArgs, own: &SidecastSection) -> Result<SocketAccess, ConfigError> {
    let owner = args.socket_owner.as_ref().or(own.socket_owner.as_ref());
    let group = args.socket_group.as_ref().or(own.socket_group.as_ref());
    let mode = args.socket_mode.as_ref().or(own.socket_mode.as_ref());
    Ok(SocketAccess {
        owner: owner.map(|name| user_id(name)).transpose()?,
        group: group.map(|name| group_id(name)).transpose()?,
        mode: match mode {
            Some(mode) => parse_mode(mode).map_err(ConfigError::Setting)?,
            None => SocketAccess::DEFAULT_MODE,
        },
    })
}

/// An octal mode as chmod takes it (`660`, `0660`, `0o660`). Letting others connect is
/// refused: any local user could then publish to every channel, private ones included.
pub fn parse_mode(text: &str) -> Result<u32, String> {
    let digits = text.trim_start_matches("0o");
    let mode = u32::from_str_radix(digits, 8)
        .ok()
        .filter(|mode| *mode <= 0o777 && !digits.is_empty())
        .ok_or_else(|| {
            format!("socket mode: expected octal permission bits such as 0660, found \"{text}\"")
        })?;
    if mode & 0o002 != 0 {
        return Err(format!(
            "socket mode {mode:04o} lets every local user connect, and so publish to every channel, private ones included; put PHP's user in the socket's group instead (--socket-group)"
        ));
    }
    if mode & 0o020 == 0 && mode & 0o200 == 0 {
        return Err(format!(
            "socket mode {mode:04o} lets nobody but root connect; 0660 lets the owner and the group"
        ));
    }
    Ok(mode)
}

fn user_id(name: &str) -> Result<u32, ConfigError> {
    if let Ok(uid) = name.parse() {
        return Ok(uid);
    }
    match nix::unistd::User::from_name(name) {
        Ok(Some(user)) => Ok(user.uid.as_raw()),
        Ok(None) => Err(ConfigError::Setting(format!(
            "socket owner: there is no user \"{name}\" on this machine"
        ))),
        Err(error) => Err(ConfigError::Setting(format!(
            "socket owner: cannot look up the user \"{name}\": {error}"
        ))),
    }
}

fn group_id(name: &str) -> Result<u32, ConfigError> {
    if let Ok(gid) = name.parse() {
        return Ok(gid);
    }
    match nix::unistd::Group::from_name(name) {
        Ok(Some(group)) => Ok(group.gid.as_raw()),
        Ok(None) => Err(ConfigError::Setting(format!(
            "socket group: there is no group \"{name}\" on this machine"
        ))),
        Err(error) => Err(ConfigError::Setting(format!(
            "socket group: cannot look up the group \"{name}\": {error}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_are_read_as_chmod_reads_them() {
        assert_eq!(parse_mode("660"), Ok(0o660));
        assert_eq!(parse_mode("0660"), Ok(0o660));
        assert_eq!(parse_mode("0o600"), Ok(0o600));
        assert_eq!(parse_mode("0060"), Ok(0o060));
        for bad in ["", "0o", "rw-rw----", "1660", "0888", "-660", "99999999999"] {
            assert!(
                parse_mode(bad).unwrap_err().contains("expected octal"),
                "{bad}"
            );
        }
        assert!(parse_mode("0666").unwrap_err().contains("every local user"));
        assert!(parse_mode("0444").unwrap_err().contains("nobody but root"));
    }

    #[test]
    fn owners_and_groups_are_names_or_numbers() {
        assert_eq!(user_id("root").unwrap(), 0);
        assert_eq!(user_id("65534").unwrap(), 65534);
        assert_eq!(group_id("root").unwrap(), 0);
        let error = user_id("no-such-user-here").unwrap_err().to_string();
        assert!(error.contains("no user \"no-such-user-here\""), "{error}");
        let error = group_id("no-such-group-here").unwrap_err().to_string();
        assert!(error.contains("no group \"no-such-group-here\""), "{error}");
    }

    #[test]
    fn a_laravel_app_keeps_its_socket_in_storage() {
        let app = tempfile::tempdir().unwrap();
        assert_eq!(
            default_path(app.path()),
            Path::new("/run/sidecast/sidecast.sock")
        );
        std::fs::write(app.path().join("artisan"), "<?php").unwrap();
        assert_eq!(
            default_path(app.path()),
            app.path().join("storage/sidecast/sidecast.sock")
        );
    }
}
