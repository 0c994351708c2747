//! The pages people use: the citizen's wallet, the service-window console,
//! the hotel desk, the trusted-terminal kiosk, the admin console and, in demo
//! mode, the registry office. Static HTML, CSS and plain JavaScript compiled
//! into the binary (no front-end build), talking to the public `/v1` API like
//! any other client. Server-side helpers: QR codes drawn as SVG, and the
//! result-code table as a script.
//!
//! The wallet keeps its SM2 device key and credential in the browser's
//! storage and signs its requests there (vendored `sm-crypto`); scanning
//! uses the vendored `jsQR`. Licences are in `assets/vendor/LICENSES.md`.

mod assets;
mod qr_svg;

use axum::routing::get;
use axum::Router;

pub use assets::{Asset, Page, ASSETS, PAGES};

/// Routes for the pages (`/wallet`, `/window`, …), `/assets/{name}` and
/// `/qr.svg?text=…`. Stateless: merge it into any router.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    let mut router = Router::new()
        .route("/assets/result-codes.js", get(assets::result_codes))
        .route("/assets/{*name}", get(assets::serve_asset))
        .route("/qr.svg", get(qr_svg::render));
    for (index, page) in PAGES.iter().enumerate() {
        router = router.route(page.path, get(move || assets::serve_page(index)));
    }
    // Pages and scripts are text: gzip cuts the wallet's download about
    // fourfold. The API is left alone (server-sent events must stream).
    router.layer(tower_http::compression::CompressionLayer::new().gzip(true))
}
