//! The socket file itself: its directory (created when missing, refused when another user could
//! replace the socket in it), a stale file left by a dead sidecar, and who may connect.

use std::io::ErrorKind;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::Path;

use super::BindError;

/// Longest socket path the kernel takes: `sun_path` holds 108 bytes with the final NUL.
pub const MAX_PATH_BYTES: usize = 107;

/// Who may connect to the socket file: its owner, group and mode. PHP connects when it runs as
/// the owner, or in the group with the mode's group bits set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SocketAccess {
    /// The file's owner; `None` keeps the sidecar's user. Changing it takes root.
    pub owner: Option<u32>,
    /// The file's group, and that of a directory the sidecar creates for it; `None` keeps the
    /// sidecar's group. The sidecar's user must belong to it, or be root.
    pub group: Option<u32>,
    /// Permission bits of the file: connecting takes write permission.
    pub mode: u32,
}

impl SocketAccess {
    /// Owner and group may connect, others may not.
    pub const DEFAULT_MODE: u32 = 0o660;
}

impl Default for SocketAccess {
    fn default() -> Self {
        SocketAccess {
            owner: None,
            group: None,
            mode: Self::DEFAULT_MODE,
        }
    }
}

/// Creates the socket's directory when it is missing (giving it the socket's group, so PHP can
/// reach the socket inside), then checks it.
pub fn prepare_directory(dir: &Path, access: &SocketAccess) -> Result<(), BindError> {
    if !dir.exists() {
        std::fs::create_dir_all(dir).map_err(|source| BindError::NoDirectory {
            dir: dir.to_owned(),
            source,
        })?;
        if access.group.is_some() {
            std::os::unix::fs::chown(dir, None, access.group).map_err(|source| BindError::Io {
                action: "give the socket's group to the directory",
                path: dir.to_owned(),
                source,
            })?;
        }
    }
    check_directory(dir)
}

/// Binds the socket file readable and writable by its owner only, whatever the process's
/// umask, so that nobody else can connect before `apply_access` gives it its mode. (The umask
/// is process-wide; this runs at start-up, before anything else creates files.)
pub fn bind_private(path: &Path) -> std::io::Result<std::os::unix::net::UnixListener> {
    use nix::sys::stat::{Mode, umask};
    let previous = umask(Mode::from_bits_truncate(0o177));
    let bound = std::os::unix::net::UnixListener::bind(path);
    umask(previous);
    bound
}

/// Gives the bound socket file its owner, group and mode.
pub fn apply_access(path: &Path, access: &SocketAccess) -> Result<(), BindError> {
    let io_error = |action, source| BindError::Io {
        action,
        path: path.to_owned(),
        source,
    };
    if access.owner.is_some() || access.group.is_some() {
        std::os::unix::fs::chown(path, access.owner, access.group)
            .map_err(|e| io_error("give the owner and group to", e))?;
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(access.mode))
        .map_err(|e| io_error("set the mode of", e))
}

/// Refuses a directory another user owns (root aside), or one everybody may write to without
/// the sticky bit (which `/tmp` has: there only a file's owner may remove or rename it).
fn check_directory(dir: &Path) -> Result<(), BindError> {
    let metadata = std::fs::metadata(dir).map_err(|source| BindError::Io {
        action: "inspect",
        path: dir.to_owned(),
        source,
    })?;
    let unsafe_because = |why: String| BindError::UnsafeDirectory {
        dir: dir.to_owned(),
        why,
    };
    let me = std::fs::metadata("/proc/self").map(|proc| proc.uid()).ok();
    if metadata.uid() != 0 && Some(metadata.uid()) != me {
        return Err(unsafe_because(format!(
            "belongs to another user (uid {})",
            metadata.uid()
        )));
    }
    const OTHERS_WRITE: u32 = 0o002;
    const STICKY: u32 = 0o1000;
    if metadata.mode() & OTHERS_WRITE != 0 && metadata.mode() & STICKY == 0 {
        return Err(unsafe_because(format!(
            "may be written by everybody (mode {:o}) and is not sticky",
            metadata.mode() & 0o7777
        )));
    }
    Ok(())
}

/// Removes a socket file nobody answers on; refuses a live socket or a non-socket.
pub fn remove_stale_socket(path: &Path, access: &SocketAccess) -> Result<(), BindError> {
    let metadata = match std::fs::symlink_metadata(path) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(BindError::Io {
                action: "inspect",
                path: path.to_owned(),
                source,
            });
        }
    };
    if !metadata.file_type().is_socket() {
        return Err(BindError::NotASocket(path.to_owned()));
    }
    // `/proc/self` belongs to the process's effective user. A sidecar given an owner for its
    // socket (--socket-owner) left its last one to that owner.
    if let Ok(me) = std::fs::metadata("/proc/self").map(|proc| proc.uid())
        && metadata.uid() != me
        && Some(metadata.uid()) != access.owner
    {
        return Err(BindError::Foreign {
            path: path.to_owned(),
            owner: metadata.uid(),
        });
    }
    match std::os::unix::net::UnixStream::connect(path) {
        Ok(_) => Err(BindError::InUse(path.to_owned())),
        Err(e) if e.kind() == ErrorKind::ConnectionRefused => {
            tracing::info!(path = %path.display(), "replacing a stale socket file left by a stopped sidecar");
            std::fs::remove_file(path).map_err(|source| BindError::Io {
                action: "remove the stale socket",
                path: path.to_owned(),
                source,
            })
        }
        Err(source) => Err(BindError::Io {
            action: "check whether a sidecar is listening at",
            path: path.to_owned(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use nix::sys::stat::{Mode, umask};

    #[test]
    fn the_socket_is_born_private_even_under_an_open_umask() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sock");
        let previous = umask(Mode::empty());
        let bound = super::bind_private(&path);
        let after = umask(previous);
        let _listener = bound.unwrap();
        assert_eq!(after, Mode::empty(), "the caller's umask is back");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(
            mode, 0o600,
            "nobody else may connect before the mode is set"
        );
    }
}
