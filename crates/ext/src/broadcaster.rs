//! `Sidecast\Broadcaster`: checks and encodes an event, and hands it to this process's writer
//! for the socket; asks the sidecar questions over the same connection.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ext_php_rs::binary_slice::BinarySlice;
use ext_php_rs::boxed::ZBox;
use ext_php_rs::convert::FromZval;
use ext_php_rs::error::php_error;
use ext_php_rs::flags::{DataType, ErrorType};
use ext_php_rs::prelude::*;
use ext_php_rs::types::{ZendHashTable, Zval};
use ext_php_rs::zend::ce;
use serde::de::IgnoredAny;
use serde_json::{Value, json};
use sidecast_wire::{EncodeError, Publish, Query, Question};

use crate::exception::{broadcast_exception, php_type_name, value_error};
use crate::ini::{IniSettings, Overflow};
use crate::options::{Options, Settings};
use crate::writer::{COUNTERS, Full, Limits, NoOutcome, Outcome, Waiter, Writer, next_request_id};
use crate::{convert, registry};

/// Hands events to the sidecast sidecar over its Unix socket.
///
/// Each PHP process has one background writer per socket, started on first use and shared by
/// every instance: `broadcast()` buffers the event and returns, the writer sends it.
#[php_class]
#[php(name = "Sidecast\\Broadcaster")]
#[derive(Debug)]
pub struct Broadcaster {
    socket: PathBuf,
    settings: Settings,
    /// The buffer's size, from php.ini when the instance was made; the first instance to use a
    /// socket in a process sets it for that process.
    limits: Limits,
    /// The writer this instance last used, and the process that used it: a forked child must
    /// get its own.
    writer: Option<(u32, Arc<Writer>)>,
}

#[php_impl]
impl Broadcaster {
    /// `$socket` defaults to the `sidecast.socket` php.ini setting. `$options` override the
    /// php.ini settings for this instance: `timeout`, `acknowledged`, `overflow`.
    #[php(defaults(options = Options::default()))]
    pub fn __construct(socket: Option<String>, options: Options) -> PhpResult<Self> {
        let ini = IniSettings::read().map_err(value_error)?;
        let socket = match socket {
            Some(path) if path.is_empty() => {
                return Err(value_error(
                    "Sidecast\\Broadcaster::__construct(): Argument #1 ($socket) must not be empty"
                        .to_owned(),
                ));
            }
            Some(path) => path,
            None => ini.socket.clone(),
        };
        let settings = options.settings(&ini).map_err(value_error)?;
        Ok(Broadcaster {
            socket: PathBuf::from(socket),
            settings,
            limits: Limits {
                max_bytes: ini.buffer_bytes,
                max_frames: ini.buffer_frames,
                io_timeout: settings.timeout,
            },
            writer: None,
        })
    }

