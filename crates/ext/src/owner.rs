//! Whose socket PHP is about to send events to. Another local user who creates the socket
//! file before the sidecar does (in `/tmp`, say) would receive every event, private ones
//! included; so before each connection the socket's owner must be one PHP can trust:
//!
//! - root, or the user PHP runs as;
//! - or the owner of the directory holding the socket, when neither that directory nor its
//!   parent can be written by other users — so nobody else could have made either
//!   (`/run/sidecast/`, a directory of the app).
//!
//! The plain-PHP transport applies the same rule (`php/src/Transports/SocketOwner.php`).

use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// Writable by users other than the owner and the group.
const OTHERS_WRITE: u32 = 0o002;

/// `Err` with what is wrong and what to do, when the socket at `path` belongs to a user PHP
/// cannot trust. A socket that is not there is left to the connection to report.
pub fn check(path: &Path) -> Result<(), String> {
    let Ok(socket) = path.canonicalize() else {
        return Ok(());
    };
    let Ok(owner) = socket.metadata().map(|metadata| metadata.uid()) else {
        return Ok(());
    };
    // `/proc/self` belongs to the process's effective user.
    let me = std::fs::metadata("/proc/self").map(|proc| proc.uid()).ok();
    if owner == 0 || Some(owner) == me || owned_by_a_private_directory(&socket, owner) {
        return Ok(());
    }
    Err(format!(
        "the socket at {} belongs to user {owner}, and its directory could have been made by anyone: another user may be posing as the sidecar, so nothing was sent. Give the socket a directory of the sidecar's user that others cannot write to (sidecast start --socket /run/sidecast/sidecast.sock, and the same path in sidecast.socket or SIDECAST_SOCKET), or run the sidecar as root or as PHP's user",
        path.display()
    ))
}

/// The socket's directory belongs to `owner`, and neither it nor its parent is writable by
/// other users.
fn owned_by_a_private_directory(socket: &Path, owner: u32) -> bool {
    let Some(dir) = socket.parent() else {
        return false;
    };
    let private = |path: &Path| {
        path.metadata()
            .is_ok_and(|metadata| metadata.mode() & OTHERS_WRITE == 0)
    };
    dir.metadata().is_ok_and(|metadata| metadata.uid() == owner)
        && private(dir)
        && dir.parent().is_none_or(private)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::net::UnixListener;

    use super::*;

    #[test]
    fn a_socket_of_php_s_own_user_is_trusted_and_a_missing_one_left_to_connect() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sock");
        assert_eq!(check(&path), Ok(()));
        let _listener = UnixListener::bind(&path).unwrap();
        assert_eq!(check(&path), Ok(()));
    }

    #[test]
    fn a_private_directory_makes_its_owner_trusted_a_public_one_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let inner = dir.path().join("run");
        std::fs::create_dir(&inner).unwrap();
        let socket = inner.join("s.sock");
        let _listener = UnixListener::bind(&socket).unwrap();
        let me = std::fs::metadata("/proc/self").unwrap().uid();
        std::fs::set_permissions(dir.path(), PermissionsExt::from_mode(0o755)).unwrap();
        std::fs::set_permissions(&inner, PermissionsExt::from_mode(0o750)).unwrap();
        assert!(owned_by_a_private_directory(&socket, me));
        assert!(!owned_by_a_private_directory(&socket, me.wrapping_add(1)));
        // Anyone could have made the directory in a parent everybody may write to.
        std::fs::set_permissions(dir.path(), PermissionsExt::from_mode(0o1777)).unwrap();
        assert!(!owned_by_a_private_directory(&socket, me));
        std::fs::set_permissions(dir.path(), PermissionsExt::from_mode(0o755)).unwrap();
        std::fs::set_permissions(&inner, PermissionsExt::from_mode(0o777)).unwrap();
        assert!(!owned_by_a_private_directory(&socket, me));
    }
}
