//! Events of one socket are applied in the order the client sent them.
//!
//! socketioxide runs every incoming event's handler as its own task, so `subscribe` followed
//! at once by `unsubscribe` could reach the hub the other way round and leave the socket in the
//! channel. What socketioxide does do in arrival order is run the extractors, synchronously, as
//! each packet is read. So a [`Ticket`] is an extractor: it takes the socket's next number as
//! the packet arrives, and the handler then waits for that number's [`Turn`] before touching the
//! hub. The connect handler holds number 0 and the disconnect handler takes the last one, so a
//! socket is registered before its first event and forgotten only after its last.
//!
//! A ticket that is dropped without being used (its handler task was cancelled) gives up its
//! place, so the socket's later events still get their turns.
//!
//! Later work (channel authorization, which awaits an HTTP call) relies on the same guarantee.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use socketioxide::adapter::Adapter;
use socketioxide::handler::{FromDisconnectParts, FromMessageParts, Value};
use socketioxide::socket::{DisconnectReason, Socket};
use thiserror::Error;
use tokio::sync::watch;

/// Per-socket counters: the next number to hand out, and the number whose turn it is.
#[derive(Debug, Clone)]
pub struct Arrivals(Arc<Counters>);

#[derive(Debug)]
struct Counters {
    issued: AtomicU64,
    serving: watch::Sender<u64>,
    /// Tickets given up before their turn came; skipped when it does.
    abandoned: Mutex<BTreeSet<u64>>,
}

impl Counters {
    /// Ends the turn being served and moves on to the next ticket still wanted.
    fn advance(&self) {
        let mut abandoned = self
            .abandoned
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        self.advance_locked(&mut abandoned);
    }

    fn advance_locked(&self, abandoned: &mut BTreeSet<u64>) {
        self.serving.send_modify(|now| {
            *now += 1;
            while abandoned.remove(now) {
                *now += 1;
            }
        });
    }

    /// Gives up ticket `number` without taking its turn.
    fn abandon(&self, number: u64) {
        let mut abandoned = self
            .abandoned
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if *self.serving.borrow() == number {
            self.advance_locked(&mut abandoned);
        } else {
            abandoned.insert(number);
        }
    }
}

impl Arrivals {
    /// Counters for a new socket, with number 0 already given to its connect handler.
    pub fn new() -> Self {
        Arrivals(Arc::new(Counters {
            issued: AtomicU64::new(1),
            serving: watch::Sender::new(0),
            abandoned: Mutex::new(BTreeSet::new()),
        }))
    }

    /// The connect handler's turn, which is always the first.
    pub fn connect_turn(&self) -> Turn {
        Turn(self.clone())
    }

    /// Tickets taken and not yet served.
    fn waiting(&self) -> u64 {
        let issued = self.0.issued.load(Ordering::Relaxed);
        issued.saturating_sub(*self.0.serving.borrow())
    }

    fn take_ticket(&self) -> Ticket {
        Ticket {
            arrivals: Some(self.clone()),
            number: self.0.issued.fetch_add(1, Ordering::Relaxed),
        }
    }
}

impl Default for Arrivals {
    fn default() -> Self {
        Self::new()
    }
}

/// A place in the socket's queue of events, taken when the event arrived.
#[derive(Debug)]
pub struct Ticket {
    /// `None` once the ticket has become a [`Turn`].
    arrivals: Option<Arrivals>,
    number: u64,
}

impl Ticket {
    /// Waits until every earlier event of this socket has been applied.
    pub async fn wait(mut self) -> Turn {
        let mut serving = match &self.arrivals {
            Some(arrivals) => arrivals.0.serving.subscribe(),
            None => unreachable!("a ticket is used once"),
        };
        // The sender lives in `self.arrivals`, so this cannot fail.
        let _ = serving.wait_for(|now| *now == self.number).await;
        Turn(self.arrivals.take().expect("a ticket is used once"))
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if let Some(arrivals) = self.arrivals.take() {
            arrivals.0.abandon(self.number);
        }
    }
}

/// The right to apply one event; the next event's turn comes when this is dropped, also if the
/// handler panicked.
#[derive(Debug)]
pub struct Turn(Arrivals);

impl Drop for Turn {
    fn drop(&mut self) {
        self.0.0.advance();
    }
}

/// Events one socket may have waiting for their turn. A client that sends more while earlier
/// ones wait (for the app's authorization, say) has the excess dropped rather than queued
/// without bound. Echo sends one event per channel it uses, far fewer.
pub const MAX_WAITING_EVENTS: u64 = 256;