    /// Broadcasts `$event` with the JSON `$payload` on every channel in `$channels`, except to
    /// the client whose socket id is `$socketId` (Laravel's `toOthers()`).
    ///
    /// Returns once the event is buffered; with `$acknowledged` (or the instance's setting),
    /// once the sidecar has accepted it.
    pub fn broadcast(
        &mut self,
        channels: Channels,
        event: String,
        payload: BinarySlice<u8>,
        socketId: Option<String>,
        acknowledged: Option<bool>,
    ) -> PhpResult<()> {
        let channels = channels.0?;
        let payload: &[u8] = &payload;
        // The sidecar sends the payload to browsers as text: it must be UTF-8 as well as JSON
        // (serde_json does not check the bytes of strings it only skips).
        let checked = std::str::from_utf8(payload)
            .map_err(|error| format!("it is not valid UTF-8 ({error})"))
            .and_then(|text| {
                serde_json::from_str::<IgnoredAny>(text).map_err(|error| error.to_string())
            });
        if let Err(error) = checked {
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
        let id = next_request_id();
        let mut frame = Vec::with_capacity(64 + payload.len());
        publish
            .encode_acked(id, &mut frame)
            .map_err(argument_error)?;
        let writer = self.writer()?;

        if !acknowledged.unwrap_or(self.settings.acknowledged) {
            return match writer.submit(id, frame, None) {
                Ok(()) => Ok(()),
                Err(full) => self.overflowed(&writer, full),
            };
        }
        match self.request(&writer, id, frame)? {
            Outcome::Accepted => Ok(()),
            Outcome::Refused(reason) => Err(broadcast_exception(format!(
                "sidecast at {} refused the event: {reason}",
                self.socket.display()
            ))),
            Outcome::Answer(_) => Err(self.confused()),
        }
    }

    /// Why this process's writer for the socket cannot deliver right now, or null: the last
    /// error while it is not connected to the sidecar (events wait in the buffer meanwhile).
    /// Asks the sidecar nothing, so it may follow every `broadcast()`.
    pub fn problem(&mut self) -> PhpResult<Option<String>> {
        let writer = self.writer()?;
        if writer.connected() {
            return Ok(None);
        }
        let (pending, pending_bytes) = writer.pending();
        Ok(writer.last_error().map(|why| {
            format!("{why} ({pending} events, {pending_bytes} bytes waiting in this process)")
        }))
    }

    /// `problem()` for a log: at most once every `$interval` seconds for this process and
    /// socket (the writer outlives requests, so a php-fpm worker counts across its requests),
    /// null in between and while there is no problem.
    #[php(defaults(interval = 60.0))]
    pub fn problem_to_report(&mut self, interval: f64) -> PhpResult<Option<String>> {
        if !(0.0..=86_400.0).contains(&interval) {
            return Err(value_error(format!(
                "Sidecast\\Broadcaster::problemToReport(): Argument #1 ($interval) must be between 0 and 86400 seconds, {interval} given"
            )));
        }
        let Some(problem) = self.problem()? else {
            return Ok(None);
        };
        let writer = self.writer()?;
        Ok(writer
            .claim_report(Duration::from_secs_f64(interval))
            .then_some(problem))
    }

    /// Waits until the sidecar has taken every event this process handed to the writer for
    /// this socket; `false` if `$timeout` seconds passed first.
    #[php(defaults(timeout = 1.0))]
    pub fn flush(&mut self, timeout: f64) -> PhpResult<bool> {
        let Some(timeout) = seconds(timeout) else {
            return Err(value_error(format!(
                "Sidecast\\Broadcaster::flush(): Argument #1 ($timeout) must be a number of seconds from 0 to 3600, {timeout} given"
            )));
        };
        // A process that never broadcast has nothing to flush, and gets no thread for asking.
        Ok(registry::existing(&self.socket).is_none_or(|writer| writer.flush(timeout)))
    }

    /// The occupied channels whose names start with `$prefix`, each with its
    /// `subscription_count` (and `user_count` for presence channels).
    pub fn channels(&mut self, prefix: Option<String>) -> PhpResult<ZBox<ZendHashTable>> {
        let answer = self.ask(Question::Channels {
            prefix: prefix.as_deref().unwrap_or(""),
        })?;
        Ok(convert::to_array(&answer["channels"]))
    }

    /// One channel's `subscription_count` and `occupied`, and `user_count` for a presence
    /// channel.
    pub fn channel(&mut self, name: String) -> PhpResult<ZBox<ZendHashTable>> {
        if name.is_empty() {
            return Err(value_error(
                "Sidecast\\Broadcaster::channel(): Argument #1 ($name) must not be empty"
                    .to_owned(),
            ));
        }
        let answer = self.ask(Question::Channel { name: &name })?;
        Ok(convert::to_array(&answer))
    }

    /// The users on a presence channel: a list of `['user_id' => …, 'user_info' => …]`, one per
    /// user however many connections they have.
    pub fn members(&mut self, presenceChannel: String) -> PhpResult<ZBox<ZendHashTable>> {
        if !presenceChannel.starts_with("presence-") || presenceChannel.len() == "presence-".len() {
            return Err(value_error(format!(
                "Sidecast\\Broadcaster::members(): Argument #1 ($presenceChannel) must be a presence channel (\"presence-…\"), \"{presenceChannel}\" given"
            )));
        }
        let answer = self.ask(Question::Members {
            channel: &presenceChannel,
        })?;
        Ok(convert::to_array(&answer["members"]))
    }

    /// `client`: this process's counters for the socket; `server`: the sidecar's.
    pub fn stats(&mut self) -> PhpResult<ZBox<ZendHashTable>> {
        let server = self.ask(Question::Stats)?;
        let writer = self.writer()?;
        let (pending, pending_bytes) = writer.pending();
        let counter =
            |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
        let client = json!({
            "sent": counter(&COUNTERS.sent),
            "acknowledged": counter(&COUNTERS.acknowledged),
            "refused": counter(&COUNTERS.refused),
            "dropped": counter(&COUNTERS.dropped),
            "reconnects": counter(&COUNTERS.reconnects),
            "buffered": pending,
            "buffered_bytes": pending_bytes,
            "connected": writer.connected(),
        });
        Ok(convert::to_array(
            &json!({ "client": client, "server": server }),
        ))
    }
}

impl Broadcaster {
    /// This process's writer for the socket, started on first use.
    fn writer(&mut self) -> PhpResult<Arc<Writer>> {
        let pid = std::process::id();
        if let Some((owner, writer)) = &self.writer
            && *owner == pid
        {
            return Ok(writer.clone());
        }
        let writer = registry::writer(&self.socket, self.limits).map_err(|error| {
            broadcast_exception(format!("cannot start the sidecast writer thread: {error}"))
        })?;
        self.writer = Some((pid, writer.clone()));
        Ok(writer)
    }

