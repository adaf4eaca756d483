//! Pusher's `POST /apps/{appId}/users/{userId}/terminate_connections`: closes every connection
//! signed in as that user, on this node.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::access::{Admitted, Caller};
use crate::{Api, Failure};

/// Closes a signed-in user's connections and says how many there were; a front end with
/// signed-in users (the Pusher one) provides it.
pub type Terminate = Arc<dyn Fn(&str) -> usize + Send + Sync>;

pub(crate) async fn terminate(
    State(api): State<Arc<Api>>,
    Path((app_id, user)): Path<(String, String)>,
    admitted: Admitted,
) -> Result<Json<Value>, Failure> {
    if admitted.caller != Caller::Pusher {
        return Err(Failure::new(
            StatusCode::BAD_REQUEST,
            "terminate_connections takes Pusher-signed requests only",
        ));
    }
    let closed = api
        .terminate
        .as_ref()
        .map_or(0, |terminate| terminate(&user));
    tracing::info!(%app_id, %user, closed, "a user's connections were terminated over HTTP");
    Ok(Json(json!({})))
}
