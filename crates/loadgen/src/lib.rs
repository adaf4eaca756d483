//! `sidecast-loadgen`: measures a Laravel Echo server — sidecast, or laravel-echo-server or a
//! Pusher-protocol server for comparison — with real WebSocket clients and stamped events.
//!
//! A run opens N socket.io clients (EIO=3 or EIO=4) or Pusher-protocol clients that subscribe
//! to public channels as Echo does, proves each one is subscribed by a probe event it
//! receives, then publishes events at a fixed rate through one ingest path (sidecast's Unix
//! socket, an HTTP API, or Redis in Laravel's format), each carrying its sequence number and
//! send time. Every client checks what it receives against what it is owed, so losses,
//! duplicates and strays are counted exactly, and every first delivery's latency goes into a
//! histogram. The server's memory and CPU time, and the generator's own CPU time, are read
//! from `/proc`. Usage and the meaning of every figure: `docs/loadgen.md`.
//!
//! # Layout
//! - [`churn`]: the visitors of scenario D, coming and going while the events flow.
//! - [`cli`]: the command line and the scenario presets, turned into [`run::Plan`]s.
//! - [`run`]: the phases of a run and their deadlines; builds the report.
//! - [`nodes`]: the server, or the nodes of a cluster the clients are spread over.
//! - [`crowd`]: a run's clients, or one process's share of them: connected, then added up
//!   node by node ([`received`]); [`workers`]: the shares run by other processes
//!   (`--processes`).
//! - [`client`]: one Echo client over a WebSocket, with [`protocol`] its frames, socket.io's or
//!   Pusher's (pure);
//!   [`polling`]: the HTTP long-polling start of a polling-then-upgrade client.
//! - [`ingest`]: the four ways events are handed to the server.
//! - [`stamp`]: the stamp in each event and the clock it is read from.
//! - [`tally`]: per-client ledgers of owed and received events (pure); [`histogram`]:
//!   latencies (pure); [`silence`]: the longest wait between events (pure); [`board`]: the
//!   counters clients share with the run.
//! - [`procfs`]: RSS and CPU time of a process; [`meter`]: the server and the generator
//!   sampled at the phase boundaries.
//! - [`floor`]: the machine's floor, one loopback write per delivery with no server.
//! - [`report`]: the figures, the warnings, JSON and human output; [`scenario`]: the
//!   fan-out preset's steps and verdict.
//! - [`presence`]: the presence scenario, joins and leavings across a cluster's nodes.

pub mod board;
pub mod churn;
pub mod cli;
pub mod client;
pub mod crowd;
pub mod floor;
pub mod histogram;
pub mod ingest;
pub mod meter;
pub mod nodes;
pub mod polling;
pub mod presence;
pub mod procfs;
pub mod protocol;
pub mod received;
pub mod report;
pub mod run;
pub mod scenario;
pub mod silence;
pub mod stamp;
pub mod tally;
pub mod workers;
