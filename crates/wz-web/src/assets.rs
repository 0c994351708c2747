//! The embedded files: pages by path, assets by name.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// An embedded file.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    /// Name under `/assets/`.
    pub path: &'static str,
    /// Content type.
    pub content_type: &'static str,
    /// Contents.
    pub body: &'static [u8],
}

/// A page: its own `<main>` and scripts inside the shared layout.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    /// URL path.
    pub path: &'static str,
    /// Document title (both languages).
    pub title: &'static str,
    /// i18n key of the name shown in the top bar.
    pub heading: &'static str,
    /// The page's `<main>` element.
    pub main: &'static str,
    /// Whether it signs or verifies with SM2 (loads sm-crypto and
    /// `wallet-crypto.js` before its own scripts).
    pub crypto: bool,
    /// Its scripts under `/assets/`, after the shared ones.
    pub scripts: &'static [&'static str],
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const SHARED_SCRIPTS: &[&str] = &["i18n.js", "result-codes.js", "app.js"];
const CRYPTO_SCRIPTS: &[&str] = &["vendor/sm3.js", "vendor/sm2.js", "wallet-crypto.js"];
/// The relying-party sign-in form, shared by the window and hotel consoles
/// (a page places it with `{{rp-signin}}`).
const RP_SIGNIN: &str = include_str!("../pages/rp-signin.html");

macro_rules! page {
    ($path:literal, $file:literal, $title:literal, $heading:literal, crypto: $crypto:literal, [$($script:literal),*]) => {
        Page { path: $path, title: $title, heading: $heading, main: include_str!(concat!("../pages/", $file)), crypto: $crypto, scripts: &[$($script),*] }
    };
}
macro_rules! asset {
    ($name:literal, $type:expr) => {
        Asset {
            path: $name,
            content_type: $type,
            body: include_bytes!(concat!("../assets/", $name)),
        }
    };
}

/// The pages, by URL path.
#[rustfmt::skip]
pub static PAGES: &[Page] = &[
    page!("/", "index.html", "网证 WangZheng", "index.tagline", crypto: false, ["index.js"]),
    page!("/wallet", "wallet.html", "网证钱包 · WangZheng wallet", "wallet.title", crypto: true, ["vendor/jsQR.js", "camera.js", "wallet.js"]),
    page!("/window", "window.html", "政务服务窗口 · Service window", "window.title", crypto: true, ["window.js"]),
    page!("/hotel", "hotel.html", "酒店前台 · Hotel desk", "hotel.title", crypto: true, ["vendor/jsQR.js", "camera.js", "hotel.js"]),
    page!("/kiosk", "kiosk.html", "可信终端 · Trusted terminal", "kiosk.title", crypto: true, ["camera.js", "kiosk.js"]),
    page!("/admin", "admin.html", "运营管理台 · Admin console", "admin.title", crypto: false, ["admin.js"]),
    page!("/oidc/signin", "oidc-signin.html", "网证登录 · Sign in with WangZheng", "oidc.title", crypto: false, ["oidc-signin.js"]),
    page!("/registry-office", "registry-office.html", "示范办证大厅 · Demo registry office", "office.title", crypto: false, ["camera.js", "registry-office.js"]),
];

/// Scripts, styles and vendored libraries, by name under `/assets/`.
pub static ASSETS: &[Asset] = &[
    asset!("app.css", "text/css; charset=utf-8"),
    asset!("app.js", JS),
    asset!("i18n.js", JS),
    asset!("wallet-crypto.js", JS),
    asset!("camera.js", JS),
    asset!("index.js", JS),
    asset!("wallet.js", JS),
    asset!("window.js", JS),
    asset!("hotel.js", JS),
    asset!("kiosk.js", JS),
    asset!("admin.js", JS),
    asset!("registry-office.js", JS),
    asset!("oidc-signin.js", JS),
    asset!("vendor/sm2.js", JS),
    asset!("vendor/sm3.js", JS),
    asset!("vendor/jsQR.js", JS),
    asset!("vendor/LICENSES.md", "text/markdown; charset=utf-8"),
];

impl Page {
    /// The whole document: head, top bar with the language switch, the
    /// page's main, footer, shared then page scripts.
    pub fn render(&self) -> String {
        let crypto = if self.crypto { CRYPTO_SCRIPTS } else { &[] };
        let scripts: String = SHARED_SCRIPTS
            .iter()
            .chain(crypto)
            .chain(self.scripts)
            .map(|name| format!("<script src=\"/assets/{name}\"></script>\n"))
            .collect();
        format!(
            "<!doctype html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{title}</title>\n\
             <link rel=\"stylesheet\" href=\"/assets/app.css\">\n</head>\n<body>\n\
             <header class=\"bar\"><a class=\"brand\" href=\"/\">网证</a><span class=\"who\" data-i18n=\"{heading}\"></span>\
             <button id=\"lang\" type=\"button\">English</button></header>\n{main}<footer data-i18n=\"footer\"></footer>\n{scripts}</body>\n</html>\n",
            title = self.title,
            heading = self.heading,
            main = self.main.replace("{{rp-signin}}", RP_SIGNIN),
        )
    }
}

