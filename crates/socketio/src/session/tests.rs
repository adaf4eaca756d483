use std::sync::atomic::Ordering;
use std::time::Duration;

use super::*;

const TIMING: Timing = Timing {
    ping_interval: Duration::from_secs(25),
    ping_timeout: Duration::from_secs(20),
};

/// A session whose clock says it last heard from the client, and last pinged it, `ago`.
fn silent_for(version: Version, ago: Duration) -> Session {
    let session = Session::new(
        "sid".into(),
        SocketId::new("sid").unwrap(),
        version,
        Handshake::default(),
        Outbox::new(2, 64),
        Instant::now() - ago,
    );
    session.clock.heard_at.store(0, Ordering::Relaxed);
    session.clock.pinged_at.store(0, Ordering::Relaxed);
    session.ask_to_join();
    session
}

#[test]
fn engine_io_4_sessions_are_pinged_every_interval_and_dead_without_a_pong() {
    let quiet = silent_for(Version::V4, Duration::from_secs(10));
    assert_eq!(quiet.health(TIMING), Health::Alive);
    let due = silent_for(Version::V4, Duration::from_secs(26));
    assert_eq!(due.health(TIMING), Health::PingDue);
    due.mark_pinged();
    assert_eq!(due.health(TIMING), Health::Alive);

    let unanswered = silent_for(Version::V4, Duration::from_secs(21));
    unanswered
        .clock
        .awaiting_pong
        .store(true, Ordering::Relaxed);
    assert_eq!(unanswered.health(TIMING), Health::Dead("no pong in time"));
    unanswered.heard();
    assert_ne!(unanswered.health(TIMING), Health::Dead("no pong in time"));
}

#[test]
fn a_session_that_never_joins_is_closed_after_the_connect_timeout() {
    let mut session = Session::new(
        "sid".into(),
        SocketId::new("sid").unwrap(),
        Version::V4,
        Handshake::default(),
        Outbox::new(2, 64),
        Instant::now() - Duration::from_secs(46),
    );
    session.clock.opened_at = 0;
    assert_eq!(session.health(TIMING), Health::NeverJoined);
    session.ask_to_join();
    assert_ne!(session.health(TIMING), Health::NeverJoined);
}

#[test]
fn engine_io_3_sessions_are_dead_when_their_own_pings_stop() {
    let pinging = silent_for(Version::V3, Duration::from_secs(40));
    assert_eq!(pinging.health(TIMING), Health::Alive);
    let stopped = silent_for(Version::V3, Duration::from_secs(46));
    assert_eq!(
        stopped.health(TIMING),
        Health::Dead("no ping from the client in time")
    );
}

#[test]
fn a_session_whose_outbox_stays_full_for_the_ping_timeout_does_not_read() {
    let session = silent_for(Version::V4, Duration::ZERO);
    let at_once = Timing {
        ping_timeout: Duration::ZERO,
        ..TIMING
    };
    session.send(b"42[\"a\"]".to_vec());
    assert_eq!(session.health(at_once), Health::Alive);
    // 64 bytes: a second packet of 60 does not fit, and the outbox remembers it refused.
    session
        .outbox
        .push(Frame::from(vec![b'x'; 60]))
        .unwrap_err();
    assert_eq!(session.health(at_once), Health::NotReading);
    assert_eq!(session.health(TIMING), Health::Alive);
}

#[test]
fn polls_do_not_overlap_and_end_with_the_upgrade() {
    let session = silent_for(Version::V4, Duration::ZERO);
    session.transport.begin_poll().unwrap();
    assert_eq!(session.transport.begin_poll(), Err(PollRefused::Overlap));
    assert!(session.transport.is_polled());
    session.transport.end_poll();
    assert!(session.transport.begin_upgrade());
    assert!(!session.transport.begin_upgrade(), "one upgrade at a time");
    session.transport.abandon_upgrade();
    assert!(session.transport.begin_upgrade());
    session.transport.finish_upgrade();
    assert!(session.transport.is_websocket());
    assert_eq!(session.transport.begin_poll(), Err(PollRefused::Upgraded));
    assert!(!session.transport.begin_upgrade());
}
