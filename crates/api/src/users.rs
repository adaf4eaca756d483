//! Pusher's `POST /apps/{appId}/users/{userId}/terminate_connections`: closes every connection
//! signed in as that user, on this node and, through the cluster, on the others.

use axum::Json;
use axum::extract::Path;
use axum::http::StatusCode;
use serde_json::{Value, json};
use sidecast_core::Origin;

use crate::Failure;
use crate::access::{Admitted, Caller};

pub(crate) async fn terminate(
    Path((app_id, user)): Path<(String, String)>,
    admitted: Admitted,
) -> Result<Json<Value>, Failure> {
    if admitted.caller != Caller::Pusher {
        return Err(Failure::new(
            StatusCode::BAD_REQUEST,
            "terminate_connections takes Pusher-signed requests only",
        ));
    }
    let closed = admitted.target.hub.terminate_user(&user, Origin::ThisNode);
    tracing::info!(%app_id, %user, closed_here = closed, "a user's connections were terminated over HTTP");
    Ok(Json(json!({})))
}
