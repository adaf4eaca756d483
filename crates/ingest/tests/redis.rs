//! The Redis subscriber against a real `redis-server` on a free loopback port, started and
//! stopped by the test: events published as Laravel does reach the hub, and flow again after
//! Redis restarts.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sidecast_core::{Access, ChannelName, Hub, Message, Notice, SocketId, Subscriber, Undelivered};
use sidecast_ingest::redis::{RedisSource, subscribe};
use tokio::sync::{mpsc, oneshot};

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

/// A redis-server on `port`; killed when dropped.
struct RedisServer(Child);

impl RedisServer {
    fn start(port: u16) -> Self {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed (./scripts/test.sh installs it)");
        let mut server = RedisServer(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                server.0.try_wait().unwrap().is_none(),
                "redis-server exited: port {port} taken?"
            );
            assert!(Instant::now() < deadline, "redis-server did not come up");
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn publish(port: u16, channel: &str, message: &str) {
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}/")).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let _: i64 = redis::cmd("PUBLISH")
        .arg(channel)
        .arg(message)
        .query_async(&mut connection)
        .await
        .unwrap();
}

/// Publishes `message` every 50 ms until the subscriber's hub delivers `expected`. Earlier
/// messages may still arrive meanwhile (they were published more than once); anything else
/// fails the test.
async fn publish_until_received(
    port: u16,
    rx: &mut mpsc::UnboundedReceiver<String>,
    channel: &str,
    message: &str,
    expected: &str,
    earlier: &[&str],
) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        publish(port, channel, message).await;
        while let Ok(Some(line)) = tokio::time::timeout(Duration::from_millis(50), rx.recv()).await
        {
            if line == expected {
                return;
            }
            assert!(
                earlier.contains(&line.as_str()),
                "unexpected delivery: {line}"
            );
        }
        assert!(
            Instant::now() < deadline,
            "{expected:?} not received from Redis within 15 s"
        );
    }
}

#[tokio::test]
async fn events_published_by_laravel_reach_subscribers_also_after_redis_restarts() {
    let port = free_port();
    let mut redis = RedisServer::start(port);
    let hub = Arc::new(Hub::new());
    let (tx, mut rx) = mpsc::unbounded_channel();
    let id = SocketId::new("client").unwrap();
    hub.connect(id.clone(), Arc::new(Forward(tx)));
    hub.subscribe(&id, ChannelName::new("orders").unwrap(), Access::Public)
        .await
        .unwrap();

    let (stop, stopped) = oneshot::channel::<()>();
    let source = RedisSource {
        host: "127.0.0.1".into(),
        port,
        password: None,
        db: 0,
        key_prefix: "laravel_database_".into(),
        max_message_bytes: 4096,
    };
    let task = tokio::spawn(subscribe(source, hub.clone(), async {
        let _ = stopped.await;
    }));

    let message = r#"{"event":"Shipped","data":{"n":1,"socket":null},"socket":null}"#;
    let shipped = r#"Shipped orders {"n":1,"socket":null}"#;
    publish_until_received(
        port,
        &mut rx,
        "laravel_database_orders",
        message,
        shipped,
        &[],
    )
    .await;

    // Not JSON, and over the size limit: skipped with a warning; the subscriber goes on (the
    // next phase shows it, and would see the large one as an unexpected delivery).
    publish(port, "laravel_database_orders", "not json").await;
    let large = format!(
        r#"{{"event":"Large","data":{{"text":"{}"}},"socket":null}}"#,
        "x".repeat(4096)
    );
    publish(port, "laravel_database_orders", &large).await;

    drop(redis);
    redis = RedisServer::start(port);
    let again = r#"{"event":"Again","data":{"n":2},"socket":null}"#;
    let expected = r#"Again orders {"n":2}"#;
    publish_until_received(
        port,
        &mut rx,
        "laravel_database_orders",
        again,
        expected,
        &[shipped],
    )
    .await;

    stop.send(()).unwrap();
    task.await.unwrap();
    drop(redis);
}
