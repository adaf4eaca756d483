//! Entry point for the fuzz targets (`fuzz/`) and the property tests that run the same inputs
//! on stable (`tests/hostile_input.rs`): a client's message through every parser it reaches.

use crate::protocol::{ClientMessage, SignedInUser, SigninData, SubscribeData, data_as};

/// A text message from a Pusher client, read as the connection reads it.
pub fn client_message(text: &str) {
    let Ok(message) = serde_json::from_str::<ClientMessage>(text) else {
        return;
    };
    let data = message.data.as_deref();
    let _ = data_as::<SubscribeData>(data);
    if let Ok(signin) = data_as::<SigninData>(data) {
        let _ = serde_json::from_str::<SignedInUser>(&signin.user_data);
    }
}
