//! The signals that stop the sidecar.

use tokio::signal::unix::{SignalKind, signal};

/// Completes on the first SIGTERM (container stop, systemd), SIGINT (Ctrl+C) or SIGHUP (the
/// terminal closed, or a process manager's "reload"). There is nothing to reload in place, so
/// SIGHUP stops gracefully too; left to its default it would kill the process at once, with no
/// drain, leaving the socket file behind.
pub async fn terminate_or_interrupt() {
    let mut terminate = signal(SignalKind::terminate()).ok();
    let mut interrupt = signal(SignalKind::interrupt()).ok();
    let mut hangup = signal(SignalKind::hangup()).ok();
    tokio::select! {
        Some(()) = async { terminate.as_mut()?.recv().await } => tracing::info!("SIGTERM received, stopping"),
        Some(()) = async { interrupt.as_mut()?.recv().await } => tracing::info!("SIGINT received, stopping"),
        Some(()) = async { hangup.as_mut()?.recv().await } => tracing::info!("SIGHUP received, stopping (restart to take new settings)"),
    }
}
