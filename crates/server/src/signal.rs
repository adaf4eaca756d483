//! The signals that stop the sidecar.

use tokio::signal::unix::{SignalKind, signal};

/// Completes on the first SIGTERM (container stop, systemd) or SIGINT (Ctrl+C).
pub async fn terminate_or_interrupt() {
    let mut terminate = signal(SignalKind::terminate()).ok();
    let mut interrupt = signal(SignalKind::interrupt()).ok();
    tokio::select! {
        Some(()) = async { terminate.as_mut()?.recv().await } => tracing::info!("SIGTERM received, stopping"),
        Some(()) = async { interrupt.as_mut()?.recv().await } => tracing::info!("SIGINT received, stopping"),
    }
}
