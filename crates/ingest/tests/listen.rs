//! A connection that asks to `LISTEN`: refused (and still a publisher) when no listener is
//! served, handed over with what it sent after the request otherwise, once everything it
//! asked before is answered. A `CONFIRM` on a connection that is not listening closes it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sidecast_core::{Core, Hub};
use sidecast_ingest::{Handover, IngestLimits, Listeners, UnixIngest};
use sidecast_wire::{Ack, Confirm, Frame, Limits, Listen, Query, Question};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;
use tokio::sync::oneshot;

/// A served socket, and its stop.
struct Served {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    _stop: oneshot::Sender<()>,
}

fn serve(listeners: Option<Listeners>) -> Served {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sidecast.sock");
    let mut ingest = UnixIngest::bind(&path).unwrap();
    if let Some(listeners) = listeners {
        ingest = ingest.with_listeners(listeners);
    }
    let (stop, stopped) = oneshot::channel::<()>();
    let core = Core::single(Arc::new(Hub::new()));
    tokio::spawn(
        ingest.serve(core, IngestLimits::new(Limits::default()), async {
            let _ = stopped.await;
        }),
    );
    Served {
        _dir: dir,
        path,
        _stop: stop,
    }
}

/// Reads until `count` whole frames are in, and returns their bytes.
async fn frames(stream: &mut UnixStream, count: usize) -> Vec<Vec<u8>> {
    let mut buffer = Vec::new();
    let mut found = Vec::new();
    while found.len() < count {
        let mut chunk = [0u8; 4096];
        let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut chunk))
            .await
            .expect("an answer within 5 s")
            .unwrap();
        assert!(read > 0, "closed after {} frames", found.len());
        buffer.extend_from_slice(&chunk[..read]);
        while let Some(size) = sidecast_wire::check(&buffer, &Limits::default()).unwrap() {
            found.push(buffer.drain(..size).collect());
        }
    }
    found
}

fn listen(request_id: u32) -> Vec<u8> {
    let mut out = Vec::new();
    Listen { request_id }.encode(&mut out);
    out
}

#[tokio::test]
async fn without_a_listener_served_listen_is_refused_and_the_connection_stays_a_publisher() {
    let served = serve(None);
    let mut stream = UnixStream::connect(&served.path).await.unwrap();
    let mut request = listen(1);
    Query {
        request_id: 2,
        question: Question::Stats,
    }
    .encode(&mut request)
    .unwrap();
    stream.write_all(&request).await.unwrap();
    let answers = frames(&mut stream, 2).await;
    match sidecast_wire::parse(&answers[0]).unwrap() {
        Frame::Ack(Ack {
            request_id: 1,
            refused: Some(reason),
        }) => assert!(reason.contains("--listener"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        sidecast_wire::parse(&answers[1]).unwrap(),
        Frame::Result(result) if result.request_id == 2 && result.outcome.is_ok()
    ));
}

#[tokio::test]
async fn a_confirm_on_a_connection_that_is_not_listening_closes_it() {
    let served = serve(None);
    let mut stream = UnixStream::connect(&served.path).await.unwrap();
    let mut confirm = Vec::new();
    Confirm { seq: 1 }.encode(&mut confirm);
    stream.write_all(&confirm).await.unwrap();
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut rest))
        .await
        .expect("closed within 5 s");
    assert!(matches!(read, Ok(0)), "{read:?}");
}

#[tokio::test]
async fn listen_is_handed_over_after_the_answers_owed_with_what_followed_it() {
    let handed: Arc<Mutex<Option<Handover>>> = Arc::default();
    let (taken, was_taken) = oneshot::channel();
    let taken = Mutex::new(Some(taken));
    let keep = handed.clone();
    let listeners: Listeners = Arc::new(move |handover| {
        *keep.lock().unwrap() = Some(handover);
        if let Some(taken) = taken.lock().unwrap().take() {
            let _ = taken.send(());
        }
    });
    let served = serve(Some(listeners));
    let mut stream = UnixStream::connect(&served.path).await.unwrap();
    let mut request = Vec::new();
    Query {
        request_id: 5,
        question: Question::Stats,
    }
    .encode(&mut request)
    .unwrap();
    request.extend(listen(6));
    Confirm { seq: 9 }.encode(&mut request);
    stream.write_all(&request).await.unwrap();

    let answers = frames(&mut stream, 1).await;
    assert!(matches!(
        sidecast_wire::parse(&answers[0]).unwrap(),
        Frame::Result(result) if result.request_id == 5
    ));
    tokio::time::timeout(Duration::from_secs(5), was_taken)
        .await
        .expect("handed over within 5 s")
        .unwrap();
    let handover = handed.lock().unwrap().take().unwrap();
    assert_eq!(handover.request_id, 6);
    assert_eq!(
        sidecast_wire::parse(&handover.buffered).unwrap(),
        Frame::Confirm(Confirm { seq: 9 }),
        "what followed LISTEN is the listener's"
    );
}
