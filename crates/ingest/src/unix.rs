//! The Unix socket PHP writes frames to.
//!
//! Binding is careful about the file: a socket file left behind by a dead sidecar is replaced,
//! but one a live sidecar still answers on is never taken over, and a path that is not a socket
//! at all is never deleted. The file gets mode 0660 unless told otherwise ([`SocketAccess`]), so
//! PHP must run as its user or in its group, and it is removed on shutdown only if it is still
//! the one this process created.

mod socket_file;

use std::future::Future;
use std::io::{self, ErrorKind};
use std::os::unix::fs::MetadataExt;
use std::os::unix::net::UnixListener as StdUnixListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use sidecast_core::{Core, LogLimit};
use thiserror::Error;
use tokio::net::UnixListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::metrics::METRICS;
use crate::{IngestLimits, Listeners, Report, publisher};
pub use socket_file::{MAX_PATH_BYTES, SocketAccess};

/// Why the socket could not be bound. Each message names the path and what to do.
#[derive(Debug, Error)]
pub enum BindError {
    #[error(
        "another sidecast is already listening at {0}; stop it first, or give this one another path with --socket or SIDECAST_SOCKET"
    )]
    InUse(PathBuf),
    #[error(
        "{0} exists and is not a socket; refusing to replace it (choose another path with --socket or SIDECAST_SOCKET)"
    )]
    NotASocket(PathBuf),
    #[error(
        "{path} belongs to another user (uid {owner}), who may be posing as the sidecar: PHP would send it your events, private ones included. Remove it, and give the socket a directory only the sidecar's and PHP's users can write to (--socket /run/sidecast/sidecast.sock)"
    )]
    Foreign { path: PathBuf, owner: u32 },
    #[error(
        "the socket's directory {dir} {why}: another user could replace the socket and receive PHP's events, private ones included. Give it a directory of the sidecar's user that others cannot write to (--socket /run/sidecast/sidecast.sock)"
    )]
    UnsafeDirectory { dir: PathBuf, why: String },
    #[error(
        "cannot create the socket's directory {dir}: {source}. Create it once for the sidecar's user (sudo install -d -o USER -g GROUP -m 0755 {dir}; under systemd, RuntimeDirectory=sidecast does it), or give the socket another path with --socket or SIDECAST_SOCKET"
    )]
    NoDirectory { dir: PathBuf, source: io::Error },
    #[error(
        "the socket path {path} is {bytes} bytes long; the system takes at most {MAX_PATH_BYTES}. Choose a shorter one with --socket or SIDECAST_SOCKET"
    )]
    TooLong { path: PathBuf, bytes: usize },
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
}

/// A bound ingest socket, ready to [`serve`](UnixIngest::serve).
pub struct UnixIngest {
    listener: StdUnixListener,
    path: PathBuf,
    /// Device and inode of the file this process created, to recognise it at shutdown.
    identity: (u64, u64),
    open: OpenPublishers,
    report: Option<Report>,
    listeners: Option<Listeners>,
}

impl std::fmt::Debug for UnixIngest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnixIngest")
            .field("path", &self.path)
            .field("open", &self.open.get())
            .finish_non_exhaustive()
    }
}

/// The socket file this sidecar created, to tell whether it is still in place: PHP finds a
/// sidecar by its path, so a deleted or replaced file means no PHP reaches it any more.
#[derive(Debug, Clone)]
pub struct SocketFile {
    path: PathBuf,
    identity: (u64, u64),
}

impl SocketFile {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the file at the path is still the one this sidecar bound.
    pub fn in_place(&self) -> bool {
        std::fs::symlink_metadata(&self.path).is_ok_and(|m| (m.dev(), m.ino()) == self.identity)
    }
}

/// How many publishers are connected to one ingest socket right now, readable while it serves.
#[derive(Debug, Clone, Default)]
pub struct OpenPublishers(Arc<AtomicUsize>);

impl OpenPublishers {
    pub fn get(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }

    fn set(&self, open: usize) {
        self.0.store(open, Ordering::Relaxed);
    }
}

impl UnixIngest {
    /// Binds the socket file at `path` with the default access (mode 0660, the sidecar's user
    /// and group), creating its directory if needed.
    pub fn bind(path: impl Into<PathBuf>) -> Result<Self, BindError> {
        Self::bind_with(path, &SocketAccess::default())
    }

