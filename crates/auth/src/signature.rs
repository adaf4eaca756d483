//! The Pusher protocol's channel authorization: the client asked the app's auth endpoint,
//! which answered with a signature — `<key>:<hex HMAC-SHA256(secret, "<socket_id>:<channel>")>`,
//! with `:<channel_data>` appended for a presence channel — and the server checks it with the
//! app's secret. Nothing is asked over the network: the app already decided.
//!
//! The signature is checked over the exact `channel_data` bytes the client sent, never over a
//! re-serialization, and compared in constant time.

use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;
use sha2::Sha256;
use sidecast_core::{
    Access, AuthDenied, AuthRequest, Authorization, Authorizer, ChannelKind, Credentials, Member,
    SocketId,
};

/// Checks signatures made with one app's key and secret.
#[derive(Clone)]
pub struct SignatureAuthorizer {
    key: String,
    secret: String,
}

impl std::fmt::Debug for SignatureAuthorizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignatureAuthorizer")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// What a presence channel's `channel_data` holds.
#[derive(Deserialize)]
struct ChannelData {
    user_id: Value,
    #[serde(default)]
    user_info: Option<Box<RawValue>>,
}

impl SignatureAuthorizer {
    pub fn new(key: impl Into<String>, secret: impl Into<String>) -> Self {
        SignatureAuthorizer {
            key: key.into(),
            secret: secret.into(),
        }
    }

    /// The access a signed subscription grants, if its signature is the app's.
    pub fn check(&self, request: &AuthRequest) -> Result<Access, AuthDenied> {
        let result = self.decide(request);
        crate::metrics::METRICS.signed(&result);
        result
    }

    fn decide(&self, request: &AuthRequest) -> Result<Access, AuthDenied> {
        let Credentials::Signed { auth, channel_data } = &request.credentials else {
            return Err(AuthDenied::Failed(
                "this subscription must be signed by the app (Pusher clients)".to_owned(),
            ));
        };
        let kind = request.channel.kind();
        let mut signed = format!("{}:{}", request.socket_id, request.channel);
        if kind == ChannelKind::Presence {
            let data = channel_data.as_deref().ok_or_else(|| {
                AuthDenied::BadSignature("a presence channel needs channel_data".to_owned())
            })?;
            signed.push(':');
            signed.push_str(data);
        }
        self.verify(auth, &signed)?;
        match kind {
            ChannelKind::Public => Ok(Access::Public),
            ChannelKind::Private => Ok(Access::Private),
            ChannelKind::Presence => {
                let data = channel_data.as_deref().unwrap_or_default();
                Ok(Access::Presence(member(data)?))
            }
        }
    }

    /// Checks a user's sign-in (`pusher:signin`): `auth` must sign
    /// `"<socket_id>::user::<user_data>"`, over the exact `user_data` bytes the client sent.
    pub fn check_sign_in(
        &self,
        socket_id: &SocketId,
        auth: &str,
        user_data: &str,
    ) -> Result<(), AuthDenied> {
        self.verify(auth, &format!("{socket_id}::user::{user_data}"))
    }

    /// Checks that `auth` is `<this app's key>:<hex HMAC-SHA256 of signed>`.
    fn verify(&self, auth: &str, signed: &str) -> Result<(), AuthDenied> {
        let bad = |why: &str| AuthDenied::BadSignature(why.to_owned());
        let (key, hex) = auth
            .split_once(':')
            .ok_or_else(|| bad("expected \"<key>:<signature>\""))?;
        if key != self.key {
            return Err(bad("signed with another app's key"));
        }
        match signature_matches(&self.secret, signed, hex) {
            Ok(true) => Ok(()),
            Ok(false) => Err(bad(&format!("not the app's HMAC-SHA256 of {signed:?}"))),
            Err(NotHex) => Err(bad("the signature is not hexadecimal")),
        }
    }
}

impl Authorizer for SignatureAuthorizer {
    fn authorize(&self, request: AuthRequest) -> Authorization {
        Box::pin(std::future::ready(self.check(&request)))
    }
}

/// The member a presence channel's `channel_data` describes: `user_info` may be absent.
fn member(channel_data: &str) -> Result<Member, AuthDenied> {
    let unusable = |why: String| AuthDenied::Unusable(format!("channel_data: {why}"));
    let data: ChannelData =
        serde_json::from_str(channel_data).map_err(|error| unusable(error.to_string()))?;
    let info = match data.user_info {
        Some(info) => info,
        None => RawValue::from_string("null".to_owned()).map_err(|e| unusable(e.to_string()))?,
    };
    Member::new(data.user_id, info).map_err(|error| unusable(error.to_string()))
}

/// A signature that is not hexadecimal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotHex;

/// Whether `hex` is the hex HMAC-SHA256 of `text` with `secret`, compared in constant time:
/// how every Pusher signature is checked, subscriptions and sign-ins here, HTTP API requests in
/// `sidecast-api`.
pub fn signature_matches(secret: &str, text: &str, hex: &str) -> Result<bool, NotHex> {
    let signature = decode_hex(hex).ok_or(NotHex)?;
    // HMAC takes keys of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(text.as_bytes());
    Ok(mac.verify_slice(&signature).is_ok())
}

/// The hex HMAC-SHA256 of `text` with `secret`: how the sidecar signs what it sends in the
/// app's name (webhooks' `X-Pusher-Signature`).
pub fn signature(secret: &str, text: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(text.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(text.get(at..at + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests;
