use super::*;

/// A frame as a client sends it: masked with `mask`.
pub(crate) fn client_frame(fin: bool, opcode: Opcode, payload: &[u8], mask: [u8; 4]) -> Vec<u8> {
    let mut frame = encode(opcode, payload);
    if !fin {
        frame[0] &= 0x7F;
    }
    frame[1] |= 0x80;
    let payload_at = frame.len() - payload.len();
    let mut masked = frame.split_off(payload_at);
    unmask(&mut masked, mask, 0);
    frame.extend_from_slice(&mask);
    frame.extend_from_slice(&masked);
    frame
}

#[test]
fn the_rfc_example_frames_parse() {
    // RFC 6455 §5.7: a masked "Hello".
    let bytes = [
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    let (header, at) = parse_header(&bytes).unwrap().unwrap();
    assert_eq!(
        header,
        Header {
            fin: true,
            opcode: Opcode::Text,
            mask: [0x37, 0xfa, 0x21, 0x3d],
            payload_len: 5
        }
    );
    let mut payload = bytes[at..].to_vec();
    unmask(&mut payload, header.mask, 0);
    assert_eq!(payload, b"Hello");
    // The same, unmasked, as a server sends it.
    assert_eq!(
        encode(Opcode::Text, b"Hello"),
        [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]
    );
}

#[test]
fn every_length_form_round_trips_and_short_input_asks_for_more() {
    for len in [0, 125, 126, 65_535, 65_536, 200_000] {
        let payload = vec![b'x'; len];
        let frame = client_frame(true, Opcode::Binary, &payload, [1, 2, 3, 4]);
        let (header, at) = parse_header(&frame).unwrap().unwrap();
        assert_eq!(header.payload_len, len as u64);
        assert_eq!(frame.len() - at, len);
        for cut in 0..at {
            assert_eq!(parse_header(&frame[..cut]), Ok(None), "{len} cut at {cut}");
        }
        let server = encode(Opcode::Text, &payload);
        assert_eq!(server.len() - len, at - 4);
    }
}

#[test]
fn frames_that_break_the_protocol_are_refused() {
    let good = client_frame(true, Opcode::Text, b"hi", [9, 9, 9, 9]);
    let mut reserved = good.clone();
    reserved[0] |= 0x40;
    assert_eq!(parse_header(&reserved), Err(FrameError::ReservedBits));
    let mut opcode = good.clone();
    opcode[0] = 0x83;
    assert_eq!(parse_header(&opcode), Err(FrameError::UnknownOpcode(3)));
    assert_eq!(
        parse_header(&encode(Opcode::Text, b"hi")),
        Err(FrameError::Unmasked)
    );
    let split_ping = client_frame(false, Opcode::Ping, b"", [0; 4]);
    assert_eq!(parse_header(&split_ping), Err(FrameError::BadControlFrame));
    let long_ping = client_frame(true, Opcode::Ping, &[0; 126], [0; 4]);
    assert_eq!(parse_header(&long_ping), Err(FrameError::BadControlFrame));
    // 5 bytes announced in the two-byte form; 2^63 in the eight-byte form.
    assert_eq!(
        parse_header(&[0x81, 0xFE, 0, 5, 0, 0, 0, 0]),
        Err(FrameError::BadLength)
    );
    let mut huge = vec![0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0];
    huge.extend_from_slice(&[0; 4]);
    assert_eq!(parse_header(&huge), Err(FrameError::BadLength));
}

#[test]
fn close_frames_carry_a_code_and_a_reason_that_fits() {
    let frame = encode_close(4001, "Application does not exist");
    assert_eq!(&frame[..4], &[0x88, 28, 0x0F, 0xA1]);
    assert_eq!(&frame[4..], b"Application does not exist");
    // Cut at a character boundary within the 125-byte limit.
    let frame = encode_close(1000, &"é".repeat(100));
    assert!(frame.len() <= 127);
    assert!(std::str::from_utf8(&frame[4..]).is_ok());
}