    /// Binds the socket file at `path`, creating its directory if needed, and gives it
    /// `access`.
    pub fn bind_with(path: impl Into<PathBuf>, access: &SocketAccess) -> Result<Self, BindError> {
        let path = path.into();
        let io_error = |action, source| BindError::Io {
            action,
            path: path.clone(),
            source,
        };
        let bytes = path.as_os_str().len();
        if bytes > MAX_PATH_BYTES {
            return Err(BindError::TooLong { path, bytes });
        }
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            socket_file::prepare_directory(dir, access)?;
        }
        socket_file::remove_stale_socket(&path, access)?;
        let listener = socket_file::bind_private(&path).map_err(|e| match e.kind() {
            ErrorKind::AddrInUse => BindError::InUse(path.clone()),
            _ => io_error("bind", e),
        })?;
        if let Err(error) = socket_file::apply_access(&path, access) {
            let _ = std::fs::remove_file(&path);
            return Err(error);
        }
        listener
            .set_nonblocking(true)
            .map_err(|e| io_error("configure", e))?;
        let metadata = std::fs::metadata(&path).map_err(|e| io_error("inspect", e))?;
        Ok(UnixIngest {
            listener,
            path,
            identity: (metadata.dev(), metadata.ino()),
            open: OpenPublishers::default(),
            report: None,
            listeners: None,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The count of connected publishers, kept up to date by [`serve`](Self::serve).
    pub fn open_publishers(&self) -> OpenPublishers {
        self.open.clone()
    }

    /// Gives the `stats` question the whole sidecar's figures, beside the app's counts.
    pub fn with_report(mut self, report: Report) -> Self {
        self.report = Some(report);
        self
    }

    /// Hands the connections that ask to `LISTEN` for lifecycle events to `listeners`; without
    /// it they are refused.
    pub fn with_listeners(mut self, listeners: Listeners) -> Self {
        self.listeners = Some(listeners);
        self
    }

    /// The socket file, to check it is still in place while this serves.
    pub fn file(&self) -> SocketFile {
        SocketFile {
            path: self.path.clone(),
            identity: self.identity,
        }
    }

    /// Accepts publishers until `shutdown` completes, then stops accepting, ends every
    /// connection and removes the socket file.
    pub async fn serve(
        self,
        core: Core,
        limits: IngestLimits,
        shutdown: impl Future<Output = ()>,
    ) -> io::Result<()> {
        let listener = UnixListener::from_std(self.listener.try_clone()?)?;
        let answering = publisher::Answering {
            core,
            report: self.report.clone(),
            listeners: self.listeners.clone(),
        };
        let mut connections = JoinSet::new();
        let (stop, stopped) = watch::channel(false);
        let mut next_id: u64 = 0;
        let accept_errors = LogLimit::default();
        let over_cap = LogLimit::default();
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                Some(_) = connections.join_next(), if !connections.is_empty() => self.open.set(connections.len()),
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) if connections.len() >= limits.max_publishers => {
                        METRICS.publishers_refused.inc();
                        if let Some(held_back) = over_cap.check() {
                            let peer_pid = stream.peer_cred().ok().and_then(|cred| cred.pid());
                            tracing::warn!(?peer_pid, limit = limits.max_publishers, like_this_since_last_line = held_back, "publisher connection refused: as many are open as may be (--max-publishers)");
                        }
                    }
                    Ok((stream, _)) => {
                        METRICS.publishers_accepted.inc();
                        next_id += 1;
                        connections.spawn(publisher::serve(stream, next_id, answering.clone(), limits, stopped.clone()));
                        self.open.set(connections.len());
                    }
                    Err(error) => {
                        // Out of file descriptors or similar: wait instead of spinning, and
                        // say so once in a while rather than ten times a second.
                        if let Some(held_back) = accept_errors.check() {
                            tracing::error!(%error, path = %self.path.display(), like_this_since_last_line = held_back, "cannot accept a publisher connection");
                        }
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                },
            }
        }
        // Stop accepting, then let every publisher's already-sent frames be handled and
        // acknowledged (the caller bounds how long this may take).
        drop(listener);
        tracing::debug!(path = %self.path.display(), open = connections.len(), "ingest socket closing");
        let _ = stop.send(true);
        while connections.join_next().await.is_some() {}
        self.open.set(0);
        Ok(())
    }
}

impl Drop for UnixIngest {
    fn drop(&mut self) {
        if self.file().in_place()
            && let Err(error) = std::fs::remove_file(&self.path)
        {
            tracing::warn!(%error, path = %self.path.display(), "cannot remove the socket file");
        }
    }
}
