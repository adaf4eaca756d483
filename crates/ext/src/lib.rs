//! The `sidecast` PHP extension: the first hop of the data path.
//!
//! Laravel's `sidecast` broadcast driver calls [`Broadcaster::broadcast`](broadcaster) with the
//! channels, event name, JSON payload and the sender's socket id; this extension encodes them as
//! one `sidecast-wire` frame and writes it to the sidecar's Unix socket over a connection kept
//! for the life of the PHP process. No async runtime and no thread live inside PHP.
//!
//! # Layout
//! - [`broadcaster`]: the `Sidecast\Broadcaster` class and its argument checks.
//! - [`options`]: the constructor's `$options` array.
//! - [`connection`]: the per-process connections to sidecar sockets, and their counters.
//! - [`exception`]: `Sidecast\BroadcastException`, registered by hand so it behaves like any
//!   PHP exception (file, line, trace, subclassable).
//! - [`ini`]: the `sidecast.socket` php.ini directive.
//! - [`info`]: the `phpinfo()` section.
//!
//! `unsafe` appears only where PHP's C API is reached directly (`ini`, `info`, `exception`)
//! and for `send(2)` with `MSG_NOSIGNAL` in `connection`.
#![allow(unsafe_code)]
// PHP parameter names are the Rust identifiers: `$socketId` needs a `socketId` parameter.
#![allow(non_snake_case)]

mod broadcaster;
mod connection;
mod exception;
mod info;
mod ini;
mod options;

use ext_php_rs::prelude::*;

/// Module start-up (MINIT): registers the ini directive and the exception class. It must not
/// open sockets or start threads: php-fpm forks its workers after this runs.
fn startup(_ty: i32, module_number: i32) -> i32 {
    ini::register(module_number);
    match exception::register() {
        Ok(()) => 0,
        Err(_) => -1,
    }
}

#[php_module]
#[php(startup = startup)]
pub fn get_module(module: ModuleBuilder) -> ModuleBuilder {
    module
        .name("sidecast")
        .class::<broadcaster::Broadcaster>()
        .info_function(info::php_info)
}
