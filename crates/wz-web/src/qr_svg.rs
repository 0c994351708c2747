//! QR images drawn on the server, so pages need no QR-drawing script.

use axum::extract::Query;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};
use serde::Deserialize;

/// Longest text drawn (a wallet code is about 1.1 KB).
const MAX_TEXT: usize = 2048;

#[derive(Deserialize)]
pub(crate) struct QrQuery {
    text: String,
}

/// `GET /qr.svg?text=…`: the text as a QR code (error correction M). The
/// text is not stored or logged.
pub(crate) async fn render(Query(query): Query<QrQuery>) -> Response {
    if query.text.is_empty() || query.text.len() > MAX_TEXT {
        return (StatusCode::BAD_REQUEST, "text must be 1 to 2048 bytes").into_response();
    }
    match QrCode::with_error_correction_level(query.text.as_bytes(), EcLevel::M) {
        Ok(code) => {
            let image = code.render::<svg::Color<'_>>().min_dimensions(240, 240).quiet_zone(true).build();
            let mut response = image.into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/svg+xml"));
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(_) => (StatusCode::BAD_REQUEST, "text does not fit in a QR code").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    #[tokio::test]
    async fn draws_a_code_and_refuses_empty_text() {
        let app = crate::router::<()>();
        let ok = app
            .clone()
            .oneshot(Request::get("/qr.svg?text=WZS1%3Aabc").body(Body::empty()).unwrap_or_default())
            .await;
        let ok = ok.map(|r| (r.status(), r.headers().get("content-type").cloned()));
        assert!(
            matches!(ok, Ok((axum::http::StatusCode::OK, Some(ref t))) if t == "image/svg+xml"),
            "{ok:?}"
        );
        let empty = app
            .oneshot(Request::get("/qr.svg?text=").body(Body::empty()).unwrap_or_default())
            .await;
        assert!(matches!(empty.map(|r| r.status()), Ok(axum::http::StatusCode::BAD_REQUEST)));
    }
}
