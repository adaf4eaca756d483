//! `apiOriginAllow`: the fixed CORS headers laravel-echo-server added to API answers when
//! `allowCors` was on, and an answer to browsers' preflight requests.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::IntoResponse;

/// The three header values, as the config file gives them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cors {
    pub allow_origin: String,
    pub allow_methods: String,
    pub allow_headers: String,
}

pub(crate) fn apply(router: Router, cors: Cors) -> Router {
    router.layer(middleware::from_fn(
        move |request: Request<Body>, next: Next| {
            let cors = cors.clone();
            async move {
                let mut response = if request.method() == Method::OPTIONS {
                    StatusCode::NO_CONTENT.into_response()
                } else {
                    next.run(request).await
                };
                let headers = response.headers_mut();
                for (name, value) in [
                    (header::ACCESS_CONTROL_ALLOW_ORIGIN, &cors.allow_origin),
                    (header::ACCESS_CONTROL_ALLOW_METHODS, &cors.allow_methods),
                    (header::ACCESS_CONTROL_ALLOW_HEADERS, &cors.allow_headers),
                ] {
                    if let Ok(value) = HeaderValue::from_str(value) {
                        headers.insert(name, value);
                    }
                }
                response
            }
        },
    ))
}
