//! What went wrong, in words that say what to do about it.

use std::io::{self, ErrorKind};
use std::path::Path;

/// Why the sidecar at `path` could not be reached.
pub fn connect_failure(path: &Path, error: &io::Error) -> String {
    let path = path.display();
    match error.kind() {
        ErrorKind::NotFound => format!(
            "sidecast is not listening at {path} (no such socket file): start it with `sidecast start`, or point sidecast.socket (php.ini) or SIDECAST_SOCKET at the socket it listens on"
        ),
        ErrorKind::ConnectionRefused => format!(
            "sidecast is not listening at {path} (the socket file is left from a sidecar that stopped): start it with `sidecast start`"
        ),
        ErrorKind::PermissionDenied => format!(
            "no permission to connect to sidecast at {path}: the socket is mode 0660, so run PHP as the sidecar's user or in its group"
        ),
        _ => format!("cannot connect to sidecast at {path}: {error}"),
    }
}
