//! The `sidecast` PHP extension: the first hop of the data path.
//!
//! Laravel's `sidecast` broadcast driver calls [`Broadcaster::broadcast`](broadcaster) with the
//! channels, event name, JSON payload and the sender's socket id; this extension encodes them as
//! one `sidecast-wire` frame and hands it to a background writer, which sends it to the
//! sidecar's Unix socket and keeps it until the sidecar acknowledges it. No async runtime lives
//! inside PHP; each process that broadcasts gets two plain threads per socket, started on first
//! use.
//!
//! # Layout
//! - [`broadcaster`]: the `Sidecast\Broadcaster` class: argument checks, encoding, and waiting
//!   for answers.
//! - [`options`] and [`ini`]: the constructor's `$options` over the php.ini directives.
//! - [`registry`]: this process's writers, one per socket path, fork-aware.
//! - [`writer`]: the buffer, the writer thread and the answer reader.
//! - [`errors`]: why the sidecar could not be reached, in words that say what to do.
//! - [`owner`]: whether the socket belongs to a user PHP can trust, checked before connecting.
//! - [`convert`]: the sidecar's JSON answers as PHP arrays.
//! - [`exception`]: `Sidecast\BroadcastException`, registered by hand so it behaves like any
//!   PHP exception (file, line, trace, subclassable).
//! - [`info`]: the `phpinfo()` section.
//!
//! `unsafe` appears only where PHP's C API is reached directly (`ini`, `info`, `exception`)
//! and for `send(2)` with `MSG_NOSIGNAL` in the writer.
#![allow(unsafe_code)]
// PHP parameter names are the Rust identifiers: `$socketId` needs a `socketId` parameter.
#![allow(non_snake_case)]

mod broadcaster;
mod convert;
mod errors;
mod exception;
mod info;
mod ini;
mod options;
mod owner;
mod registry;
mod writer;

use ext_php_rs::prelude::*;

/// Module start-up (MINIT): registers the ini directives and the exception class. It must not
/// open sockets or start threads: php-fpm forks its workers after this runs.
fn startup(_ty: i32, module_number: i32) -> i32 {
    ini::register(module_number);
    match exception::register() {
        Ok(()) => 0,
        Err(_) => -1,
    }
}

/// Module shutdown (MSHUTDOWN: the end of a CLI script, a queue worker, a recycled php-fpm
/// worker): gives each writer up to `sidecast.shutdown_timeout` to deliver what it holds, then
/// ends its threads — they must not outlive the extension's code, which PHP unloads next — and
/// reports on stderr (php-fpm's log) what could not be delivered.
extern "C" fn shutdown(_ty: i32, _module_number: i32) -> i32 {
    let timeout = ini::IniSettings::read()
        .map(|settings| settings.shutdown_timeout)
        .unwrap_or(std::time::Duration::from_secs(1));
    for writer in registry::all() {
        let (events, bytes) = writer.shut_down(timeout);
        if events > 0 {
            let why = writer
                .last_error()
                .unwrap_or_else(|| "it did not acknowledge them in time".to_owned());
            let (noun, verb) = if events == 1 {
                ("event", "was")
            } else {
                ("events", "were")
            };
            eprintln!(
                "sidecast: {events} {noun} ({bytes} bytes) {verb} not delivered to {} before PHP ended (sidecast.shutdown_timeout = {:.3} s): {why}",
                writer.path().display(),
                timeout.as_secs_f64()
            );
        }
    }
    0
}

#[php_module]
#[php(startup = startup)]
pub fn get_module(module: ModuleBuilder) -> ModuleBuilder {
    module
        .name("sidecast")
        .class::<broadcaster::Broadcaster>()
        .shutdown_function(shutdown)
        .info_function(info::php_info)
}
