//! The ingest socket end to end: a real socket file in a temporary directory, raw frames written
//! by a plain `UnixStream`, events observed through a subscriber registered with the hub.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use sidecast_core::{
    Access, ChannelName, Core, Hub, Message, Notice, SocketId, Subscriber, Undelivered,
};
use sidecast_ingest::{BindError, IngestLimits, SocketAccess, UnixIngest};
use sidecast_wire::{Limits, Publish};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

struct Forward(mpsc::UnboundedSender<String>);

impl Subscriber for Forward {
    fn deliver(&self, message: Message<'_>) -> Result<(), Undelivered> {
        let line = format!(
            "{} {} {}",
            message.event,
            message.channel,
            message.payload.as_str()
        );
        self.0.send(line).map_err(|_| Undelivered::Closed)
    }

    fn notify(&self, _: Notice<'_>) -> Result<(), Undelivered> {
        Ok(())
    }
}

struct Running {
    path: PathBuf,
    hub: Arc<Hub>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
    _dir: tempfile::TempDir,
}

fn start(limits: Limits) -> Running {
    start_with(IngestLimits::new(limits))
}

fn start_with(limits: IngestLimits) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sidecast.sock");
    let ingest = UnixIngest::bind(&path).unwrap();
    let hub = Arc::new(Hub::new());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(ingest.serve(Core::single(hub.clone()), limits, async {
        let _ = stopped.await;
    }));
    Running {
        path,
        hub,
        stop,
        task,
        _dir: dir,
    }
}

async fn subscribe(hub: &Hub, id: &str, channel: &str) -> mpsc::UnboundedReceiver<String> {
    let (tx, rx) = mpsc::unbounded_channel();
    let id = SocketId::new(id).unwrap();
    hub.connect(id.clone(), Arc::new(Forward(tx)));
    hub.subscribe(&id, ChannelName::new(channel).unwrap(), Access::Public)
        .await
        .unwrap();
    rx
}

fn frame(channel: &str, payload: &str) -> Vec<u8> {
    let mut bytes = Vec::new();
    Publish {
        channels: vec![channel],
        event: "Ev",
        socket_id: None,
        payload: payload.as_bytes(),
    }
    .encode(&mut bytes)
    .unwrap();
    bytes
}

/// A structurally valid frame built by hand, for contents the encoder refuses to write.
fn unchecked_frame(channel: &str, payload: &str) -> Vec<u8> {
    let mut body = vec![0, 1];
    body.extend((channel.len() as u16).to_be_bytes());
    body.extend(channel.as_bytes());
    body.extend([0, 2, b'E', b'v', 0, 0]);
    body.extend((payload.len() as u32).to_be_bytes());
    body.extend(payload.as_bytes());
    let mut frame = ((body.len() + 2) as u32).to_be_bytes().to_vec();
    frame.extend([1, 1]);
    frame.extend(body);
    frame
}

async fn next(rx: &mut mpsc::UnboundedReceiver<String>) -> String {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("an event within 5 s")
        .expect("channel open")
}

