//! The app's TLS certificate is verified unless verification is explicitly turned off: a
//! stand-in app on https://127.0.0.1 with a self-signed certificate is refused by default and
//! asked with `verify_tls: false`.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use sidecast_auth::{Config, LaravelAuthorizer};
use sidecast_core::{
    Access, AuthDenied, AuthRequest, Authorizer, ChannelName, Credentials, SocketId,
};
use tokio_rustls::TlsAcceptor;

/// Serves HTTPS on 127.0.0.1 with a fresh self-signed certificate; every request gets `true`.
async fn start_tls_app() -> String {
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("https://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return; // the client refused our certificate
                };
                let answer = service_fn(|_: Request<hyper::body::Incoming>| async {
                    Ok::<_, Infallible>(Response::new("true".to_owned()))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), answer)
                    .await;
            });
        }
    });
    base
}

fn request() -> AuthRequest {
    AuthRequest {
        channel: ChannelName::new("private-orders.1").unwrap(),
        socket_id: SocketId::new("sock").unwrap(),
        credentials: Credentials::Forwarded {
            headers: vec![],
            cookie: None,
            referer: None,
            address: None,
        },
    }
}

#[tokio::test]
async fn a_self_signed_certificate_is_refused_unless_verification_is_turned_off() {
    let base = start_tls_app().await;
    let config = |verify_tls| Config {
        hosts: vec![base.clone()],
        timeout: Duration::from_secs(5),
        verify_tls,
        ..Config::default()
    };

    let verified = LaravelAuthorizer::new(config(true))
        .unwrap()
        .authorize(request())
        .await;
    assert!(
        matches!(&verified, Err(AuthDenied::Failed(_))),
        "{verified:?}"
    );

    let unverified = LaravelAuthorizer::new(config(false))
        .unwrap()
        .authorize(request())
        .await;
    assert!(matches!(unverified, Ok(Access::Private)), "{unverified:?}");
}
