//! Malformed, truncated, oversized and hostile frames: each is refused with the reason a log
//! line needs, and nothing panics.

use sidecast_wire::{DecodeError, EncodeError, Limits, Publish, check, decode, parse};

fn valid_frame() -> Vec<u8> {
    let mut bytes = Vec::new();
    Publish {
        channels: vec!["orders", "private-orders.1"],
        event: "OrderShipped",
        socket_id: Some("abc"),
        payload: br#"{"id":1}"#,
    }
    .encode(&mut bytes)
    .expect("encode");
    bytes
}

/// Rewrites the length field after a test changed the body.
fn fix_length(frame: &mut [u8]) {
    let length = (frame.len() - 4) as u32;
    frame[..4].copy_from_slice(&length.to_be_bytes());
}

#[test]
fn every_strict_prefix_of_a_frame_is_incomplete_not_an_error() {
    let frame = valid_frame();
    for end in 0..frame.len() {
        assert_eq!(
            check(&frame[..end], &Limits::default()),
            Ok(None),
            "prefix of {end} bytes"
        );
    }
    assert_eq!(check(&frame, &Limits::default()), Ok(Some(frame.len())));
}

#[test]
fn oversized_frames_are_refused_from_the_length_field_alone() {
    let limits = Limits {
        max_frame_bytes: 64,
    };
    let header = 61u32.to_be_bytes(); // 65 bytes in all
    assert_eq!(
        check(&header, &limits),
        Err(DecodeError::TooLarge {
            size: 65,
            limit: 64
        })
    );
    let huge = u32::MAX.to_be_bytes();
    assert!(matches!(
        check(&huge, &Limits::default()),
        Err(DecodeError::TooLarge { .. })
    ));
}

#[test]
fn the_protocol_maximum_caps_a_generous_reader_limit() {
    let limits = Limits {
        max_frame_bytes: usize::MAX,
    };
    let length = (16 * 1024 * 1024u32).to_be_bytes(); // 4 bytes over the maximum in all
    assert!(matches!(
        check(&length, &limits),
        Err(DecodeError::TooLarge { .. })
    ));
}

#[test]
fn a_length_too_small_for_the_header_is_refused() {
    assert_eq!(
        check(&[0, 0, 0, 1, 1], &Limits::default()),
        Err(DecodeError::TooShort { length: 1 })
    );
}

#[test]
fn another_version_is_refused_before_the_body_arrives() {
    assert_eq!(
        check(&[0, 0, 0, 100, 2], &Limits::default()),
        Err(DecodeError::UnsupportedVersion(2))
    );
}

#[test]
fn an_unknown_kind_is_refused_before_the_body_arrives() {
    assert_eq!(
        check(&[0, 0, 0, 100, 1, 77], &Limits::default()),
        Err(DecodeError::UnknownKind(77))
    );
}

#[test]
fn a_body_cut_short_names_the_field_it_ends_in() {
    let frame = valid_frame();
    // Drop the last payload byte but keep the length field consistent with what is left.
    let mut cut = frame[..frame.len() - 1].to_vec();
    fix_length(&mut cut);
    assert_eq!(parse(&cut), Err(DecodeError::Truncated("payload")));

    // Only the header and half the channel count.
    let mut header_only = frame[..7].to_vec();
    fix_length(&mut header_only);
    assert_eq!(
        parse(&header_only),
        Err(DecodeError::Truncated("channel count"))
    );
}

#[test]
fn trailing_bytes_after_the_payload_are_refused() {
    let mut frame = valid_frame();
    frame.extend_from_slice(b"junk");
    fix_length(&mut frame);
    assert_eq!(parse(&frame), Err(DecodeError::TrailingBytes(4)));
}

#[test]
fn zero_channels_is_refused() {
    let mut frame = vec![0, 0, 0, 0, 1, 1, 0, 0];
    fix_length(&mut frame);
    assert_eq!(parse(&frame), Err(DecodeError::Empty("channel list")));
}

