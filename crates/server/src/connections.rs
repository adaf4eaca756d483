//! Bounds on what clients may hold of the HTTP listener: connections that never finish their
//! first request are closed after a timeout, the number of open connections is capped in
//! total and, optionally, per client address, and what the cap leaves of the process's
//! open-files limit stays free for PHP's publishers, Redis and the app's authorization
//! requests. WebSocket connections count until they close; their own pings time them out.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum_server::accept::Accept;
use sidecast_core::LogLimit;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// File descriptors kept out of the HTTP cap: the Unix socket's publishers, Redis, the cluster,
/// authorization requests to the app, the process's own files.
pub const RESERVED_FILES: u64 = 256;

/// The HTTP listener's bounds, as configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// How long a new connection has to send its first request's headers, and any request
    /// its headers.
    pub header_timeout: Duration,
    /// Connections open at once; `None`: the open-files limit less [`RESERVED_FILES`].
    pub max_connections: Option<usize>,
    /// Connections open at once from one client address; `None`: no cap of its own.
    pub max_per_address: Option<usize>,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            header_timeout: Duration::from_secs(10),
            max_connections: None,
            max_per_address: None,
        }
    }
}

/// Raises the open-files soft limit to the hard limit, as far as allowed, and returns it: a
/// process manager's default soft limit (1,024 under systemd) would otherwise bound the
/// sidecar to about a thousand clients. Says what it did, and warns when even the hard limit
/// leaves room for few clients.
pub fn raise_open_files_limit() -> u64 {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    const FEW: u64 = 4096;
    let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) else {
        return 1024;
    };
    let limit = if soft < hard && setrlimit(Resource::RLIMIT_NOFILE, hard, hard).is_ok() {
        tracing::info!(from = soft, to = hard, "raised the open-files limit");
        hard
    } else {
        soft
    };
    if limit < FEW {
        tracing::warn!(
            limit,
            "the open-files limit leaves room for few clients; raise its hard limit (LimitNOFILE= under systemd, minfds= under Supervisor, ulimit -Hn in a shell)"
        );
    }
    limit
}

/// An acceptor that admits a connection only within the caps; the connection holds its place
/// until it closes.
#[derive(Clone)]
pub struct Capped<A> {
    inner: A,
    counts: Arc<Counts>,
}

/// The error a refused connection ends with, so that the accept-error log can leave it to
/// the cap's own (rate-limited) log line.
#[derive(Debug, thiserror::Error)]
#[error("the connection was refused: {0}")]
pub struct OverCap(&'static str);

struct Counts {
    max: usize,
    per_address: Option<usize>,
    open: Mutex<Open>,
    log: LogLimit,
}

#[derive(Default)]
struct Open {
    total: usize,
    by_address: HashMap<IpAddr, usize>,
}

impl<A> Capped<A> {
    pub fn new(inner: A, max: usize, per_address: Option<usize>) -> Self {
        Capped {
            inner,
            counts: Arc::new(Counts {
                max,
                per_address,
                open: Mutex::default(),
                log: LogLimit::default(),
            }),
        }
    }
}

impl Counts {
    fn open(&self) -> std::sync::MutexGuard<'_, Open> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A place for a connection from `address`, or why there is none.
    fn admit(self: &Arc<Self>, address: Option<IpAddr>) -> Result<Place, OverCap> {
        let mut open = self.open();
        if open.total >= self.max {
            return Err(OverCap("the server has as many connections as it may"));
        }
        if let (Some(address), Some(max)) = (address, self.per_address) {
            let count = open.by_address.entry(address).or_default();
            if *count >= max {
                return Err(OverCap("its address has as many connections as it may"));
            }
            *count += 1;
        }
        open.total += 1;
        Ok(Place {
            counts: self.clone(),
            address: address.filter(|_| self.per_address.is_some()),
        })
    }
}

/// A connection's place within the caps, given back when it is dropped.
struct Place {
    counts: Arc<Counts>,
    address: Option<IpAddr>,
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut open = self.counts.open();
        open.total -= 1;
        if let Some(address) = self.address
            && let Some(count) = open.by_address.get_mut(&address)
        {
            *count -= 1;
            if *count == 0 {
                open.by_address.remove(&address);
            }
        }
    }
}

type Accepting<T> = Pin<Box<dyn Future<Output = io::Result<T>> + Send>>;

impl<A, S> Accept<TcpStream, S> for Capped<A>
where
    A: Accept<TcpStream, S>,
    A::Future: Send + 'static,
    A::Stream: Send + 'static,
    A::Service: Send + 'static,
{
    type Stream = Held<A::Stream>;
    type Service = A::Service;
    type Future = Accepting<(Self::Stream, Self::Service)>;

    fn accept(&self, stream: TcpStream, service: S) -> Self::Future {
        let address = stream.peer_addr().ok().map(|peer| peer.ip());
        let place = match self.counts.admit(address) {
            Ok(place) => place,
            Err(refused) => {
                if let Some(held_back) = self.counts.log.check() {
                    tracing::warn!(?address, reason = %refused.0, like_this_since_last_line = held_back, "HTTP connection refused");
                }
                return Box::pin(std::future::ready(Err(io::Error::other(refused))));
            }
        };
        let accepting = self.inner.accept(stream, service);
        Box::pin(async move {
            let (stream, service) = accepting.await?;
            Ok((
                Held {
                    stream,
                    _place: place,
                },
                service,
            ))
        })
    }
}

/// An admitted connection's stream, holding its place.
pub struct Held<S> {
    stream: S,
    _place: Place,
}

impl<S: AsyncRead + Unpin> AsyncRead for Held<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Held<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// Logs a failed accept, at most once in a while: out of file descriptors, a connection reset
/// during its TLS handshake. Refusals by the cap have their own line.
pub fn accept_error_logger() -> impl Fn(Option<&std::net::SocketAddr>, &io::Error) + Send + Sync {
    let log = LogLimit::default();
    move |address, error| {
        let over_cap = error.get_ref().is_some_and(|inner| inner.is::<OverCap>());
        if !over_cap && let Some(held_back) = log.check() {
            tracing::warn!(?address, %error, like_this_since_last_line = held_back, "cannot accept an HTTP connection");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(max: usize, per_address: Option<usize>) -> Arc<Counts> {
        Capped::new((), max, per_address).counts
    }

    #[test]
    fn places_are_capped_in_total_and_per_address_and_given_back() {
        let one: IpAddr = "127.0.0.1".parse().unwrap();
        let two: IpAddr = "127.0.0.2".parse().unwrap();
        let counts = counts(3, Some(2));
        let first = counts.admit(Some(one)).unwrap();
        let _second = counts.admit(Some(one)).unwrap();
        assert!(counts.admit(Some(one)).is_err(), "a third from one address");
        let third = counts.admit(Some(two)).unwrap();
        assert!(counts.admit(Some(two)).is_err(), "a fourth in all");
        drop(first);
        drop(third);
        assert!(counts.admit(Some(one)).is_ok());
        assert_eq!(
            counts.open().by_address.get(&two),
            None,
            "forgotten at zero"
        );
    }

    #[test]
    fn without_a_per_address_cap_only_the_total_counts() {
        let one: IpAddr = "127.0.0.1".parse().unwrap();
        let counts = counts(2, None);
        let _places = [
            counts.admit(Some(one)).unwrap(),
            counts.admit(Some(one)).unwrap(),
        ];
        assert!(counts.admit(Some(one)).is_err());
        assert!(counts.open().by_address.is_empty());
    }
}
