//! Entry point for the fuzz targets (`fuzz/`) and the property tests that run the same inputs
//! on stable (`tests/hostile_input.rs`): a message read from the bus.

use crate::envelope::Envelope;

/// A bus message, as another node (or anything able to publish on the bus) could send it:
/// refused with a reason, or read; what is read encodes and reads back the same.
pub fn bus_message(bytes: &[u8]) {
    if let Ok(envelope) = Envelope::decode(bytes) {
        let again = Envelope::decode(&envelope.encode()).expect("an encoded envelope reads back");
        assert_eq!(
            again.encode(),
            envelope.encode(),
            "an envelope survives a round trip"
        );
    }
}
