//! Pusher's documented worked examples (key `278d425bdf160c739803`, secret
//! `7ad3773142a6692b25b8`), with the digests computed independently.

use sidecast_core::{ChannelName, SocketId};

use super::*;

const KEY: &str = "278d425bdf160c739803";
const SECRET: &str = "7ad3773142a6692b25b8";
const PRIVATE: &str = "58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4";
const PRESENCE: &str = "31935e7d86dba64c2a90aed31fdc61869f9b22ba9d8863bba239c03ca481bc80";
const CHANNEL_DATA: &str = r#"{"user_id":10,"user_info":{"name":"Mr. Channels"}}"#;

fn request(channel: &str, auth: String, channel_data: Option<&str>) -> AuthRequest {
    AuthRequest {
        channel: ChannelName::new(channel).unwrap(),
        socket_id: SocketId::new("1234.1234").unwrap(),
        credentials: Credentials::Signed {
            auth,
            channel_data: channel_data.map(str::to_owned),
        },
    }
}

fn authorizer() -> SignatureAuthorizer {
    SignatureAuthorizer::new(KEY, SECRET)
}

#[test]
fn the_apps_private_signature_grants_the_channel() {
    let granted = authorizer().check(&request("private-foobar", format!("{KEY}:{PRIVATE}"), None));
    assert!(matches!(granted, Ok(Access::Private)));
}

#[test]
fn the_apps_presence_signature_grants_the_member_it_describes() {
    let granted = authorizer().check(&request(
        "presence-foobar",
        format!("{KEY}:{PRESENCE}"),
        Some(CHANNEL_DATA),
    ));
    let Ok(Access::Presence(member)) = granted else {
        panic!("a presence grant: {granted:?}");
    };
    assert_eq!(member.key(), "10");
    assert_eq!(member.user_info().get(), r#"{"name":"Mr. Channels"}"#);
}

#[test]
fn presence_data_is_checked_as_sent_not_as_reserialized() {
    // The same member with a space: another string, so another signature.
    let respaced = r#"{"user_id": 10,"user_info":{"name":"Mr. Channels"}}"#;
    let denied = authorizer().check(&request(
        "presence-foobar",
        format!("{KEY}:{PRESENCE}"),
        Some(respaced),
    ));
    assert!(matches!(denied, Err(AuthDenied::BadSignature(_))));
}

#[test]
fn signatures_for_another_socket_channel_key_or_secret_are_refused() {
    let cases = [
        request("private-other", format!("{KEY}:{PRIVATE}"), None),
        request("private-foobar", format!("other-key:{PRIVATE}"), None),
        request("private-foobar", format!("{KEY}:{}", &PRIVATE[..62]), None),
        request("private-foobar", format!("{KEY}:zz{}", &PRIVATE[2..]), None),
        request("private-foobar", PRIVATE.to_owned(), None),
        request("private-foobar", String::new(), None),
        request("presence-foobar", format!("{KEY}:{PRESENCE}"), None),
    ];
    for case in cases {
        let denied = authorizer().check(&case);
        assert!(
            matches!(denied, Err(AuthDenied::BadSignature(_))),
            "{case:?}: {denied:?}"
        );
        assert_eq!(denied.unwrap_err().status(), 401);
    }
    let wrong_secret = SignatureAuthorizer::new(KEY, "another-secret");
    let denied = wrong_secret.check(&request("private-foobar", format!("{KEY}:{PRIVATE}"), None));
    assert!(matches!(denied, Err(AuthDenied::BadSignature(_))));
}

#[test]
fn signed_channel_data_that_names_nobody_is_unusable() {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    let data = r#"{"user_info":{}}"#;
    mac.update(format!("1234.1234:presence-foobar:{data}").as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let denied = authorizer().check(&request(
        "presence-foobar",
        format!("{KEY}:{hex}"),
        Some(data),
    ));
    assert!(matches!(denied, Err(AuthDenied::Unusable(_))), "{denied:?}");
}

#[test]
fn forwarded_credentials_are_not_this_authorizers_to_judge() {
    let forwarded = AuthRequest {
        channel: ChannelName::new("private-foobar").unwrap(),
        socket_id: SocketId::new("1234.1234").unwrap(),
        credentials: Credentials::Forwarded {
            headers: Vec::new(),
            cookie: None,
            referer: None,
            address: None,
        },
    };
    assert!(matches!(
        authorizer().check(&forwarded),
        Err(AuthDenied::Failed(_))
    ));
}

#[test]
fn a_sign_in_is_checked_over_the_exact_user_data() {
    const USER: &str = "bfa914eeb7fd4d065731cf8e8aa3b9c4e3e6bd98f35474a1640f273824981425";
    let user_data = r#"{"id":"12345","user_info":{"name":"Ann"}}"#;
    let socket = SocketId::new("1234.1234").unwrap();
    let auth = format!("{KEY}:{USER}");
    assert_eq!(
        authorizer().check_sign_in(&socket, &auth, user_data),
        Ok(())
    );
    // The same user, serialized differently, is not what the app signed.
    let respaced = r#"{"id": "12345","user_info":{"name":"Ann"}}"#;
    assert!(
        authorizer()
            .check_sign_in(&socket, &auth, respaced)
            .is_err()
    );
    let other = SocketId::new("1234.1235").unwrap();
    assert!(
        authorizer()
            .check_sign_in(&other, &auth, user_data)
            .is_err()
    );
    let wrong_key = format!("other:{USER}");
    assert!(
        authorizer()
            .check_sign_in(&socket, &wrong_key, user_data)
            .is_err()
    );
}

#[test]
fn a_signature_made_here_is_one_that_matches() {
    // Pusher's documented example: HMAC-SHA256 of the string with the secret, in hex.
    let made = super::signature("7ad3773142a6692b25b8", "1234.1234:private-foobar");
    assert_eq!(
        made,
        "58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4"
    );
    assert_eq!(
        super::signature_matches("7ad3773142a6692b25b8", "1234.1234:private-foobar", &made),
        Ok(true)
    );
}
