//! `Sidecast\Broadcaster`: encodes an event as one frame and writes it to the sidecar.

use std::path::PathBuf;

use ext_php_rs::binary_slice::BinarySlice;
use ext_php_rs::prelude::*;
use serde::de::IgnoredAny;
use sidecast_wire::{EncodeError, Publish};

use crate::connection;
use crate::exception::{broadcast_exception, value_error};
use crate::options::{Options, Settings};

/// Hands events to the sidecast sidecar over its Unix socket.
///
/// The connection is opened on the first `broadcast()` and kept for the life of the PHP process,
/// shared by every instance that uses the same socket.
#[php_class]
#[php(name = "Sidecast\\Broadcaster")]
#[derive(Debug)]
pub struct Broadcaster {
    socket: PathBuf,
    settings: Settings,
    /// Reused between calls, so a broadcast allocates nothing for its frame.
    frame: Vec<u8>,
}

#[php_impl]
impl Broadcaster {
    /// `$socket` defaults to the `sidecast.socket` php.ini setting. `$options`: `timeout`, the
    /// seconds one `broadcast()` may take to connect and write before it throws (default 1).
    #[php(defaults(options = Options::default()))]
    pub fn __construct(socket: Option<String>, options: Options) -> PhpResult<Self> {
        let socket = match socket {
            Some(path) if path.is_empty() => {
                return Err(value_error(
                    "Sidecast\\Broadcaster::__construct(): Argument #1 ($socket) must not be empty"
                        .to_owned(),
                ));
            }
            Some(path) => path,
            None => crate::ini::socket_path(),
        };
        let settings = options.settings().map_err(value_error)?;
        Ok(Broadcaster {
            socket: PathBuf::from(socket),
            settings,
            frame: Vec::new(),
        })
    }

    /// Broadcasts `$event` with the JSON `$payload` on every channel in `$channels`, except to
    /// the client whose socket id is `$socketId` (Laravel's `toOthers()`).
    ///
    /// Throws `\ValueError` for arguments sidecast cannot carry and
    /// `Sidecast\BroadcastException` when the sidecar cannot be reached.
    pub fn broadcast(
        &mut self,
        channels: Vec<String>,
        event: String,
        payload: BinarySlice<u8>,
        socketId: Option<String>,
    ) -> PhpResult<()> {
        let payload: &[u8] = &payload;
        if let Err(error) = serde_json::from_slice::<IgnoredAny>(payload) {
            return Err(value_error(format!(
                "Sidecast\\Broadcaster::broadcast(): Argument #3 ($payload) must be JSON: {error}"
            )));
        }
        let publish = Publish {
            channels: channels.iter().map(String::as_str).collect(),
            event: &event,
            socket_id: socketId.as_deref(),
            payload,
        };
        self.frame.clear();
        publish.encode(&mut self.frame).map_err(argument_error)?;
        connection::send(&self.socket, self.settings.timeout, &self.frame).map_err(|error| {
            broadcast_exception(error.describe(&self.socket, self.settings.timeout))
        })
    }
}

/// Names the argument an encoding error is about, in PHP's own style.
fn argument_error(error: EncodeError) -> PhpException {
    let argument = match &error {
        EncodeError::NoChannels | EncodeError::TooMany { .. } => "#1 ($channels)",
        EncodeError::Empty(field)
        | EncodeError::ControlCharacter(field)
        | EncodeError::TooLong { field, .. } => match *field {
            "channel name" => "#1 ($channels)",
            "event name" => "#2 ($event)",
            _ => "#4 ($socketId)",
        },
        EncodeError::FrameTooLarge { .. } => "#3 ($payload)",
    };
    value_error(format!(
        "Sidecast\\Broadcaster::broadcast(): Argument {argument} is invalid: {error}"
    ))
}