/// Everything served is fixed for a build, so it is prepared once: pages
/// rendered, asset `ETag`s hashed, the result-code table serialised.
struct Prepared {
    pages: Vec<String>,
    etags: Vec<String>,
    result_codes: String,
}

static PREPARED: LazyLock<Prepared> = LazyLock::new(|| Prepared {
    pages: PAGES.iter().map(Page::render).collect(),
    etags: ASSETS.iter().map(|asset| etag(asset.body)).collect(),
    result_codes: result_codes_script(),
});

fn respond(content_type: &'static str, body: impl Into<axum::body::Body>) -> Response {
    let mut response = Response::new(body.into());
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Pages may use the camera of this origin only; nothing is framed.
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self'; script-src 'self'; connect-src 'self'"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

pub(crate) async fn serve_page(index: usize) -> Response {
    respond(HTML, PREPARED.pages[index].as_str())
}

/// A validator for an embedded file: its contents' hash, fixed for a build.
fn etag(body: &[u8]) -> String {
    use std::hash::{Hash, Hasher};
    // DefaultHasher::new() has fixed keys: the same bytes give the same tag
    // in every process of this build.
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    body.hash(&mut hasher);
    format!("\"{:016x}\"", hasher.finish())
}

/// Serves an asset with an `ETag`; a matching `If-None-Match` gets 304, so
/// a returning phone does not download the scripts again.
pub(crate) async fn serve_asset(Path(name): Path<String>, headers: HeaderMap) -> Response {
    let Some(index) = ASSETS.iter().position(|asset| asset.path == name) else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    let tag = PREPARED.etags[index].as_str();
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(tag) {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let mut response = respond(ASSETS[index].content_type, ASSETS[index].body);
    if let Ok(value) = HeaderValue::from_str(tag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

/// `window.WZ_CODES`: every result code's Chinese and English message, from
/// `wz_core::ResultCode`, so pages explain outcomes in the API's own words.
pub(crate) async fn result_codes() -> Response {
    let mut response = (StatusCode::OK, PREPARED.result_codes.as_str()).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(JS));
    response
}

fn result_codes_script() -> String {
    let table: serde_json::Map<String, serde_json::Value> = wz_core::ResultCode::ALL
        .iter()
        .map(|code| (code.as_str().to_owned(), serde_json::json!([code.message_zh(), code.message_en()])))
        .collect();
    format!("window.WZ_CODES = {};\n", serde_json::Value::Object(table))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `/assets/…` a page or script names is embedded, so a renamed
    /// file cannot leave a page broken.
    #[test]
    fn every_referenced_asset_is_embedded() {
        let pages = PAGES.iter().map(|p| (p.path, p.render()));
        let assets = ASSETS.iter().map(|a| (a.path, String::from_utf8_lossy(a.body).into_owned()));
        for (path, text) in pages.chain(assets) {
            for (at, _) in text.match_indices("/assets/") {
                let rest = &text[at + "/assets/".len()..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/'))
                    .collect();
                if name.is_empty() || name.ends_with('/') {
                    continue;
                }
                assert!(
                    name == "result-codes.js" || ASSETS.iter().any(|a| a.path == name),
                    "{path} names /assets/{name}, which is not embedded"
                );
            }
        }
    }

    #[tokio::test]
    async fn assets_carry_an_etag_and_answer_304_to_it() {
        use tower::ServiceExt;
        let app = crate::router::<()>();
        let get = |tag: Option<&str>| {
            let mut request = axum::http::Request::get("/assets/app.js");
            if let Some(tag) = tag {
                request = request.header(header::IF_NONE_MATCH, tag);
            }
            request.body(axum::body::Body::empty()).unwrap_or_default()
        };
        let first = app
            .clone()
            .oneshot(get(None))
            .await
            .map(|r| (r.status(), r.headers().get(header::ETAG).cloned()));
        let Ok((StatusCode::OK, Some(tag))) = first else {
            panic!("first fetch: {first:?}");
        };
        let again = app.clone().oneshot(get(tag.to_str().ok())).await.map(|r| r.status());
        assert!(matches!(again, Ok(StatusCode::NOT_MODIFIED)), "{again:?}");
        let other = app.oneshot(get(Some("\"0\""))).await.map(|r| r.status());
        assert!(matches!(other, Ok(StatusCode::OK)), "{other:?}");
    }

    /// Every page has a language switch and loads the shared script.
    #[test]
    fn pages_share_the_layout() {
        for page in PAGES {
            let text = page.render();
            assert!(text.contains("/assets/app.js"), "{} does not load app.js", page.path);
            assert!(text.contains("id=\"lang\""), "{} has no language switch", page.path);
            assert!(text.contains("name=\"viewport\""), "{} is not phone-sized", page.path);
            assert!(!text.contains("{{"), "{} has an unreplaced include", page.path);
        }
    }
}