#[test]
fn an_empty_channel_name_is_refused() {
    // count 1, channel of length 0
    let mut frame = vec![0, 0, 0, 0, 1, 1, 0, 1, 0, 0];
    fix_length(&mut frame);
    assert_eq!(parse(&frame), Err(DecodeError::Empty("channel name")));
}

#[test]
fn non_utf8_names_are_refused() {
    let mut frame = vec![0, 0, 0, 0, 1, 1, 0, 1, 0, 2, 0xff, 0xfe];
    fix_length(&mut frame);
    assert_eq!(parse(&frame), Err(DecodeError::InvalidUtf8("channel name")));
}

#[test]
fn a_huge_channel_count_in_a_tiny_frame_fails_without_allocating_for_it() {
    let mut frame = vec![0, 0, 0, 0, 1, 1, 0xff, 0xff];
    fix_length(&mut frame);
    assert_eq!(parse(&frame), Err(DecodeError::Truncated("channel name")));
}

#[test]
fn a_payload_length_beyond_the_frame_is_truncation() {
    let mut frame = vec![0, 0, 0, 0, 1, 1, 0, 1, 0, 1, b'a', 0, 1, b'e', 0, 0];
    frame.extend_from_slice(&u32::MAX.to_be_bytes());
    fix_length(&mut frame);
    assert_eq!(parse(&frame), Err(DecodeError::Truncated("payload")));
}

#[test]
fn decode_reports_how_many_bytes_one_frame_used_when_two_are_buffered() {
    let mut two = valid_frame();
    let one_len = two.len();
    two.extend_from_slice(&valid_frame());
    let (_, used) = decode(&two, &Limits::default())
        .expect("valid")
        .expect("complete");
    assert_eq!(used, one_len);
}

#[test]
fn the_encoder_refuses_what_the_format_cannot_carry() {
    let long = "x".repeat(70_000);
    let cases: Vec<(Publish<'_>, EncodeError)> = vec![
        (
            Publish {
                channels: vec![],
                event: "e",
                socket_id: None,
                payload: b"{}",
            },
            EncodeError::NoChannels,
        ),
        (
            Publish {
                channels: vec![""],
                event: "e",
                socket_id: None,
                payload: b"{}",
            },
            EncodeError::Empty("channel name"),
        ),
        (
            Publish {
                channels: vec!["c"],
                event: "",
                socket_id: None,
                payload: b"{}",
            },
            EncodeError::Empty("event name"),
        ),
        (
            Publish {
                channels: vec!["c"],
                event: "e",
                socket_id: Some(""),
                payload: b"{}",
            },
            EncodeError::Empty("socket id"),
        ),
        (
            Publish {
                channels: vec![&long],
                event: "e",
                socket_id: None,
                payload: b"{}",
            },
            EncodeError::TooLong {
                field: "channel name",
                len: 70_000,
                max: 200,
            },
        ),
        (
            Publish {
                channels: vec!["c"],
                event: &long[..256],
                socket_id: None,
                payload: b"{}",
            },
            EncodeError::TooLong {
                field: "event name",
                len: 256,
                max: 255,
            },
        ),
        (
            Publish {
                channels: vec!["c"],
                event: "e",
                socket_id: Some(&long[..65]),
                payload: b"{}",
            },
            EncodeError::TooLong {
                field: "socket id",
                len: 65,
                max: 64,
            },
        ),
        (
            Publish {
                channels: vec!["a\nb"],
                event: "e",
                socket_id: None,
                payload: b"{}",
            },
            EncodeError::ControlCharacter("channel name"),
        ),
    ];
    for (publish, expected) in cases {
        let mut out = Vec::new();
        assert_eq!(publish.encode(&mut out), Err(expected));
        assert!(out.is_empty(), "nothing is written on error");
    }

    let payload = vec![b'1'; 16 * 1024 * 1024];
    let mut out = Vec::new();
    let result = Publish {
        channels: vec!["c"],
        event: "e",
        socket_id: None,
        payload: &payload,
    }
    .encode(&mut out);
    assert!(matches!(result, Err(EncodeError::FrameTooLarge { .. })));
}
