//! `sidecast-loadgen`: raises the open-files limit, runs each plan under its hard deadline,
//! and prints the report.

use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};
use nix::sys::resource::{Resource, getrlimit, setrlimit};
use sidecast_loadgen::cli::{Cli, Command, FanoutArgs, FloorArgs, PresenceArgs, Scenario};
use sidecast_loadgen::floor;
use sidecast_loadgen::presence;
use sidecast_loadgen::report::{Report, rounded_json};
use sidecast_loadgen::run::{self, Plan};
use sidecast_loadgen::scenario::Fanout;
use sidecast_loadgen::workers;
use tokio::io::BufReader;
use tokio::runtime::Runtime;

/// File descriptors kept free for the publisher, /proc reads and the runtime.
const SPARE_FILES: u64 = 64;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let generator = match Generator::new() {
        Ok(generator) => generator,
        Err(error) => return fail(&error),
    };
    let outcome = match &cli.command {
        Command::Run(args) => generator.single(&valid(args.plan()), args.server.json),
        Command::Scenario(Scenario::Channels(args)) => {
            generator.single(&valid(args.plan()), args.server.json)
        }
        Command::Scenario(Scenario::Idle(args)) => {
            generator.single(&valid(args.plan()), args.server.json)
        }
        Command::Scenario(Scenario::Churn(args)) => {
            generator.single(&valid(args.plan()), args.server.json)
        }
        Command::Scenario(Scenario::Fanout(args)) => generator.fanout(args),
        Command::Presence(args) => generator.presence(args),
        Command::Floor(args) => generator.floor(args),
        Command::Worker => generator.worker(),
    };
    // Clients still running after a missed deadline are dropped, not waited for.
    generator.runtime.shutdown_background();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(&error),
    }
}

struct Generator {
    runtime: Runtime,
    /// The open-files limit, raised.
    files: u64,
}

impl Generator {
    fn new() -> Result<Self, String> {
        let files = raise_open_files_limit()
            .map_err(|error| format!("cannot raise the open-files limit: {error}"))?;
        let runtime =
            Runtime::new().map_err(|error| format!("cannot start the async runtime: {error}"))?;
        Ok(Generator { runtime, files })
    }

    fn execute(&self, plan: &Plan) -> Result<Report, String> {
        if plan.peak_connections() + SPARE_FILES > self.files {
            return Err(format!(
                "{} connections in one process need more than the {} open files it may have; raise the hard limit (ulimit -Hn) or spread the clients over more processes (--processes)",
                plan.peak_connections(),
                self.files
            ));
        }
        let deadline = plan.hard_deadline();
        self.runtime
            .block_on(async { tokio::time::timeout(deadline, run::run(plan)).await })
            .map_err(|_| format!("the run did not end within its hard deadline of {deadline:?}"))?
            .map_err(|error| error.to_string())
    }

    fn floor(&self, args: &FloorArgs) -> Result<(), String> {
        let floor = args.floor();
        if floor.connections as u64 * 2 + SPARE_FILES > self.files {
            return Err(format!(
                "{} connections need twice as many open files, more than the {} this process may have",
                floor.connections, self.files
            ));
        }
        let deadline = floor.hard_deadline();
        let report = self
            .runtime
            .block_on(async { tokio::time::timeout(deadline, floor::measure(&floor)).await })
            .map_err(|_| format!("the measurement did not end within {deadline:?}"))?
            .map_err(|error| format!("cannot measure the floor: {error}"))?;
        if args.json {
            println!("{}", rounded_json(&report));
        } else {
            print!("{report}");
        }
        Ok(())
    }

    /// One share of a spread run: orders on stdin, news on stdout (see `workers`).
    fn worker(&self) -> Result<(), String> {
        self.runtime
            .block_on(workers::serve(
                BufReader::new(tokio::io::stdin()),
                tokio::io::stdout(),
            ))
            .map_err(|error| format!("worker: {error}"))
    }

    /// The presence scenario, under its hard deadline.
    fn presence(&self, args: &PresenceArgs) -> Result<(), String> {
        let scenario = valid(args.presence());
        let deadline = scenario.hard_deadline();
        let report = self
            .runtime
            .block_on(async { tokio::time::timeout(deadline, presence::run(&scenario)).await })
            .map_err(|_| {
                format!("the scenario did not end within its hard deadline of {deadline:?}")
            })?
            .map_err(|error| error.to_string())?;
        if args.json {
            println!("{}", report.to_json());
        } else {
            print!("{report}");
        }
        Ok(())
    }

    fn single(&self, plan: &Plan, json: bool) -> Result<(), String> {
        let report = self.execute(plan)?;
        if json {
            println!("{}", report.to_json());
        } else {
            print!("{report}");
        }
        Ok(())
    }

    /// Runs the steps in order until one is not sustained or cannot run; the steps done
    /// are printed either way.
    fn fanout(&self, args: &FanoutArgs) -> Result<(), String> {
        let mut fanout = Fanout::new(args.clients as usize, args.p99_ms);
        let mut failure = None;
        for plan in valid(args.plans()) {
            match self.execute(&plan) {
                Ok(step) => {
                    if !fanout.push(step) {
                        break;
                    }
                }
                Err(error) => {
                    failure = Some(format!("the {}/s step: {error}", plan.rate));
                    break;
                }
            }
        }
        if args.server.json {
            println!("{}", fanout.to_json());
        } else {
            print!("{fanout}");
        }
        failure.map_or(Ok(()), Err)
    }
}

/// Raises the soft limit on open files to the hard limit; returns the new soft limit.
fn raise_open_files_limit() -> nix::Result<u64> {
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE)?;
    if soft < hard {
        setrlimit(Resource::RLIMIT_NOFILE, hard, hard)?;
    }
    Ok(hard)
}

/// The command line's plan, or its error as clap reports an invalid command line (status 2).
fn valid<T>(plan: Result<T, String>) -> T {
    plan.unwrap_or_else(|error| {
        Cli::command()
            .error(ErrorKind::ValueValidation, error)
            .exit()
    })
}

fn fail(message: &str) -> ExitCode {
    eprintln!("sidecast-loadgen: {message}");
    ExitCode::FAILURE
}
