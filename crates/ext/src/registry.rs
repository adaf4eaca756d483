//! The writers of this process, one per socket path, created on first use.
//!
//! Nothing is started at module start-up: php-fpm forks its workers after it, and threads do
//! not survive a fork. The registry remembers which process created its writers; a forked child
//! (php-fpm, `pcntl_fork()`) finds its parent's writers useless — their threads do not exist in
//! the child — and starts its own, leaving the inherited ones untouched.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use crate::writer::{Limits, Writer};

struct Writers {
    pid: u32,
    by_path: HashMap<PathBuf, Arc<Writer>>,
}

static WRITERS: Mutex<Option<Writers>> = Mutex::new(None);

/// The writer for `path` in this process, started if needed with `limits`.
pub fn writer(path: &Path, limits: Limits) -> std::io::Result<Arc<Writer>> {
    let mut writers = WRITERS.lock().unwrap_or_else(PoisonError::into_inner);
    let pid = std::process::id();
    if writers.as_ref().is_none_or(|w| w.pid != pid) {
        // The parent's writers belong to threads this process does not have: never touched,
        // never dropped.
        if let Some(inherited) = writers.take() {
            std::mem::forget(inherited);
        }
        *writers = Some(Writers {
            pid,
            by_path: HashMap::new(),
        });
    }
    let by_path = &mut writers.as_mut().expect("set above").by_path;
    if let Some(writer) = by_path.get(path) {
        return Ok(writer.clone());
    }
    let writer = Arc::new(Writer::start(path, limits)?);
    by_path.insert(path.to_owned(), writer.clone());
    Ok(writer)
}

/// This process's writer for `path`, if it has one.
pub fn existing(path: &Path) -> Option<Arc<Writer>> {
    let writers = WRITERS.lock().unwrap_or_else(PoisonError::into_inner);
    writers
        .as_ref()
        .filter(|w| w.pid == std::process::id())
        .and_then(|w| w.by_path.get(path).cloned())
}

/// This process's writers (none in a process that has not broadcast).
pub fn all() -> Vec<Arc<Writer>> {
    let writers = WRITERS.lock().unwrap_or_else(PoisonError::into_inner);
    writers
        .as_ref()
        .filter(|w| w.pid == std::process::id())
        .map(|w| w.by_path.values().cloned().collect())
        .unwrap_or_default()
}
