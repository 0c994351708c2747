//! `GET /`: a landing page listing what this server offers.

use axum::response::Html;

/// The landing page.
pub(crate) async fn show() -> Html<&'static str> {
    Html(include_str!("index.html"))
}