/// Blocks (off the runtime) until the peer closes the connection; returns whether it did.
async fn closed_by_peer(mut stream: UnixStream) -> bool {
    tokio::task::spawn_blocking(move || {
        use std::io::Read;
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut byte = [0u8; 1];
        matches!(stream.read(&mut byte), Ok(0))
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn frames_written_to_the_socket_reach_subscribers_in_order() {
    let running = start(Limits::default());
    let mut rx = subscribe(&running.hub, "a", "orders").await;
    let mut publisher = UnixStream::connect(&running.path).unwrap();
    let mut batch = Vec::new();
    for n in 0..100 {
        batch.extend(frame("orders", &format!("{{\"n\":{n}}}")));
    }
    // One byte at a time for the first frame, the rest in one write.
    let first_len = frame("orders", "{\"n\":0}").len();
    for byte in &batch[..first_len] {
        publisher.write_all(&[*byte]).unwrap();
    }
    publisher.write_all(&batch[first_len..]).unwrap();
    for n in 0..100 {
        assert_eq!(next(&mut rx).await, format!("Ev orders {{\"n\":{n}}}"));
    }
}

#[tokio::test]
async fn garbage_closes_that_connection_only() {
    let running = start(Limits::default());
    let mut rx = subscribe(&running.hub, "a", "orders").await;
    let mut good = UnixStream::connect(&running.path).unwrap();
    let mut bad = UnixStream::connect(&running.path).unwrap();

    bad.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    assert!(
        closed_by_peer(bad).await,
        "the sidecar closes a connection that sends garbage"
    );

    good.write_all(&frame("orders", "{\"still\":true}"))
        .unwrap();
    assert_eq!(next(&mut rx).await, "Ev orders {\"still\":true}");
    let mut fresh = UnixStream::connect(&running.path).unwrap();
    fresh
        .write_all(&frame("orders", "{\"fresh\":true}"))
        .unwrap();
    assert_eq!(next(&mut rx).await, "Ev orders {\"fresh\":true}");
}

#[tokio::test]
async fn an_oversized_frame_is_refused_from_its_header() {
    let running = start(Limits {
        max_frame_bytes: 128,
    });
    let mut rx = subscribe(&running.hub, "a", "orders").await;
    let mut big = UnixStream::connect(&running.path).unwrap();
    // Only the header of a 1 MiB frame: refused without waiting for the body.
    big.write_all(&(1024u32 * 1024).to_be_bytes()).unwrap();
    big.write_all(&[1, 1]).unwrap();
    assert!(closed_by_peer(big).await);

    let mut ok = UnixStream::connect(&running.path).unwrap();
    ok.write_all(&frame("orders", "{}")).unwrap();
    assert_eq!(next(&mut rx).await, "Ev orders {}");
}

#[tokio::test]
async fn an_event_with_a_bad_payload_is_refused_and_the_connection_goes_on() {
    let running = start(Limits::default());
    let mut rx = subscribe(&running.hub, "a", "orders").await;
    let mut publisher = UnixStream::connect(&running.path).unwrap();
    publisher.write_all(&frame("orders", "{not json")).unwrap();
    publisher
        .write_all(&unchecked_frame(&"x".repeat(300), "{}"))
        .unwrap();
    publisher.write_all(&frame("orders", "{\"ok\":1}")).unwrap();
    assert_eq!(next(&mut rx).await, "Ev orders {\"ok\":1}");
    assert_eq!(running.hub.stats().publications, 1);
}

#[tokio::test]
async fn the_socket_file_has_mode_0660_and_is_removed_on_shutdown() {
    let running = start(Limits::default());
    let mode = std::fs::metadata(&running.path)
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o660);
    let path = running.path.clone();
    running.stop.send(()).unwrap();
    running.task.await.unwrap().unwrap();
    assert!(!path.exists(), "socket file removed");
}

#[tokio::test]
async fn a_live_sidecar_is_never_displaced() {
    let running = start(Limits::default());
    match UnixIngest::bind(&running.path) {
        Err(BindError::InUse(path)) => assert_eq!(path, running.path),
        other => panic!("expected InUse, got {other:?}"),
    }
    // The first one still works.
    let mut rx = subscribe(&running.hub, "a", "orders").await;
    UnixStream::connect(&running.path)
        .unwrap()
        .write_all(&frame("orders", "{}"))
        .unwrap();
    assert_eq!(next(&mut rx).await, "Ev orders {}");
}

#[test]
fn a_stale_socket_file_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sock");
    // A listener that is bound and then dropped leaves its file behind, like a killed sidecar.
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    assert!(path.exists());
    let ingest = UnixIngest::bind(&path).expect("stale file replaced");
    assert!(UnixStream::connect(ingest.path()).is_ok());
}

#[test]
fn a_path_that_is_not_a_socket_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("precious.txt");
    std::fs::write(&path, "keep me").unwrap();
    assert!(matches!(
        UnixIngest::bind(&path),
        Err(BindError::NotASocket(_))
    ));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "keep me");
}

#[test]
fn missing_directories_are_created() {
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().join("run/sidecast/s.sock");
    let ingest = UnixIngest::bind(&path).unwrap();
    assert!(Path::new(ingest.path()).exists());
    drop(ingest);
    assert!(!path.exists());
}