/// Why an event got no ticket; its handler does not run.
#[derive(Debug, Error)]
pub enum NoTicket {
    #[error("socket has no arrival counters; it was not prepared on connect")]
    Unprepared,
}

/// An event's place in its socket's queue, or none because [`MAX_WAITING_EVENTS`] of the
/// socket's events already wait. Taking it never fails, so that the handler deals with a
/// client's flood itself (counted, answered, logged once in a while) rather than socketioxide
/// logging an error for every event.
#[derive(Debug)]
pub enum Place {
    Ticket(Ticket),
    /// How many were waiting.
    Backlogged(u64),
}

fn arrivals_of<A: Adapter>(socket: &Socket<A>) -> Result<Arrivals, NoTicket> {
    socket
        .extensions
        .get::<Arrivals>()
        .ok_or(NoTicket::Unprepared)
}

impl<A: Adapter> FromMessageParts<A> for Place {
    type Error = NoTicket;

    fn from_message_parts(
        socket: &Arc<Socket<A>>,
        _: &mut Value,
        _: &Option<i64>,
    ) -> Result<Self, Self::Error> {
        let arrivals = arrivals_of(socket)?;
        let waiting = arrivals.waiting();
        if waiting >= MAX_WAITING_EVENTS {
            return Ok(Place::Backlogged(waiting));
        }
        Ok(Place::Ticket(arrivals.take_ticket()))
    }
}

impl<A: Adapter> FromDisconnectParts<A> for Ticket {
    type Error = NoTicket;

    /// A disconnect always gets its ticket: the socket must leave the hub.
    fn from_disconnect_parts(
        socket: &Arc<Socket<A>>,
        _: DisconnectReason,
    ) -> Result<Self, Self::Error> {
        arrivals_of(socket).map(|arrivals| arrivals.take_ticket())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::time::Duration;

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn turns_come_in_ticket_order_whatever_order_the_tasks_run_in() {
        let arrivals = Arrivals::new();
        let applied = Arc::new(Mutex::new(Vec::new()));
        let connect = arrivals.connect_turn();
        let tickets: Vec<Ticket> = (0..50).map(|_| arrivals.take_ticket()).collect();
        let mut tasks = Vec::new();
        // Start the tasks in reverse order, each sleeping a little, to invert arrival order.
        for (index, ticket) in tickets.into_iter().enumerate().rev() {
            let applied = applied.clone();
            tasks.push(tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis((50 - index as u64) % 7)).await;
                let _turn = ticket.wait().await;
                applied.lock().unwrap().push(index);
            }));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(
            applied.lock().unwrap().is_empty(),
            "nothing runs before the connect turn ends"
        );
        drop(connect);
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(*applied.lock().unwrap(), (0..50).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn tickets_given_up_before_or_during_their_wait_do_not_stall_the_socket() {
        let arrivals = Arrivals::new();
        let connect = arrivals.connect_turn();
        let dropped_early = arrivals.take_ticket();
        let cancelled = arrivals.take_ticket();
        let last = arrivals.take_ticket();
        drop(dropped_early);
        let waiting = tokio::spawn(cancelled.wait());
        tokio::task::yield_now().await;
        waiting.abort();
        let _ = waiting.await;
        drop(connect);
        tokio::time::timeout(Duration::from_secs(5), last.wait())
            .await
            .expect("the last event gets its turn");
    }

    #[test]
    fn waiting_counts_the_tickets_not_yet_served() {
        let arrivals = Arrivals::new();
        assert_eq!(arrivals.waiting(), 1, "the connect handler's turn");
        let connect = arrivals.connect_turn();
        let _first = arrivals.take_ticket();
        let _second = arrivals.take_ticket();
        assert_eq!(arrivals.waiting(), 3);
        drop(connect);
        assert_eq!(arrivals.waiting(), 2);
    }

    #[tokio::test]
    async fn a_panicking_handler_still_passes_the_turn_on() {
        let arrivals = Arrivals::new();
        drop(arrivals.connect_turn());
        let first = arrivals.take_ticket();
        let second = arrivals.take_ticket();
        let crashed = tokio::spawn(async move {
            let _turn = first.wait().await;
            panic!("handler bug");
        });
        assert!(crashed.await.is_err());
        tokio::time::timeout(Duration::from_secs(5), second.wait())
            .await
            .expect("the second event gets its turn");
    }
}
