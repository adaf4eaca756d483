//! Entry point for the fuzz targets (`fuzz/`) and the property tests that run the same inputs
//! on stable (`tests/hostile_input.rs`): a request's query and body through every decoder
//! they reach before a handler acts on them.

use crate::signing::{self, SignedApp, SignedRequest};
use crate::{events, params};

/// A request to the events endpoint: its query string decoded, its signature checked against
/// an app, its body read as one event and as a batch. Every answer is a refusal or a value;
/// none panics.
pub fn request(query: &str, body: &[u8]) {
    let _: Vec<(String, String)> = params::pairs(query).collect();
    let _ = params::parameter(Some(query), "auth_key");
    let app = SignedApp {
        id: "app".into(),
        key: "key".into(),
        secret: "secret".into(),
    };
    let signed = SignedRequest {
        method: "POST",
        path: "/apps/app/events",
        query,
        body,
    };
    let _ = signing::verify(std::slice::from_ref(&app), "app", signed);
    events::read_for_fuzzing(body);
}