/// Reads answer frames from `stream` until `count` have arrived (or EOF).
fn read_answers(stream: &mut UnixStream, count: usize) -> Vec<Vec<u8>> {
    use std::io::Read;
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut buffer = Vec::new();
    let mut frames = Vec::new();
    let mut chunk = [0u8; 4096];
    while frames.len() < count {
        while let Ok(Some(size)) = sidecast_wire::check(&buffer, &Limits::default()) {
            frames.push(buffer.drain(..size).collect());
        }
        if frames.len() >= count {
            break;
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
    frames
}

fn acked(request_id: u32, channel: &str, payload: &str) -> Vec<u8> {
    let mut bytes = Vec::new();
    Publish {
        channels: vec![channel],
        event: "Ev",
        socket_id: None,
        payload: payload.as_bytes(),
    }
    .encode_acked(request_id, &mut bytes)
    .unwrap();
    bytes
}

#[tokio::test]
async fn acknowledged_events_and_queries_are_answered_in_order() {
    let running = start(Limits::default());
    let mut rx = subscribe(&running.hub, "a", "orders").await;
    let path = running.path.clone();
    let answers = tokio::task::spawn_blocking(move || {
        let mut publisher = UnixStream::connect(&path).unwrap();
        let mut request = acked(1, "orders", "{\"n\":1}");
        request.extend(unchecked_acked(2, "orders", "{broken"));
        sidecast_wire::Query {
            request_id: 3,
            question: sidecast_wire::Question::Channel { name: "orders" },
        }
        .encode(&mut request)
        .unwrap();
        sidecast_wire::Query {
            request_id: 4,
            question: sidecast_wire::Question::Members { channel: "orders" },
        }
        .encode(&mut request)
        .unwrap();
        publisher.write_all(&request).unwrap();
        read_answers(&mut publisher, 4)
    })
    .await
    .unwrap();

    let parsed: Vec<sidecast_wire::Frame<'_>> = answers
        .iter()
        .map(|f| sidecast_wire::parse(f).unwrap())
        .collect();
    assert_eq!(
        parsed[0],
        sidecast_wire::Frame::Ack(sidecast_wire::Ack {
            request_id: 1,
            refused: None
        })
    );
    match &parsed[1] {
        sidecast_wire::Frame::Ack(ack) => {
            assert_eq!(ack.request_id, 2);
            assert!(
                ack.refused
                    .unwrap()
                    .starts_with("payload is not valid JSON")
            );
        }
        other => panic!("{other:?}"),
    }
    match &parsed[2] {
        sidecast_wire::Frame::Result(result) => {
            assert_eq!(result.request_id, 3);
            assert_eq!(
                result.outcome,
                Ok(&br#"{"subscription_count":1,"occupied":true}"#[..])
            );
        }
        other => panic!("{other:?}"),
    }
    match &parsed[3] {
        sidecast_wire::Frame::Result(result) => {
            assert_eq!(
                result.outcome,
                Err(&br#""orders is not a presence channel""#[..])
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(next(&mut rx).await, "Ev orders {\"n\":1}");
}

/// An acknowledged publish built by hand, for contents the encoder would refuse.
fn unchecked_acked(request_id: u32, channel: &str, payload: &str) -> Vec<u8> {
    let mut frame = unchecked_frame(channel, payload);
    frame[5] = 2;
    frame.splice(6..6, request_id.to_be_bytes());
    let length = (frame.len() - 4) as u32;
    frame[..4].copy_from_slice(&length.to_be_bytes());
    frame
}

#[tokio::test]
async fn a_publisher_sending_answers_is_disconnected() {
    let running = start(Limits::default());
    let mut stream = UnixStream::connect(&running.path).unwrap();
    let mut ack = Vec::new();
    sidecast_wire::Ack {
        request_id: 1,
        refused: None,
    }
    .encode(&mut ack);
    stream.write_all(&ack).unwrap();
    assert!(closed_by_peer(stream).await);
}

#[tokio::test]
async fn at_shutdown_everything_already_sent_is_handled_and_acknowledged_then_the_connection_closes()
 {
    let running = start(Limits::default());
    let mut rx = subscribe(&running.hub, "a", "orders").await;
    let mut publisher = UnixStream::connect(&running.path).unwrap();
    // Make sure the sidecar has accepted this connection before stopping it.
    publisher
        .write_all(&acked(0, "orders", "{\"n\":0}"))
        .unwrap();
    assert_eq!(next(&mut rx).await, "Ev orders {\"n\":0}");
    let mut burst = Vec::new();
    for n in 1..=200u32 {
        burst.extend(acked(n, "orders", &format!("{{\"n\":{n}}}")));
    }
    publisher.write_all(&burst).unwrap();
    running.stop.send(()).unwrap();
    let answers = tokio::task::spawn_blocking(move || read_answers(&mut publisher, 201))
        .await
        .unwrap();
    running.task.await.unwrap().unwrap();

    let acked_ids: Vec<u32> = answers
        .iter()
        .map(|frame| match sidecast_wire::parse(frame).unwrap() {
            sidecast_wire::Frame::Ack(ack) => ack.request_id,
            other => panic!("{other:?}"),
        })
        .collect();
    let mut delivered = Vec::new();
    while let Ok(line) = rx.try_recv() {
        delivered.push(line);
    }
    // Every acknowledged event was delivered, in order, and nothing else was.
    assert_eq!(acked_ids, (0..=200).collect::<Vec<_>>());
    assert_eq!(delivered.len(), 200);
}

#[tokio::test]
async fn at_shutdown_a_publisher_that_keeps_sending_does_not_hold_the_stop_up() {
    let running = start(Limits::default());
    let mut rx = subscribe(&running.hub, "a", "orders").await;
    let mut publisher = UnixStream::connect(&running.path).unwrap();
    publisher
        .write_all(&acked(0, "orders", "{\"n\":0}"))
        .unwrap();
    assert_eq!(next(&mut rx).await, "Ev orders {\"n\":0}");

    // Answers are read as they come, so that only the sidecar's stop can end the stream.
    let mut answers_side = publisher.try_clone().unwrap();
    let answers = std::thread::spawn(move || read_answers(&mut answers_side, usize::MAX));
    let sender = std::thread::spawn(move || {
        let mut n = 1u32;
        while publisher
            .write_all(&acked(n, "orders", &format!("{{\"n\":{n}}}")))
            .is_ok()
        {
            n += 1;
        }
        n
    });
    while running.hub.stats().publications < 100 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    running.stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), running.task)
        .await
        .expect("the ingest did not stop while the publisher went on sending")
        .unwrap()
        .unwrap();
    let sent = sender.join().unwrap();
    let answers = answers.join().unwrap();

    let mut delivered = Vec::new();
    while let Ok(line) = rx.try_recv() {
        delivered.push(line);
    }
    // Exactly the acknowledged events were delivered (the rest is the publisher's to resend);
    // frame 0 was taken off `rx` above.
    assert!(
        answers.len() <= sent as usize,
        "{} answers for {sent} frames",
        answers.len()
    );
    assert_eq!(delivered.len() + 1, answers.len());
}

#[tokio::test]
async fn a_publisher_that_stops_in_the_middle_of_a_frame_is_disconnected_and_an_idle_one_is_not() {
    let running = start_with(IngestLimits {
        frame_timeout: Duration::from_millis(300),
        ..IngestLimits::new(Limits::default())
    });
    let mut rx = subscribe(&running.hub, "client", "orders").await;
    let idle = UnixStream::connect(&running.path).unwrap();
    let mut halfway = UnixStream::connect(&running.path).unwrap();
    let whole = frame("orders", r#"{"n":1}"#);
    // One whole frame and the first half of the next: the whole one is delivered, then the
    // connection is closed for the half.
    let mut sent = whole.clone();
    sent.extend_from_slice(&whole[..whole.len() / 2]);
    halfway.write_all(&sent).unwrap();
    assert_eq!(next(&mut rx).await, r#"Ev orders {"n":1}"#);
    assert!(closed_by_peer(halfway).await, "closed for the half frame");

    // The idle connection, quiet for longer than the timeout, still publishes.
    let mut idle = idle;
    idle.write_all(&frame("orders", r#"{"n":2}"#)).unwrap();
    assert_eq!(next(&mut rx).await, r#"Ev orders {"n":2}"#);
    running.stop.send(()).unwrap();
    running.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn publishers_past_the_cap_are_closed_as_they_come_and_the_others_still_publish() {
    let running = start_with(IngestLimits {
        max_publishers: 2,
        ..IngestLimits::new(Limits::default())
    });
    let mut rx = subscribe(&running.hub, "client", "orders").await;
    let mut first = UnixStream::connect(&running.path).unwrap();
    first.write_all(&frame("orders", r#"{"n":1}"#)).unwrap();
    assert_eq!(next(&mut rx).await, r#"Ev orders {"n":1}"#);
    let mut second = UnixStream::connect(&running.path).unwrap();
    second.write_all(&frame("orders", r#"{"n":2}"#)).unwrap();
    assert_eq!(next(&mut rx).await, r#"Ev orders {"n":2}"#);
    let third = UnixStream::connect(&running.path).unwrap();
    assert!(closed_by_peer(third).await, "the third is closed");
    first.write_all(&frame("orders", r#"{"n":3}"#)).unwrap();
    assert_eq!(next(&mut rx).await, r#"Ev orders {"n":3}"#);

    // A closed publisher's place is given back.
    drop(second);
    let mut again = None;
    for _ in 0..100 {
        let mut candidate = UnixStream::connect(&running.path).unwrap();
        if candidate.write_all(&frame("orders", r#"{"n":4}"#)).is_ok()
            && tokio::time::timeout(Duration::from_millis(100), rx.recv())
                .await
                .is_ok()
        {
            again = Some(candidate);
            break;
        }
    }
    assert!(again.is_some(), "a new publisher is served once one left");
    running.stop.send(()).unwrap();
    running.task.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_socket_of_another_user_is_refused_as_a_possible_impostor() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sidecast.sock");
    let squatter = std::os::unix::net::UnixListener::bind(&path).unwrap();
    // Handing the file to another user takes root, which the test command has; elsewhere the
    // refusal cannot be staged.
    if std::os::unix::fs::chown(&path, Some(65534), Some(65534)).is_err() {
        eprintln!("not root: cannot stage another user's socket; skipped");
        return;
    }
    let error = UnixIngest::bind(&path).unwrap_err();
    assert!(
        matches!(error, BindError::Foreign { owner: 65534, .. }),
        "{error}"
    );
    assert!(
        error.to_string().contains("may be posing as the sidecar"),
        "{error}"
    );
    assert!(path.exists(), "left in place");
    drop(squatter);
}

#[tokio::test]
async fn a_directory_of_another_user_or_open_to_everybody_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("run");
    std::fs::create_dir(&dir).unwrap();
    let path = dir.join("sidecast.sock");

    std::fs::set_permissions(&dir, PermissionsExt::from_mode(0o777)).unwrap();
    let error = UnixIngest::bind(&path).unwrap_err();
    assert!(
        matches!(error, BindError::UnsafeDirectory { .. }),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("may be written by everybody (mode 777)"),
        "{error}"
    );
    // Sticky, as /tmp is: only a file's owner may remove or rename it.
    std::fs::set_permissions(&dir, PermissionsExt::from_mode(0o1777)).unwrap();
    drop(UnixIngest::bind(&path).unwrap());

    std::fs::set_permissions(&dir, PermissionsExt::from_mode(0o755)).unwrap();
    // Handing the directory to another user takes root, which the test command has.
    if std::os::unix::fs::chown(&dir, Some(65534), Some(65534)).is_err() {
        eprintln!("not root: cannot stage another user's directory; skipped");
        return;
    }
    let error = UnixIngest::bind(&path).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("belongs to another user (uid 65534)"),
        "{error}"
    );
    assert!(!path.exists(), "nothing bound there");
}

#[test]
fn the_socket_gets_the_owner_group_and_mode_it_is_given() {
    use std::os::unix::fs::MetadataExt;
    let base = tempfile::tempdir().unwrap();
    let path = base.path().join("run/sidecast.sock");
    let access = SocketAccess {
        owner: Some(65534),
        group: Some(65534),
        mode: 0o600,
    };
    let ingest = match UnixIngest::bind_with(&path, &access) {
        Ok(ingest) => ingest,
        // Giving a file away takes root, which the test command has.
        Err(BindError::Io { source, .. }) if source.raw_os_error() == Some(1) => {
            eprintln!("not root: cannot give the socket away; skipped");
            return;
        }
        Err(error) => panic!("{error}"),
    };
    let file = std::fs::metadata(&path).unwrap();
    assert_eq!(
        (file.uid(), file.gid(), file.mode() & 0o777),
        (65534, 65534, 0o600)
    );
    let dir = std::fs::metadata(path.parent().unwrap()).unwrap();
    assert_eq!(
        dir.gid(),
        65534,
        "the directory it created has the socket's group"
    );
    assert_eq!(dir.uid(), std::fs::metadata("/proc/self").unwrap().uid());

    // Killed without cleaning up: the next start replaces the file it handed to that owner.
    drop(ingest);
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    std::os::unix::fs::chown(&path, Some(65534), Some(65534)).unwrap();
    let again = UnixIngest::bind_with(&path, &access).expect("its own stale socket replaced");
    assert!(UnixStream::connect(again.path()).is_ok());
}

#[test]
fn a_path_longer_than_the_kernel_takes_is_refused_before_anything_is_created() {
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("d".repeat(100));
    let path = dir.join("sidecast.sock");
    let error = UnixIngest::bind(&path).unwrap_err();
    assert!(matches!(error, BindError::TooLong { .. }), "{error}");
    assert!(error.to_string().contains("at most 107"), "{error}");
    assert!(!dir.exists(), "nothing created");
}

#[test]
fn a_directory_that_cannot_be_created_says_how_to_create_it() {
    let base = tempfile::tempdir().unwrap();
    // A regular file where a directory should be fails even for root.
    std::fs::write(base.path().join("file"), "").unwrap();
    let error = UnixIngest::bind(base.path().join("file/sidecast/s.sock")).unwrap_err();
    assert!(matches!(error, BindError::NoDirectory { .. }), "{error}");
    assert!(
        error.to_string().contains("RuntimeDirectory=sidecast"),
        "{error}"
    );
}
