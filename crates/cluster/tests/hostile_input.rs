//! The fuzz target `cluster_bus` (`fuzz/`), run as a bounded property test on stable: random
//! bytes, and envelopes that are nearly right, never make the bus reader panic, and what it
//! reads survives a round trip.

use proptest::collection::vec;
use proptest::prelude::*;
use sidecast_cluster::fuzzing::bus_message;

fn body() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(r#"{"bye":{}}"#.to_owned()),
        "\\{\"terminate\":\\{\"user\":\"[0-9a-z]{0,5}\"\\}\\}",
        "\\{\"counts\":\\{\"counts\":\\[(\\[\"[a-z]{0,6}\",-?[0-9]{1,3}\\],?){0,3}\\](,\"whole\":(true|false))?\\}\\}",
        "\\{\"publish\":\\{\"channels\":\\[\"[a-z]{0,6}\"\\],\"event\":\"[A-Za-z]{0,6}\",\"data\":[\\{\\}0-9\"a-z:,]{0,20}\\}\\}",
        "\\{\"presence\":\\{\"channel\":\"presence-[a-z]{0,4}\",\"epoch\":[0-9]{1,3},\"ver\":[0-9]{1,3},\"change\":[\\{\\}\"a-z:0-9,]{0,30}\\}\\}",
        "[\\{\\}\\[\\]\":,a-z0-9]{0,40}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn random_bytes(bytes in vec(any::<u8>(), 0..400)) {
        bus_message(&bytes);
    }

    #[test]
    fn nearly_right_envelopes(
        version in 0u8..3,
        node in "[a-z0-9-]{0,8}",
        seq in proptest::option::of(any::<u32>()),
        body in body(),
    ) {
        let seq = seq.map(|seq| format!(r#","seq":{seq}"#)).unwrap_or_default();
        let text = format!(r#"{{"v":{version},"node":"{node}"{seq},"ts":1,"body":{body}}}"#);
        bus_message(text.as_bytes());
    }
}
