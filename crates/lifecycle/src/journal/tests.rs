use std::sync::Arc;
use std::time::Duration;

use super::*;

fn journal(max_events: usize) -> Arc<Journal> {
    Arc::new(Journal::new(Buffer {
        max_age: Duration::from_secs(60),
        max_events,
    }))
}

fn record(journal: &Journal, n: u64) {
    journal.record(format!("{{\"n\":{n}}}").into_bytes(), n);
}

fn sent(next: Next) -> Vec<(u64, u32)> {
    match next {
        Next::Send(entries) => entries.iter().map(|e| (e.seq, e.missed)).collect(),
        other => panic!("expected events, got {other:?}"),
    }
}

#[test]
fn a_listener_gets_every_event_in_order_and_a_returning_one_what_it_did_not_confirm() {
    let journal = journal(100);
    for n in 1..=5 {
        record(&journal, n);
    }
    let mut listening = journal.attach().unwrap();
    assert_eq!(
        sent(listening.next(3, 100)),
        [(1, 0), (2, 0), (3, 0)],
        "three at once"
    );
    assert_eq!(sent(listening.next(3, 100)), [(4, 0), (5, 0)]);
    assert!(matches!(listening.next(3, 100), Next::Wait));
    listening.confirm(2);
    assert_eq!(journal.len(), 3);
    drop(listening);

    let mut again = journal.attach().unwrap();
    assert_eq!(
        sent(again.next(10, 100)),
        [(3, 0), (4, 0), (5, 0)],
        "the unconfirmed ones again, nothing confirmed"
    );
}

#[test]
fn a_listener_cannot_confirm_more_than_it_was_sent() {
    let journal = journal(100);
    for n in 1..=4 {
        record(&journal, n);
    }
    let mut listening = journal.attach().unwrap();
    sent(listening.next(2, 100));
    listening.confirm(u64::MAX);
    assert_eq!(journal.len(), 2, "3 and 4 were never sent");
}

#[test]
fn no_more_than_the_window_is_sent_ahead_of_confirmations() {
    let journal = journal(100);
    for n in 1..=10 {
        record(&journal, n);
    }
    let mut listening = journal.attach().unwrap();
    assert_eq!(sent(listening.next(100, 4)).len(), 4);
    assert!(matches!(listening.next(100, 4), Next::Wait), "window full");
    listening.confirm(3);
    assert_eq!(sent(listening.next(100, 4)), [(5, 0), (6, 0), (7, 0)]);
}

#[test]
fn a_second_listener_is_refused_until_the_first_goes() {
    let journal = journal(10);
    let first = journal.attach().unwrap();
    assert!(
        journal
            .attach()
            .unwrap_err()
            .contains("another listener is connected")
    );
    drop(first);
    assert!(journal.attach().is_ok());
}

#[test]
fn past_the_count_the_oldest_are_dropped_and_the_next_one_says_how_many() {
    let journal = journal(3);
    for n in 1..=7 {
        record(&journal, n);
    }
    let mut listening = journal.attach().unwrap();
    assert_eq!(
        sent(listening.next(10, 100)),
        [(5, 4), (6, 0), (7, 0)],
        "1 to 4 dropped, told with 5"
    );
}

#[test]
fn events_dropped_when_the_journal_was_emptied_are_told_with_the_next_one_kept() {
    let journal = journal(100);
    record(&journal, 1);
    record(&journal, 2);
    journal.expire(Instant::now() + Duration::from_secs(61));
    assert!(journal.is_empty());
    record(&journal, 3);
    let mut listening = journal.attach().unwrap();
    assert_eq!(sent(listening.next(10, 100)), [(3, 2)]);
}

#[test]
fn the_journal_holds_a_bounded_number_of_bytes() {
    let journal = journal(1_000_000);
    let big = vec![b'x'; 1024 * 1024];
    for n in 0..10 {
        journal.record(big.clone(), n);
    }
    assert_eq!(journal.len(), MAX_BYTES / big.len());
}

#[test]
fn expiry_drops_only_what_is_older_than_the_buffer_and_says_when_the_next_is_due() {
    let journal = journal(100);
    record(&journal, 1);
    let now = Instant::now();
    let due = journal.expire(now).expect("one event kept");
    assert!(due > now + Duration::from_secs(59));
    assert_eq!(journal.len(), 1);
    assert_eq!(journal.expire(due), None);
    assert!(journal.is_empty());
}

#[test]
fn a_closed_journal_is_done_once_everything_sent_is_confirmed_and_keeps_nothing_new() {
    let journal = journal(100);
    record(&journal, 1);
    let mut listening = journal.attach().unwrap();
    journal.close();
    record(&journal, 2);
    assert_eq!(sent(listening.next(10, 100)), [(1, 0)]);
    assert!(
        matches!(listening.next(10, 100), Next::Wait),
        "1 not confirmed yet"
    );
    listening.confirm(1);
    assert!(matches!(listening.next(10, 100), Next::Done));
    assert!(journal.attach().is_err(), "no listener while stopping");
}

#[test]
fn events_in_the_listeners_hands_neither_expire_nor_count_as_dropped_when_pushed_out() {
    let journal = journal(3);
    record(&journal, 1);
    record(&journal, 2);
    let mut listening = journal.attach().unwrap();
    assert_eq!(sent(listening.next(10, 100)), [(1, 0), (2, 0)]);
    let later = Instant::now() + Duration::from_secs(120);
    assert!(journal.expire(later).is_some(), "looked at again later");
    assert_eq!(
        journal.len(),
        2,
        "1 and 2 are the listener's: they do not expire"
    );

    for n in 3..=5 {
        record(&journal, n);
    }
    assert_eq!(
        sent(listening.next(10, 100)),
        [(3, 0), (4, 0), (5, 0)],
        "1 and 2 pushed out while the listener had them: nothing missed"
    );
    listening.confirm(5);
    assert!(journal.is_empty());
}

#[test]
fn the_window_counts_what_was_sent_even_once_pushed_out() {
    let journal = journal(2);
    let mut listening = journal.attach().unwrap();
    for n in 1..=2 {
        record(&journal, n);
    }
    assert_eq!(sent(listening.next(10, 3)).len(), 2);
    for n in 3..=4 {
        record(&journal, n);
    }
    assert_eq!(
        sent(listening.next(10, 3)),
        [(3, 0)],
        "two of three in flight, though 1 and 2 are no longer kept"
    );
    assert!(matches!(listening.next(10, 3), Next::Wait));
}
