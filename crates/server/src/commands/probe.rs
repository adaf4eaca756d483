//! Finding a running sidecar by its Unix socket, for `status` and `stop` when no lock file
//! names it (a sidecar started from options, as under Supervisor or systemd).
//!
//! The kernel says who listens: on a connected Unix socket, `SO_PEERCRED` gives the pid of the
//! process that called `listen`. That process is taken for a sidecar only if it answers the
//! question PHP asks for figures, so `stop` never signals a stranger that happens to listen
//! there.

use std::io::{ErrorKind, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};
use sidecast_wire::frame::{self, Frame, Limits};
use sidecast_wire::{Query, Question};

use crate::cli::TargetArgs;

/// How long the sidecar has to answer.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(3);

/// A sidecar listening at the socket: its pid and its figures (JSON).
#[derive(Debug)]
pub struct Found {
    pub pid: i32,
    pub figures: String,
}

/// Why no sidecar was found there.
#[derive(Debug)]
pub enum NotFound {
    /// No file, or nobody listening: no sidecar runs there.
    NotListening(String),
    /// Something listens but is not a sidecar that answers, or cannot be reached.
    Unknown(String),
}

/// The socket of the sidecar `target` means: `--socket` (or SIDECAST_SOCKET); else the one a
/// sidecar running from the config file wrote into its lock; else where `start` would bind it.
pub fn socket_for(target: &TargetArgs) -> Result<PathBuf, String> {
    if target.socket.is_none()
        && let Some(socket) =
            super::lock::running_socket(&super::lock::path_for(&target.file.path()))
    {
        return Ok(socket);
    }
    crate::config::socket_of(target).map_err(|error| error.to_string())
}

/// Connects to `socket`, asks for the figures, and names the listening process.
pub fn find(socket: &Path) -> Result<Found, NotFound> {
    let mut stream = UnixStream::connect(socket).map_err(|error| match error.kind() {
        ErrorKind::NotFound | ErrorKind::ConnectionRefused => {
            NotFound::NotListening(format!("nothing listens at {} ({error})", socket.display()))
        }
        _ => NotFound::Unknown(format!("cannot connect to {}: {error}", socket.display())),
    })?;
    let unknown = |why: String| NotFound::Unknown(format!("{}: {why}", socket.display()));
    let pid = getsockopt(&stream, PeerCredentials)
        .map_err(|error| unknown(format!("cannot tell who listens there: {error}")))?
        .pid();
    // A listener in another pid namespace (a container) shows as pid 0, which kill() would
    // take for this process's own group.
    if pid <= 0 {
        return Err(unknown(
            "the process listening there is in another pid namespace (a container?); stop it there"
                .to_owned(),
        ));
    }
    let figures = ask_figures(&mut stream).map_err(|why| {
        unknown(format!(
            "process {pid} listens there but does not answer as sidecast does ({why})"
        ))
    })?;
    Ok(Found { pid, figures })
}

fn ask_figures(stream: &mut UnixStream) -> Result<String, String> {
    const REQUEST_ID: u32 = 1;
    let mut question = Vec::new();
    Query {
        request_id: REQUEST_ID,
        question: Question::Stats,
    }
    .encode(&mut question)
    .map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(ANSWER_TIMEOUT))
        .and_then(|()| stream.set_write_timeout(Some(ANSWER_TIMEOUT)))
        .and_then(|()| stream.write_all(&question))
        .map_err(|e| e.to_string())?;
    let limits = Limits::default();
    let mut received = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        match frame::decode(&received, &limits).map_err(|e| e.to_string())? {
            Some((Frame::Result(result), _)) if result.request_id == REQUEST_ID => {
                return match result.outcome {
                    Ok(json) => Ok(String::from_utf8_lossy(json).into_owned()),
                    Err(json) => Err(format!("it refused: {}", String::from_utf8_lossy(json))),
                };
            }
            Some((other, _)) => return Err(format!("unexpected answer {other:?}")),
            None => {}
        }
        let read = stream.read(&mut chunk).map_err(|e| match e.kind() {
            ErrorKind::WouldBlock | ErrorKind::TimedOut => {
                format!("no answer within {} s", ANSWER_TIMEOUT.as_secs())
            }
            _ => e.to_string(),
        })?;
        if read == 0 {
            return Err("it closed the connection".to_owned());
        }
        received.extend_from_slice(&chunk[..read]);
    }
}
