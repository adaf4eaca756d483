//! Channel authorization: who may join private and presence channels.
//!
//! Laravel decides, in its `routes/channels.php` callbacks. A front end that lets clients name
//! a private or presence channel asks an [`Authorizer`] before subscribing them, and hands the
//! hub the resulting [`Access`]. Two ways exist, by what the client brings
//! ([`Credentials`]): the server asks the app with the client's session (socket.io, as
//! laravel-echo-server did), or the client brings the app's signature, checked with the app's
//! secret (the Pusher protocol). Both are in the `sidecast-auth` crate; the core only fixes
//! what is asked and what comes back.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;

use thiserror::Error;

use crate::names::{ChannelName, SocketId};
use crate::presence::Member;

/// What a subscription is allowed, by the channel's kind and the app's answer.
#[derive(Debug, Clone)]
pub enum Access {
    /// A public channel: no one needs to be asked.
    Public,
    /// The app authorized a private channel.
    Private,
    /// The app authorized a private channel and named its user (the `sidecast` driver's answer
    /// to socket.io clients), whom the channel's client events are told with.
    PrivateAs(String),
    /// The app authorized a presence channel and described the user.
    Presence(Member),
}

/// What an authorizer is asked: the channel, the socket, and what the client sent to prove
/// who it is.
#[derive(Debug, Clone)]
pub struct AuthRequest {
    pub channel: ChannelName,
    pub socket_id: SocketId,
    pub credentials: Credentials,
}

/// What a client brings to prove it may join.
#[derive(Clone)]
pub enum Credentials {
    /// What the server forwards to the app, which decides (socket.io clients).
    Forwarded {
        /// Headers the client asked to have forwarded (Echo's `auth.headers`: a CSRF token, a
        /// bearer token).
        headers: Vec<(String, String)>,
        /// The `Cookie` header of the client's connection request, carrying its session.
        cookie: Option<String>,
        /// The `Referer` of the client's connection request, the page it was opened from.
        referer: Option<String>,
        /// The client's address, as the server saw the connection come in, for the
        /// authorizer to share its capacity fairly among clients.
        address: Option<IpAddr>,
    },
    /// The app's signature, which the client got from the app (Pusher clients).
    Signed {
        /// `<app key>:<hex HMAC-SHA256 of "<socket_id>:<channel>[:<channel_data>]">`.
        auth: String,
        /// For a presence channel, the member as the app described it, exactly the bytes it
        /// signed.
        channel_data: Option<String>,
    },
}

/// Credentials carry sessions and tokens: they never appear in logs, only their kind.
impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::Forwarded { headers, .. } => f
                .debug_struct("Forwarded")
                .field("headers", &headers.len())
                .finish_non_exhaustive(),
            Credentials::Signed { .. } => f.debug_struct("Signed").finish_non_exhaustive(),
        }
    }
}

/// Why a subscription was not authorized. [`AuthDenied::status`] is what Echo clients get in
/// `subscription_error`, as laravel-echo-server sent it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AuthDenied {
    /// The app answered with this HTTP status instead of 200.
    #[error("the app answered HTTP {0}")]
    Refused(u16),
    /// The app could not be asked: unreachable, timed out, or too many requests waiting.
    #[error("the authorization request failed: {0}")]
    Failed(String),
    /// The app said yes in a way that cannot be used: a presence answer without a valid member.
    #[error("the app's answer cannot be used: {0}")]
    Unusable(String),
    /// The signature the client brought is not the app's, or is not for this socket and
    /// channel.
    #[error("invalid signature: {0}")]
    BadSignature(String),
}

impl AuthDenied {
    /// The HTTP status the app answered (401 for a bad signature, as the app would have), or
    /// 0 when there was no usable answer.
    pub fn status(&self) -> u16 {
        match self {
            AuthDenied::Refused(status) => *status,
            AuthDenied::BadSignature(_) => 401,
            AuthDenied::Failed(_) | AuthDenied::Unusable(_) => 0,
        }
    }
}

/// The future an [`Authorizer`] returns.
pub type Authorization = Pin<Box<dyn Future<Output = Result<Access, AuthDenied>> + Send>>;

/// Asks the app whether a client may join a private or presence channel.
pub trait Authorizer: Send + Sync + 'static {
    fn authorize(&self, request: AuthRequest) -> Authorization;
}
