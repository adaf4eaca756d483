//! The listener's connection over a real socket pair: the request answered, the journal's
//! events in order, confirmations taken, a reconnect given what was not confirmed, a second
//! listener refused, and the end once the sidecar stops and everything is confirmed.

use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use sidecast_lifecycle::journal::{Buffer, Journal};
use sidecast_lifecycle::listener;
use sidecast_wire::{Ack, Confirm, Frame, Limits};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;

fn journal() -> Arc<Journal> {
    Arc::new(Journal::new(Buffer {
        max_age: Duration::from_secs(60),
        max_events: 100,
    }))
}

/// Connects a listener that asked with `request_id`.
fn connect(journal: &Arc<Journal>, request_id: u32) -> UnixStream {
    let (sidecar, php) = UnixStream::pair().unwrap();
    tokio::spawn(listener::serve(
        journal.clone(),
        sidecar,
        BytesMut::new(),
        request_id,
    ));
    php
}

/// The next `count` frames, each as a line easy to compare.
async fn read(php: &mut UnixStream, buffer: &mut Vec<u8>, count: usize) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        while seen.len() < count
            && let Some(size) = sidecast_wire::check(buffer, &Limits::default()).unwrap()
        {
            let frame: Vec<u8> = buffer.drain(..size).collect();
            seen.push(match sidecast_wire::parse(&frame).unwrap() {
                Frame::Ack(Ack { refused: None, .. }) => "accepted".to_owned(),
                Frame::Ack(Ack {
                    refused: Some(reason),
                    ..
                }) => format!("refused: {reason}"),
                Frame::Event(event) => format!(
                    "{} missed {} {}",
                    event.seq,
                    event.missed,
                    String::from_utf8_lossy(event.json)
                ),
                other => panic!("{other:?}"),
            });
        }
        if seen.len() >= count {
            return seen;
        }
        let mut chunk = [0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(5), php.read(&mut chunk))
            .await
            .expect("a frame within 5 s")
            .unwrap();
        assert!(n > 0, "closed after {seen:?}");
        buffer.extend_from_slice(&chunk[..n]);
    }
}

async fn confirm(php: &mut UnixStream, seq: u64) {
    let mut out = Vec::new();
    Confirm { seq }.encode(&mut out);
    php.write_all(&out).await.unwrap();
}

async fn closed(php: &mut UnixStream) -> bool {
    let mut rest = Vec::new();
    let end = tokio::time::timeout(Duration::from_secs(5), php.read_to_end(&mut rest)).await;
    matches!(end, Ok(Ok(0)))
}

#[tokio::test]
async fn a_listener_is_sent_the_journal_in_order_and_a_reconnect_what_it_did_not_confirm() {
    let journal = journal();
    journal.record(br#"{"n":1}"#.to_vec(), 11);
    let mut php = connect(&journal, 7);
    let mut buffer = Vec::new();
    assert_eq!(
        read(&mut php, &mut buffer, 2).await,
        ["accepted", r#"1 missed 0 {"n":1}"#]
    );
    journal.record(br#"{"n":2}"#.to_vec(), 12);
    journal.record(br#"{"n":3}"#.to_vec(), 13);
    assert_eq!(
        read(&mut php, &mut buffer, 2).await,
        [r#"2 missed 0 {"n":2}"#, r#"3 missed 0 {"n":3}"#],
        "events kept while connected arrive at once"
    );

    let mut second = connect(&journal, 8);
    let refused = read(&mut second, &mut Vec::new(), 1).await;
    assert!(
        refused[0].starts_with("refused: another listener is connected"),
        "{refused:?}"
    );
    assert!(closed(&mut second).await, "a refused listener is closed");

    confirm(&mut php, 2).await;
    drop(php);
    tokio::time::timeout(Duration::from_secs(5), journal.detached())
        .await
        .unwrap();
    assert_eq!(journal.len(), 1, "3 was sent but never confirmed");

    let mut again = connect(&journal, 9);
    let mut buffer = Vec::new();
    assert_eq!(
        read(&mut again, &mut buffer, 2).await,
        ["accepted", r#"3 missed 0 {"n":3}"#]
    );
    journal.close();
    confirm(&mut again, 3).await;
    assert!(
        closed(&mut again).await,
        "closed once the sidecar stops and everything is confirmed"
    );
    assert!(journal.is_empty());
}

#[tokio::test]
async fn a_listener_sending_anything_but_confirm_is_disconnected() {
    let journal = journal();
    let mut php = connect(&journal, 1);
    assert_eq!(read(&mut php, &mut Vec::new(), 1).await, ["accepted"]);
    let mut listen = Vec::new();
    sidecast_wire::Listen { request_id: 2 }.encode(&mut listen);
    php.write_all(&listen).await.unwrap();
    assert!(closed(&mut php).await);
    tokio::time::timeout(Duration::from_secs(5), journal.detached())
        .await
        .expect("the journal let go");
}

#[tokio::test]
async fn a_backlog_confirmed_one_event_at_a_time_never_stalls_either_side() {
    // PHP writes a confirmation after each event and reads nothing meanwhile: were the
    // sidecar not reading while it writes, both socket buffers would fill and both wait.
    let journal = Arc::new(Journal::new(Buffer {
        max_age: Duration::from_secs(60),
        max_events: 10_000,
    }));
    let padding = "x".repeat(400);
    const EVENTS: u64 = 3_000;
    for n in 1..=EVENTS {
        journal.record(format!(r#"{{"n":{n},"pad":"{padding}"}}"#).into_bytes(), n);
    }
    let mut php = connect(&journal, 1);
    let mut buffer = Vec::new();
    assert_eq!(read(&mut php, &mut buffer, 1).await, ["accepted"]);
    let mut last = 0;
    let drained = tokio::time::timeout(Duration::from_secs(30), async {
        while last < EVENTS {
            let line = read(&mut php, &mut buffer, 1).await.remove(0);
            last = line.split(' ').next().unwrap().parse().unwrap();
            confirm(&mut php, last).await;
        }
    })
    .await;
    assert!(drained.is_ok(), "stalled after event {last}");
    tokio::time::timeout(Duration::from_secs(5), async {
        while !journal.is_empty() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("every confirmation applied");
}
