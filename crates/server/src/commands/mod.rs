//! One module per command of the command line.

pub mod clients;
pub mod health;
pub mod init;
pub mod lock;
pub mod probe;
pub mod start;
pub mod status;
pub mod stop;
mod summary;

/// Exit codes, as `docs/configuration.md` lists them.
pub mod exit {
    /// Could not start, or the command failed.
    pub const FAILED: u8 = 1;
    /// Started, then failed while serving.
    pub const SERVE_FAILED: u8 = 3;
    /// `status`: no server is running from this config.
    pub const NOT_RUNNING: u8 = 3;
}
