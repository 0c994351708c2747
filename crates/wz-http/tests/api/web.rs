//! The web pages and the demo helpers behind them, over HTTP. The pages'
//! behaviour in a browser is tested by tests/browser (Playwright).

use std::path::PathBuf;

use base64::Engine;
use serde_json::{json, Value};
use wz_testkit::{spawn_demo_server, spawn_server};

fn faces() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/faces/dev")
}

#[tokio::test]
async fn the_admin_console_offers_exactly_the_status_reasons_the_platform_accepts() {
    let server = spawn_server().await;
    let page = reqwest::get(format!("{}/admin", server.url)).await.unwrap().text().await.unwrap();
    let select = page
        .split("<select id=\"id-reason\">")
        .nth(1)
        .unwrap()
        .split("</select>")
        .next()
        .unwrap();
    for reason in wz_core::STATUS_REASONS {
        assert!(
            select.contains(&format!("<option value=\"{reason}\">")),
            "/admin does not offer {reason}"
        );
    }
    assert_eq!(
        select.matches("<option").count(),
        wz_core::STATUS_REASONS.len(),
        "/admin offers a reason the platform refuses"
    );
}

#[tokio::test]
async fn pages_and_assets_are_served_with_a_strict_policy() {
    let server = spawn_server().await;
    let http = reqwest::Client::new();
    for page in ["/", "/wallet", "/window", "/hotel", "/kiosk", "/admin", "/registry-office"] {
        let response = http.get(format!("{}{page}", server.url)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{page}");
        let csp = response.headers()["content-security-policy"].to_str().unwrap().to_owned();
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{page}: {csp}");
        assert_eq!(response.headers()["x-frame-options"], "DENY");
        assert!(response.text().await.unwrap().contains("/assets/app.js"), "{page}");
    }
    let licences = http.get(format!("{}/assets/vendor/LICENSES.md", server.url)).send().await.unwrap();
    let licences = licences.text().await.unwrap();
    assert!(licences.contains("sm-crypto") && licences.contains("jsqr") && licences.contains("Apache License"));
    let codes = http
        .get(format!("{}/assets/result-codes.js", server.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for code in wz_core::ResultCode::ALL {
        assert!(
            codes.contains(&format!("\"{}\"", code.as_str())),
            "result-codes.js lacks {}",
            code.as_str()
        );
    }
    let missing = http.get(format!("{}/assets/nope.js", server.url)).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    server.stop().await;
}

#[tokio::test]
async fn demo_helpers_do_not_exist_outside_demo_mode() {
    let server = spawn_server().await;
    let http = reqwest::Client::new();
    let setup = http.get(format!("{}/v1/demo/setup", server.url)).send().await.unwrap();
    assert_eq!(setup.status(), 404);
    let body: Value = setup.json().await.unwrap();
    assert_eq!(body["code"], "not_found");
    let terminal = http
        .post(format!("{}/v1/demo/terminals", server.url))
        .json(&json!({ "name": "x", "public_key": "04" }))
        .send()
        .await
        .unwrap();
    assert_eq!(terminal.status(), 404);
    server.stop().await;
}

#[tokio::test]
async fn demo_setup_cards_terminals_and_self_enrolment() {
    let (server, setup) = spawn_demo_server(50).await;
    let http = reqwest::Client::new();
    let url = &server.url;

    // The demo RPs' credentials work: the window can open a session.
    let shown: Value = http.get(format!("{url}/v1/demo/setup")).send().await.unwrap().json().await.unwrap();
    assert_eq!(shown["window"]["client_id"], setup.window.client_id.as_str());
    let session = http
        .post(format!("{url}/v1/sessions"))
        .basic_auth(&setup.window.client_id, Some(&setup.window.client_secret))
        .json(&json!({ "mode": "credential", "purpose": "户籍证明", "attributes": ["name"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(session.status(), 200);

    // A card file for a featured citizen parses and reads back.
    let citizen = &setup.citizens[0];
    let card = http
        .post(format!("{url}/v1/demo/cards"))
        .json(&json!({ "id_number": citizen.id_number }))
        .send()
        .await
        .unwrap();
    assert_eq!(card.status(), 200);
    let card = wz_core::CardFile::parse(&card.bytes().await.unwrap()).unwrap();
    assert_eq!(card.chip.id_number, citizen.id_number);
    let bad = http
        .post(format!("{url}/v1/demo/cards"))
        .json(&json!({ "id_number": "123" }))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);

    // A kiosk registers its key without the operator token (demo only).
    let key = wz_testkit::fresh_key("terminal");
    let terminal = http
        .post(format!("{url}/v1/demo/terminals"))
        .json(&json!({ "name": "演示终端", "public_key": hex::encode(key.verifying_key().to_sec1_bytes()) }))
        .send()
        .await
        .unwrap();
    assert_eq!(terminal.status(), 200);

    // Self-enrolment refuses a picture without a face and changes nothing.
    let before = server.opened.services.registry.count().await.unwrap();
    let mut blank = Vec::new();
    image::DynamicImage::new_rgb8(200, 200)
        .write_to(&mut std::io::Cursor::new(&mut blank), image::ImageFormat::Png)
        .unwrap();
    let refused = http
        .post(format!("{url}/v1/demo/people"))
        .json(&json!({ "name": "访客", "photo": base64::engine::general_purpose::STANDARD.encode(&blank) }))
        .send()
        .await
        .unwrap();
    let refused_status = refused.status();
    let body: Value = refused.json().await.unwrap();
    assert_eq!((refused_status.as_u16(), body["code"].as_str()), (422, Some("no_face")), "{body}");
    assert_eq!(server.opened.services.registry.count().await.unwrap(), before);

    // With a face it enrols a new person and hands over their card.
    let photo = std::fs::read(faces().join("Colin_Powell/2.jpg"));
    if let Ok(photo) = photo {
        let enrolled: Value = http
            .post(format!("{url}/v1/demo/people"))
            .json(&json!({ "name": "访客", "photo": base64::engine::general_purpose::STANDARD.encode(&photo) }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = enrolled["id_number"].as_str().unwrap();
        assert!(wz_core::NationalIdNumber::parse(id).is_ok(), "{enrolled}");
        assert_eq!(enrolled["card"]["chip"]["name"], "访客");
        assert_eq!(server.opened.services.registry.count().await.unwrap(), before + 1);
    }
    server.stop().await;
}

#[tokio::test]
async fn outcomes_are_counted_by_result_code_for_the_console_chart() {
    let (server, setup) = spawn_demo_server(20).await;
    let http = reqwest::Client::new();
    let outcome: Value = http
        .post(format!("{}/v1/authentications", server.url))
        .basic_auth(&setup.hotel.client_id, Some(&setup.hotel.client_secret))
        .json(&json!({ "mode": "qr_verify", "purpose": "入住登记", "code": "WZQR1:AAAA" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let result = outcome["result"].as_str().unwrap().to_owned();
    assert_ne!(result, "success");
    let metrics = http
        .get(format!("{}/metrics", server.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line = format!("wz_authentications_total{{channel=\"direct\",result=\"{result}\"}} 1");
    assert!(metrics.contains(&line), "{line} not in\n{metrics}");
    server.stop().await;
}
