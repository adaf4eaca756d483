//! The front end behind axum's own server, over real loopback TCP: a client that sends its first
//! message in the same write as the upgrade request, without waiting for the answer, must be
//! heard, although the server's HTTP layer has read it along with the request.

use std::sync::Arc;
use std::time::Duration;

use sidecast_core::Hub;
use sidecast_pusher::{App, AppConfig, mount};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A client text frame: masked, as RFC 6455 requires of clients, with a short payload.
fn masked_text(payload: &[u8]) -> Vec<u8> {
    assert!(payload.len() < 126, "a short frame");
    let mask = [0x37, 0xfa, 0x21, 0x3d];
    let mut frame = vec![0x81, 0x80 | payload.len() as u8];
    frame.extend(mask);
    frame.extend(
        payload
            .iter()
            .enumerate()
            .map(|(i, byte)| byte ^ mask[i % 4]),
    );
    frame
}

/// Reads from `stream` until `text` has arrived, or fails after a few seconds with what came.
async fn read_until(stream: &mut TcpStream, received: &mut Vec<u8>, text: &str) {
    let reading = async {
        while !String::from_utf8_lossy(received).contains(text) {
            let mut chunk = [0u8; 4096];
            let read = stream.read(&mut chunk).await.unwrap();
            assert!(read > 0, "closed before {text:?}");
            received.extend_from_slice(&chunk[..read]);
        }
    };
    if tokio::time::timeout(Duration::from_secs(5), reading)
        .await
        .is_err()
    {
        panic!(
            "no {text:?} in {:?}",
            String::from_utf8_lossy(received.as_slice())
        );
    }
}

#[tokio::test]
async fn a_message_sent_with_the_upgrade_request_is_heard() {
    let app = App {
        id: "1".into(),
        key: "key".into(),
        secret: "secret".into(),
    };
    let (router, _handle) = mount("", [(Arc::new(Hub::new()), AppConfig::new(app))]);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });

    let mut stream = TcpStream::connect(address).await.unwrap();
    let mut bytes = format!(
        "GET /app/key?protocol=7 HTTP/1.1\r\nHost: {address}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\n\r\n"
    )
    .into_bytes();
    bytes.extend(masked_text(
        br#"{"event":"pusher:subscribe","data":{"channel":"news"}}"#,
    ));
    stream.write_all(&bytes).await.unwrap();

    let mut received = Vec::new();
    read_until(&mut stream, &mut received, "101 Switching Protocols").await;
    read_until(&mut stream, &mut received, "pusher:connection_established").await;
    read_until(
        &mut stream,
        &mut received,
        "pusher_internal:subscription_succeeded",
    )
    .await;
}
