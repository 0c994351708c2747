//! The online service hall (crate `wz-hall`) against a real platform over
//! HTTP: the hall is registered as a government OpenID Connect client, a
//! citizen signs in to it with the wallet, applies for 购房落户 with a
//! family member chosen from the household register, the rules approve it,
//! and the certificate verifies at the hall's public page from its text
//! and from a picture of its QR code; a tampered one is refused.

use std::time::Instant;

use wz_hall::certificate::DepartmentKeys;
use wz_hall::platform::Platform;
use wz_hall::registries::{Citizen, Connectors, SimulatedCity};
use wz_hall::store::HallStore;
use wz_hall::web::{system_clock, HallWeb};
use wz_hall::Hall;
use wz_proto::{CompleteSessionRequest, CredentialResponse, OidcClientSettings, RelyingPartyRequest};
use wz_testkit::{wallet, KeySigner};

use crate::credentials::{apply, dev_face, server_with_portraits};
use crate::oidc::{browser, location, wallet_approves};

/// Every `Set-Cookie` of a response, as one `Cookie` header value.
fn cookies(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
        .collect::<Vec<_>>()
        .join("; ")
}

async fn get(url: &str, cookie: &str) -> reqwest::Response {
    browser().get(url).header("cookie", cookie).send().await.unwrap()
}

async fn verify_text(hall: &str, text: &str) -> String {
    let form = reqwest::multipart::Form::new().text("text", text.to_owned());
    browser()
        .post(format!("{hall}/verify"))
        .multipart(form)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The hall registered at `server` as a government client granted the
/// full name and ID number, serving on a free port; its URL. (The demo
/// registers it with the face modes; the wallet's credential mode keeps
/// these tests to the hall's side.)
async fn start_hall(server: &wz_testkit::TestServer, people: &[wz_core::IdentityRecord]) -> (String, tempfile::TempDir) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hall_url = format!("http://{}", listener.local_addr().unwrap());
    let request = RelyingPartyRequest {
        name: "市民网上办事大厅".into(),
        category: "government".into(),
        modes: vec!["credential".into()],
        grants: vec!["name".into(), "id_number".into()],
        webhook_url: None,
        public_key: None,
        alg: None,
        oidc: Some(OidcClientSettings {
            redirect_uris: vec![format!("{hall_url}/callback")],
            jwks: None,
            id_token_signed_response_alg: None,
            access_token_lifetime_seconds: None,
        }),
    };
    let registered = server.admin.register_relying_party(&request).await.unwrap();
    let citizens: Vec<Citizen> = people
        .iter()
        .map(|p| Citizen {
            name: p.name.clone(),
            id_number: p.id_number.expose().to_owned(),
        })
        .collect();
    let today = time::OffsetDateTime::from_unix_timestamp(system_clock()() / 1000).unwrap().date();
    let city = SimulatedCity::for_citizens(&citizens, today);
    let dir = tempfile::tempdir().unwrap();
    let store = HallStore::open(&format!("sqlite://{}", dir.path().join("hall.db").display()))
        .await
        .unwrap();
    let keys = DepartmentKeys::load_or_create(&dir.path().join("keys.json")).unwrap();
    let hall = Hall::new(store, Connectors::simulated(&city), keys, format!("{hall_url}/verify"));
    let (id, secret) = (registered.relying_party.id.clone(), registered.client_secret.clone());
    let config = wz_demo_rp::DemoRpConfig {
        issuer: server.url.clone(),
        client_id: id.clone(),
        client_secret: secret.clone(),
        redirect_uri: format!("{hall_url}/callback"),
    };
    let rp = wz_demo_rp::DemoRp::discover(&config).await.unwrap();
    let platform = Platform::new(&server.url, &id, &secret, "credential");
    let web = HallWeb::new(hall, rp, hall_url.clone(), system_clock()).with_platform(platform);
    tokio::spawn(wz_hall::web::serve(listener, web, std::future::pending()));
    (hall_url, dir)
}