    /// Buffers a request and waits for its answer within the instance's timeout.
    fn request(&self, writer: &Writer, id: u32, frame: Vec<u8>) -> PhpResult<Outcome> {
        let waiter = Arc::new(Waiter::default());
        writer
            .submit(id, frame, Some(waiter.clone()))
            .map_err(|full| broadcast_exception(self.full_message(writer, full)))?;
        let timeout = self.settings.timeout;
        writer.wait(id, &waiter, timeout).map_err(|missing| {
            let path = self.socket.display();
            let seconds = timeout.as_secs_f64();
            broadcast_exception(match missing {
                NoOutcome::NotSent { reason: Some(reason), .. } => {
                    format!("{reason} (nothing was sent within {seconds:.3} s)")
                }
                NoOutcome::NotSent { reason: None, connected: false } => format!(
                    "sidecast at {path} did not accept a connection within {seconds:.3} s; it may be overloaded or stopped (raise the `timeout` option if it is just slow)"
                ),
                NoOutcome::NotSent { reason: None, connected: true } => format!(
                    "sidecast at {path} did not take the request within {seconds:.3} s; it may be overloaded (raise the `timeout` option if it is just slow)"
                ),
                NoOutcome::Unanswered => format!(
                    "sidecast at {path} did not answer within {seconds:.3} s; it may still deliver the event (raise the `timeout` option if it is just slow)"
                ),
            })
        })
    }

    /// Asks the sidecar `question`; its JSON answer, or a `BroadcastException`.
    fn ask(&mut self, question: Question<'_>) -> PhpResult<Value> {
        let id = next_request_id();
        let mut frame = Vec::new();
        Query {
            request_id: id,
            question,
        }
        .encode(&mut frame)
        .map_err(|error| value_error(format!("the question cannot be asked: {error}")))?;
        let writer = self.writer()?;
        match self.request(&writer, id, frame)? {
            Outcome::Answer(Ok(json)) => serde_json::from_slice(&json).map_err(|_| self.confused()),
            Outcome::Answer(Err(json)) => {
                let reason = serde_json::from_slice::<String>(&json)
                    .unwrap_or_else(|_| String::from_utf8_lossy(&json).into_owned());
                Err(broadcast_exception(format!(
                    "sidecast at {} cannot answer: {reason}",
                    self.socket.display()
                )))
            }
            Outcome::Accepted | Outcome::Refused(_) => Err(self.confused()),
        }
    }

    /// A full buffer: drop the event with a warning, or throw.
    fn overflowed(&self, writer: &Writer, full: Full) -> PhpResult<()> {
        let message = self.full_message(writer, full);
        match self.settings.overflow {
            Overflow::Throw => Err(broadcast_exception(message)),
            Overflow::Drop => {
                // PHP prefixes the function's name, as for its own warnings.
                php_error(
                    &ErrorType::Warning,
                    &format!("{message}; the event was dropped"),
                );
                Ok(())
            }
        }
    }

    fn full_message(&self, writer: &Writer, full: Full) -> String {
        let why = writer
            .last_error()
            .unwrap_or_else(|| "the sidecar is not keeping up".to_owned());
        format!(
            "the buffer for sidecast at {} is full ({} events, {} bytes waiting; raise sidecast.buffer_frames or sidecast.buffer_bytes): {why}",
            self.socket.display(),
            full.frames,
            full.bytes
        )
    }

    /// An answer of the wrong kind: whatever listens at the socket is not a sidecar we know.
    fn confused(&self) -> PhpException {
        broadcast_exception(format!(
            "the process at {} answered in a way sidecast does not understand; is it a sidecast sidecar of the same version?",
            self.socket.display()
        ))
    }
}

/// `$channels`, checked name by name so that an error can say which one is wrong.
#[derive(Debug)]
pub struct Channels(PhpResult<Vec<String>>);

impl<'a> FromZval<'a> for Channels {
    const TYPE: DataType = DataType::Array;

    fn from_zval(zval: &'a Zval) -> Option<Self> {
        let array = zval.array()?;
        let mut names = Vec::with_capacity(array.len());
        for (key, value) in array {
            match value.str() {
                Some(name) => names.push(name.to_owned()),
                None if value.is_string() => {
                    return Some(Channels(Err(value_error(format!(
                        "Sidecast\\Broadcaster::broadcast(): Argument #1 ($channels) is invalid: the channel name at key {key} is not valid UTF-8"
                    )))));
                }
                None => {
                    return Some(Channels(Err(PhpException::new(
                        format!(
                            "Sidecast\\Broadcaster::broadcast(): Argument #1 ($channels) must contain only strings, {} given at key {key}",
                            php_type_name(value)
                        ),
                        0,
                        ce::type_error(),
                    ))));
                }
            }
        }
        Some(Channels(Ok(names)))
    }
}

/// A `flush()` timeout: any number of seconds from 0 to an hour.
fn seconds(value: f64) -> Option<Duration> {
    (value.is_finite() && (0.0..=3600.0).contains(&value)).then(|| Duration::from_secs_f64(value))
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
