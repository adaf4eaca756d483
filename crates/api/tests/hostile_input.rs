//! The fuzz target `api_request` (`fuzz/`), run as a bounded property test on stable: random
//! query strings and bodies, and nearly-right events and batches, never make the HTTP API's
//! decoders panic.

use proptest::collection::vec;
use proptest::prelude::*;
use sidecast_api::fuzzing::request;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn random_queries_and_bodies(query in "\\PC{0,120}", body in vec(any::<u8>(), 0..400)) {
        request(&query, &body);
    }

    #[test]
    fn nearly_right_requests(
        query in "((auth_key|auth_signature|auth_timestamp|auth_version|body_md5|[a-z]{1,4})=[%0-9a-fA-F+]{0,12}&?){0,6}",
        name in "[A-Za-z\\\\.]{0,12}",
        channels in "\\[(\"[a-z#.-]{0,10}\",?){0,4}\\]|\"[a-z-]{0,10}\"|[0-9]{1,3}|null",
        data in "\"[^\"]{0,20}\"|\\{\\}|[0-9]{1,4}|null",
        extra in ",\"info\":\"[a-z_,]{0,20}\"|,\"socket_id\":\"[0-9.]{0,8}\"|",
        batched in any::<bool>(),
    ) {
        let event = format!(r#"{{"name":"{name}","channels":{channels},"channel":{channels},"data":{data}{extra}}}"#);
        let body = if batched { format!(r#"{{"batch":[{event},{event}]}}"#) } else { event };
        request(&query, body.as_bytes());
    }
}