/// Opens `path` on the hall, which sends the browser to sign in; the
/// wallet approves; the browser's hall cookie once it is back on `path`.
async fn sign_in(server: &wz_testkit::TestServer, hall_url: &str, path: &str, phone: &KeySigner, issued: &CredentialResponse) -> String {
    let first = get(&format!("{hall_url}{path}"), "").await;
    assert_eq!(first.status(), 303);
    let login = get(&format!("{hall_url}{}", location(&first)), "").await;
    assert_eq!(login.status(), 303);
    let hall_cookie = cookies(&login);
    let authorize = location(&login);
    assert!(authorize.starts_with(&format!("{}/oidc/authorize?", server.url)), "{authorize}");
    assert!(
        authorize.contains("id_number") && authorize.contains("acr_values=L3"),
        "{authorize}"
    );
    let callback = wallet_approves(server, &authorize, phone, issued).await;
    assert!(callback.starts_with(&format!("{hall_url}/callback?")), "{callback}");
    let landed = get(&callback, &hall_cookie).await;
    assert_eq!(landed.status(), 303, "{}", landed.text().await.unwrap());
    assert_eq!(location(&landed), path, "back to where the citizen was going after signing in");
    hall_cookie
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_applies_at_the_hall_by_signing_in_and_the_certificate_verifies() {
    let (server, people) = server_with_portraits(8, |_| {}).await;
    let (hall_url, _dir) = start_hall(&server, &people).await;
    let phone = wallet();
    let me = &people[0];
    let issued = apply(&server.client, &phone, me, &dev_face("Colin_Powell/1.jpg")).await.unwrap();

    // The service needs L3: the hall sends the browser to sign in first.
    let started = Instant::now();
    let form_url = format!("{hall_url}/services/house_move");
    let hall_cookie = sign_in(&server, &hall_url, "/services/house_move", &phone, &issued).await;

    // The form is pre-filled from the registries: the home bought, the
    // household's members with masked ID numbers; nothing to type.
    let page = get(&form_url, &hall_cookie).await.text().await.unwrap();
    assert!(page.contains(r#"id="property-0""#) && page.contains(r#"id="members-0""#), "{page}");
    assert!(!page.contains(me.id_number.expose()), "the page shows masked ID numbers only");

    let submitted = browser()
        .post(&form_url)
        .header("cookie", &hall_cookie)
        .form(&[("property", "0"), ("members", "0")])
        .send()
        .await
        .unwrap();
    assert_eq!(submitted.status(), 303);
    let application_url = format!("{hall_url}{}", location(&submitted));
    let application = get(&application_url, &hall_cookie).await.text().await.unwrap();
    let elapsed = started.elapsed();
    assert!(application.contains(r#"data-state="approved""#), "{application}");
    eprintln!(
        "hall: sign-in, form and an automatic 购房落户 decision in {} ms (application to decision {} ms)",
        elapsed.as_millis(),
        application
            .split(r#"<span id="elapsed-ms">"#)
            .nth(1)
            .and_then(|rest| rest.split('<').next())
            .unwrap_or("?")
    );
    // Someone else's browser does not see it.
    assert_eq!(get(&application_url, "").await.status(), 303);

    let certificate_path = application
        .split(r#"id="certificate" href=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let certificate_page = get(&format!("{hall_url}{certificate_path}"), &hall_cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(certificate_page.contains("户口迁移登记证明") && certificate_page.contains("<svg"));
    let text = get(&format!("{hall_url}{certificate_path}/qr.txt"), &hall_cookie)
        .await
        .text()
        .await
        .unwrap();

    // Anyone verifies it: pasted, or as a picture of its QR code.
    let verified = verify_text(&hall_url, &text).await;
    assert!(verified.contains(r#"data-good="true""#), "{verified}");
    let code = qrcode::QrCode::with_error_correction_level(text.trim().as_bytes(), qrcode::EcLevel::L).unwrap();
    let picture = code.render::<image::Luma<u8>>().min_dimensions(400, 400).build();
    let mut png = Vec::new();
    image::DynamicImage::ImageLuma8(picture)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let form = reqwest::multipart::Form::new().part(
        "picture",
        reqwest::multipart::Part::bytes(png)
            .file_name("qr.png")
            .mime_str("image/png")
            .unwrap(),
    );
    let uploaded = browser()
        .post(format!("{hall_url}/verify"))
        .multipart(form)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(uploaded.contains(r#"data-good="true""#), "{uploaded}");

    // One character of the body changed: refused.
    let (head, signature) = text.trim().rsplit_once('.').unwrap();
    let mut body = head.to_owned();
    let last = body.pop().unwrap();
    body.push(if last == 'A' { 'B' } else { 'A' });
    let tampered = verify_text(&hall_url, &format!("{body}.{signature}")).await;
    assert!(tampered.contains(r#"data-good="false""#), "{tampered}");

    let keys: serde_json::Value = browser()
        .get(format!("{hall_url}/keys"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(keys["keys"].as_array().unwrap().len(), 8);
}

/// 股东变更 through the platform's multi-party transaction: the applicant
/// (a 60 % shareholder) applies, the hall opens a transaction inviting the
/// other shareholder and the new one, each opens their invitation in their
/// own wallet, and the change completes only after the last of them —
/// the hall believing each only from their signed result.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_of_shareholders_completes_when_every_party_has_authenticated_on_their_own_phone() {
    let (server, people) = server_with_portraits(8, |_| {}).await;
    let (hall_url, _dir) = start_hall(&server, &people).await;
    let faces = ["Gerhard_Schroeder/2.jpg", "Jacques_Chirac/2.jpg", "Colin_Powell/2.jpg"];
    let mut phones = Vec::new();
    for (offset, face) in faces.iter().enumerate() {
        let phone = wallet();
        let issued = apply(&server.client, &phone, &people[2 + offset], &dev_face(face)).await.unwrap();
        phones.push((phone, issued));
    }
    let cookie = sign_in(&server, &hall_url, "/services/shareholder_change", &phones[0].0, &phones[0].1).await;
    let form = get(&format!("{hall_url}/services/shareholder_change"), &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        form.contains(r#"id="company-0""#) && form.contains(r#"id="transferor-1""#),
        "{form}"
    );
    let submitted = browser()
        .post(format!("{hall_url}/services/shareholder_change"))
        .header("cookie", &cookie)
        .form(&[
            ("company", "0"),
            ("transferor", "1"),
            ("percent", "40"),
            ("transferee_name", people[4].name.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(submitted.status(), 303);
    let status_url = format!("{hall_url}{}", location(&submitted));
    let page = get(&status_url, &cookie).await.text().await.unwrap();
    assert!(page.contains(r#"data-state="awaiting_parties""#), "{page}");
    let invitation = |page: &str, role: &str| -> String {
        let row = page.split(&format!(r#"<tr data-role="{role}">"#)).nth(1).unwrap();
        row.split(r#"data-payload=""#).nth(1).unwrap().split('"').next().unwrap().to_owned()
    };
    let (transferor, transferee) = (invitation(&page, "transferor"), invitation(&page, "transferee"));
    assert!(transferor.starts_with("WZI1:") && transferee.starts_with("WZI1:"));

    let open = |index: usize, code: String| {
        let (phone, issued) = &phones[index];
        let client = &server.client;
        async move {
            let scanned = client.scan_session(&code, phone).await.unwrap();
            client.consent_session(&scanned.session_id, phone).await.unwrap();
            let proof = CompleteSessionRequest {
                code: phone.qr(&issued.credential, &issued.qr_key).unwrap(),
                ..Default::default()
            };
            client.complete_session(&scanned.session_id, &proof, phone).await.unwrap();
        }
    };
    open(1, transferor).await;
    let page = get(&status_url, &cookie).await.text().await.unwrap();
    assert!(page.contains(r#"data-state="awaiting_parties""#), "two of three: {page}");
    assert!(page.contains(r#"<tr data-role="transferor">"#) && page.contains(r#"data-done="true""#));
    open(2, transferee).await;
    let page = get(&status_url, &cookie).await.text().await.unwrap();
    assert!(page.contains(r#"data-state="approved""#), "all three: {page}");
    assert!(page.contains(r#"id="certificate""#));
}
