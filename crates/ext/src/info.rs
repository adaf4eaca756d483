//! The `phpinfo()` section: the version, the configured socket, and what this process has
//! sent.

use std::sync::atomic::Ordering;

use ext_php_rs::zend::ModuleEntry;
use ext_php_rs::{info_table_end, info_table_row, info_table_start};

use crate::connection::{EVENTS_SENT, FAILURES, RECONNECTS, open_connections};

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
    info_table_row!("sidecast.socket", crate::ini::socket_path());
    info_table_row!(
        "Open connections (this process)",
        open_connections().to_string()
    );
    info_table_row!(
        "Events sent (this process)",
        EVENTS_SENT.load(Ordering::Relaxed).to_string()
    );
    info_table_row!(
        "Reconnects (this process)",
        RECONNECTS.load(Ordering::Relaxed).to_string()
    );
    info_table_row!(
        "Failed sends (this process)",
        FAILURES.load(Ordering::Relaxed).to_string()
    );
    info_table_end!();
}
