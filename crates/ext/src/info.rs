//! The `phpinfo()` section: the version, the php.ini settings, and what this process's writers
//! have done.

use std::sync::atomic::{AtomicU64, Ordering};

use ext_php_rs::zend::ModuleEntry;
use ext_php_rs::{info_table_end, info_table_header, info_table_row, info_table_start};

use crate::ini::IniSettings;
use crate::registry;
use crate::writer::COUNTERS;

/// # Safety
/// Called by PHP with its module entry; the entry is not used.
pub unsafe extern "C" fn php_info(_module: *mut ModuleEntry) {
    info_table_start!();
    info_table_row!("sidecast support", "enabled");
    info_table_row!("Version", env!("CARGO_PKG_VERSION"));
    info_table_row!(
        "Wire protocol version",
        sidecast_wire::frame::VERSION.to_string()
    );
    info_table_end!();

    info_table_start!();
    info_table_header!("Directive", "Value");
    for (name, value) in IniSettings::raw() {
        info_table_row!(name, value);
    }
    info_table_end!();

    let writers = registry::all();
    let (buffered, bytes) = writers.iter().fold((0, 0), |(frames, bytes), writer| {
        let (f, b) = writer.pending();
        (frames + f, bytes + b)
    });
    let connected = writers.iter().filter(|writer| writer.connected()).count();
    let count = |counter: &AtomicU64| counter.load(Ordering::Relaxed).to_string();
    info_table_start!();
    info_table_header!("This process", "");
    info_table_row!(
        "Writers (connected)",
        format!("{} ({connected})", writers.len())
    );
    info_table_row!("Events sent", count(&COUNTERS.sent));
    info_table_row!("Events acknowledged", count(&COUNTERS.acknowledged));
    info_table_row!("Events refused", count(&COUNTERS.refused));
    info_table_row!("Events dropped (buffer full)", count(&COUNTERS.dropped));
    info_table_row!("Events buffered", buffered.to_string());
    info_table_row!("Bytes buffered", bytes.to_string());
    info_table_row!("Reconnects", count(&COUNTERS.reconnects));
    info_table_end!();
}
