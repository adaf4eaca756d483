//! The fuzz target `pusher_client` (`fuzz/`), run as a bounded property test on stable: random
//! text and nearly-right Pusher messages never make the message parsers panic.

use proptest::prelude::*;
use sidecast_pusher::fuzzing::client_message;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn random_text(text in "\\PC{0,300}") {
        client_message(&text);
    }

    #[test]
    fn nearly_right_messages(
        event in "pusher:(subscribe|unsubscribe|signin|ping)|client-[a-z]{0,5}|[a-z:]{0,10}",
        data in prop_oneof![
            "\\{\"channel\":\"[a-z-]{0,10}\",\"auth\":\"[a-z0-9:]{0,10}\"(,\"channel_data\":\"[^\"]{0,20}\")?\\}",
            "\"\\{\\\\\"channel\\\\\":\\\\\"[a-z]{0,5}\\\\\"\\}\"",
            "\\{\"auth\":\"[a-z:]{0,8}\",\"user_data\":\"[\\{\\}\"a-z:0-9\\\\]{0,20}\"\\}",
            "[\\[\\]\\{\\}\":,a-z0-9]{0,30}",
        ],
    ) {
        client_message(&format!(r#"{{"event":"{event}","data":{data}}}"#));
    }
}
