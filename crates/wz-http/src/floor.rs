//! The HTTP floor (issue #19): the least an axum handler can do for a
//! request — read its JSON body, parse it, answer a small JSON object —
//! served alone in its own process, so a benchmark can state a real
//! endpoint's server CPU per request as a multiple of this one, measured
//! in the same run on the same machine. It has no state, no middleware
//! and no personal data; nothing in the product serves it.

use axum::routing::{get, post};
use axum::{Json, Router};

/// `POST /floor` (parse the body, answer) and `GET /metrics` (the
/// process's CPU seconds, as the real server reports them).
pub fn floor_router() -> Router {
    Router::new().route("/floor", post(answer)).route("/metrics", get(metrics))
}

/// Serves [`floor_router`] on `listener` until the process ends.
pub async fn serve_floor(listener: tokio::net::TcpListener) -> std::io::Result<()> {
    axum::serve(listener, floor_router()).await
}

async fn answer(Json(body): Json<serde_json::Value>) -> Json<serde_json::Value> {
    let fields = body.as_object().map_or(0, serde_json::Map::len);
    Json(serde_json::json!({ "result": "success", "fields": fields }))
}

async fn metrics() -> String {
    let seconds = crate::process_cpu_seconds().unwrap_or(0.0);
    format!("# TYPE process_cpu_seconds counter\nprocess_cpu_seconds_total {seconds}\n")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use tower::ServiceExt;

    use super::*;

    #[tokio::test]
    async fn the_floor_parses_the_body_and_refuses_what_is_not_json() {
        let request = |body: &'static str| {
            axum::http::Request::post("/floor")
                .header("content-type", "application/json")
                .body(axum::body::Body::from(body))
                .unwrap()
        };
        let ok = floor_router().oneshot(request(r#"{"code":"abc","x":1}"#)).await.unwrap();
        assert_eq!(ok.status(), 200);
        let body = axum::body::to_bytes(ok.into_body(), 1024).await.unwrap();
        let answer: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(answer, serde_json::json!({ "result": "success", "fields": 2 }));
        let bad = floor_router().oneshot(request("{not json")).await.unwrap();
        assert_eq!(bad.status(), 400);
    }
}
