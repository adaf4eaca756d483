use super::*;
use crate::frame::tests::client_frame;

const MASK: [u8; 4] = [0xA1, 0xB2, 0xC3, 0xD4];

async fn read_all(bytes: Vec<u8>, max: usize) -> (Vec<Incoming>, ReadError) {
    let mut reader = MessageReader::new(max);
    let mut io = &bytes[..];
    let mut messages = Vec::new();
    loop {
        match reader.next(&mut io).await {
            Ok(incoming) => messages.push(incoming),
            Err(error) => return (messages, error),
        }
    }
}

#[tokio::test]
async fn text_messages_are_reassembled_between_control_frames() {
    let mut bytes = client_frame(true, Opcode::Text, br#"{"event":"pusher:ping"}"#, MASK);
    bytes.extend(client_frame(
        false,
        Opcode::Text,
        "{\"a\":\"h".as_bytes(),
        MASK,
    ));
    bytes.extend(client_frame(true, Opcode::Ping, b"are you there", MASK));
    bytes.extend(client_frame(
        false,
        Opcode::Continuation,
        "é".as_bytes(),
        MASK,
    ));
    bytes.extend(client_frame(true, Opcode::Continuation, b"\"}", MASK));
    bytes.extend(client_frame(true, Opcode::Pong, b"", MASK));
    bytes.extend(client_frame(
        true,
        Opcode::Close,
        &4000u16.to_be_bytes(),
        MASK,
    ));
    let (messages, end) = read_all(bytes, 100).await;
    assert_eq!(
        messages,
        [
            Incoming::Text(r#"{"event":"pusher:ping"}"#.to_owned()),
            Incoming::Ping(b"are you there".to_vec()),
            Incoming::Text("{\"a\":\"hé\"}".to_owned()),
            Incoming::Pong,
            Incoming::Close(Some(4000)),
        ]
    );
    assert!(matches!(end, ReadError::Ended));
}

#[tokio::test]
async fn oversized_and_binary_messages_are_skipped_and_the_next_one_is_read() {
    let mut bytes = client_frame(false, Opcode::Text, &[b'a'; 60], MASK);
    bytes.extend(client_frame(true, Opcode::Continuation, &[b'b'; 60], MASK));
    bytes.extend(client_frame(true, Opcode::Binary, &[7; 10], MASK));
    bytes.extend(client_frame(true, Opcode::Text, &[b'c'; 1_000_000], MASK));
    bytes.extend(client_frame(true, Opcode::Text, b"\"next\"", MASK));
    let (messages, end) = read_all(bytes, 100).await;
    assert_eq!(
        messages,
        [
            Incoming::Refused(Refusal::TooLarge { bytes: 120 }),
            Incoming::Refused(Refusal::Binary),
            Incoming::Refused(Refusal::TooLarge { bytes: 1_000_000 }),
            Incoming::Text("\"next\"".to_owned()),
        ]
    );
    assert!(matches!(end, ReadError::Ended));
}

#[tokio::test]
async fn a_large_message_does_not_keep_a_large_buffer() {
    let mut reader = MessageReader::new(1 << 20);
    let bytes = client_frame(true, Opcode::Text, &[b'x'; 200_000], MASK);
    let mut io = &bytes[..];
    let Incoming::Text(text) = reader.next(&mut io).await.unwrap() else {
        panic!("a text message");
    };
    assert_eq!(text.len(), 200_000);
    assert!(reader.buffer.capacity() <= KEPT_CAPACITY);
}

#[tokio::test]
async fn byte_by_byte_arrival_reads_the_same() {
    let mut bytes = client_frame(true, Opcode::Text, b"{}", MASK);
    bytes.extend(client_frame(true, Opcode::Text, &[b'z'; 300], MASK));
    bytes.extend(client_frame(true, Opcode::Text, b"[1]", MASK));
    let mut reader = MessageReader::new(100);
    let mut io = tokio_test_io(bytes);
    let mut messages = Vec::new();
    while let Ok(message) = reader.next(&mut io).await {
        messages.push(message);
    }
    assert_eq!(
        messages,
        [
            Incoming::Text("{}".to_owned()),
            Incoming::Refused(Refusal::TooLarge { bytes: 300 }),
            Incoming::Text("[1]".to_owned()),
        ]
    );
}

/// A reader that hands out one byte per read.
fn tokio_test_io(bytes: Vec<u8>) -> impl AsyncRead + Unpin {
    let (mut client, server) = tokio::io::duplex(1);
    tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        for byte in bytes {
            if client.write_all(&[byte]).await.is_err() {
                return;
            }
        }
    });
    server
}

#[tokio::test]
async fn protocol_breaks_end_the_connection_with_their_close_code() {
    let cases: [(Vec<u8>, u16); 7] = [
        (client_frame(true, Opcode::Close, &[3], MASK), 1002),
        (
            client_frame(true, Opcode::Close, &1005u16.to_be_bytes(), MASK),
            1002,
        ),
        (
            client_frame(true, Opcode::Close, &[0x03, 0xE8, 0xFF], MASK),
            1007,
        ),
        (client_frame(true, Opcode::Continuation, b"x", MASK), 1002),
        (
            [
                client_frame(false, Opcode::Text, b"x", MASK),
                client_frame(true, Opcode::Text, b"y", MASK),
            ]
            .concat(),
            1002,
        ),
        (client_frame(true, Opcode::Text, &[0xFF, 0xFE], MASK), 1007),
        (crate::frame::encode(Opcode::Text, b"unmasked"), 1002),
    ];
    for (bytes, code) in cases {
        let (messages, error) = read_all(bytes, 100).await;
        assert!(messages.is_empty());
        assert_eq!(error.close_code(), Some(code), "{error}");
    }
}
