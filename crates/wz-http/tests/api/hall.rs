//! The online service hall (crate `wz-hall`) against a real platform over
//! HTTP: the hall is registered as a government OpenID Connect client, a
//! citizen signs in to it with the wallet, applies for 购房落户 with a
//! family member chosen from the household register, the rules approve it,
//! and the certificate verifies at the hall's public page from its text
//! and from a picture of its QR code; a tampered one is refused.

use std::time::Instant;

use base64::Engine;

use wz_hall::certificate::DepartmentKeys;
use wz_hall::platform::Platform;
use wz_hall::registries::{Citizen, Connectors, SimulatedCity};
use wz_hall::store::{HallStore, OfficerRow};
use wz_hall::web::{system_clock, HallWeb};
use wz_hall::Hall;
use wz_proto::{CompleteSessionRequest, CredentialResponse, OidcClientSettings, RelyingPartyRequest};
use wz_testkit::{wallet, KeySigner};

use crate::credentials::{apply, dev_face, server_with_portraits};
use crate::credentials::{enrol_at_terminal, terminal};
use crate::oidc::{browser, location, wallet_approves_with, Face};

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

/// The page at `url`, as the browser with `cookie` reads it.
async fn text(url: &str, cookie: &str) -> String {
    get(url, cookie).await.text().await.unwrap()
}

/// Posts `form` to `url` as the signed-in browser; where it was sent (the
/// application's status page).
async fn submit(hall_url: &str, url: &str, cookie: &str, form: &[(&str, &str)]) -> String {
    let submitted = browser().post(url).header("cookie", cookie).form(form).send().await.unwrap();
    assert_eq!(submitted.status(), 303, "{}", submitted.text().await.unwrap());
    format!("{hall_url}{}", location(&submitted))
}

/// The page at `url` once it holds `needle` `times` times (the hall
/// records parties' results every 2 s), failing after 15 s.
async fn once_shown(url: &str, cookie: &str, needle: &str, times: usize) -> String {
    let deadline = Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let page = text(url, cookie).await;
        let shown = page.matches(needle).count() >= times;
        if shown || Instant::now() > deadline {
            assert!(shown, "{needle} never shown {times} times: {page}");
            return page;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// The value of the attribute that follows `marker` up to its closing quote.
fn after<'a>(page: &'a str, marker: &str) -> &'a str {
    page.split(marker)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("{marker} not in {page}"))
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
    start_hall_with(server, people, None, false).await
}

/// [`start_hall`] with `officer` registered in the hall's back office (the
/// client is allowed L4, password and face, which officers sign in at);
/// `live`: registered with the face modes only, and admitting only sign-ins
/// that proved a live person (as `wz hall serve` does).
async fn start_hall_with(
    server: &wz_testkit::TestServer,
    people: &[wz_core::IdentityRecord],
    officer: Option<&wz_core::IdentityRecord>,
    live: bool,
) -> (String, tempfile::TempDir) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hall_url = format!("http://{}", listener.local_addr().unwrap());
    let request = RelyingPartyRequest {
        name: "市民网上办事大厅".into(),
        category: "government".into(),
        modes: if live {
            vec!["portrait_credential".into(), "portrait_credential_pin".into()]
        } else {
            vec!["credential".into(), "portrait_credential_pin".into()]
        },
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
    if let Some(officer) = officer {
        let row = OfficerRow {
            id_number: officer.id_number.expose().to_owned(),
            name: officer.name.clone(),
            added_at: 0,
            active: true,
        };
        store.add_officer(&row, &[]).await.unwrap();
    }
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
    let web = if live { web.requiring_live_sign_in() } else { web };
    tokio::spawn(wz_hall::web::serve(listener, web, std::future::pending()));
    (hall_url, dir)
}

/// Opens `path` on the hall, which sends the browser to sign in; the
/// wallet approves; the browser's hall cookie once it is back on `path`.
async fn sign_in(server: &wz_testkit::TestServer, hall_url: &str, path: &str, phone: &KeySigner, issued: &CredentialResponse) -> String {
    sign_in_at(server, hall_url, path, phone, issued, None).await
}

/// [`sign_in`] at L4: the wallet adds a still portrait and the password.
async fn sign_in_at(
    server: &wz_testkit::TestServer,
    hall_url: &str,
    path: &str,
    phone: &KeySigner,
    issued: &CredentialResponse,
    l4: Option<(String, String)>,
) -> String {
    let level = if l4.is_some() { "L4" } else { "L3" };
    let (portrait, password) = l4.unzip();
    let (landed, hall_cookie) = signing_in(
        server,
        hall_url,
        path,
        (phone, issued),
        level,
        (portrait.map(Face::Still), password),
    )
    .await;
    assert_eq!(landed.status(), 303, "{}", landed.text().await.unwrap());
    assert_eq!(location(&landed), path, "back to where the citizen was going after signing in");
    hall_cookie
}

/// Opens `path` on the hall, which sends the browser to sign in at
/// `level`; the wallet approves showing `face` (and the password); the
/// hall's answer to the callback, and the browser's hall cookie.
async fn signing_in(
    server: &wz_testkit::TestServer,
    hall_url: &str,
    path: &str,
    (phone, issued): (&KeySigner, &CredentialResponse),
    level: &str,
    (face, password): (Option<Face>, Option<String>),
) -> (reqwest::Response, String) {
    let first = get(&format!("{hall_url}{path}"), "").await;
    assert_eq!(first.status(), 303);
    let login = get(&format!("{hall_url}{}", location(&first)), "").await;
    assert_eq!(login.status(), 303);
    let hall_cookie = cookies(&login);
    let authorize = location(&login);
    assert!(authorize.starts_with(&format!("{}/oidc/authorize?", server.url)), "{authorize}");
    assert!(
        authorize.contains("id_number") && authorize.contains(&format!("acr_values={level}")),
        "{authorize}"
    );
    let callback = wallet_approves_with(server, &authorize, phone, issued, face, password).await;
    assert!(callback.starts_with(&format!("{hall_url}/callback?")), "{callback}");
    (get(&callback, &hall_cookie).await, hall_cookie)
}

/// The seed's hall identifies the citizen "by face while reading random
/// digits aloud": a hall that requires it (as `wz hall serve` does) refuses
/// a sign-in whose face was one still picture, and admits one whose face
/// came from a sequence answering the challenge, the digits read aloud —
/// the ID token's `amr` says `user` (a presence test) only then.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hall_requiring_a_live_sign_in_refuses_a_still_portrait_and_admits_the_digits_read_aloud() {
    let (server, people) = server_with_portraits(8, |_| {}).await;
    let (hall_url, _dir) = start_hall_with(&server, &people, None, true).await;
    let phone = wallet();
    let issued = apply(&server.client, &phone, &people[0], &dev_face("Colin_Powell/1.jpg"))
        .await
        .unwrap();
    let path = "/services/house_move";

    let still = base64::engine::general_purpose::STANDARD.encode(dev_face("Colin_Powell/2.jpg"));
    let (refused, cookie) = signing_in(&server, &hall_url, path, (&phone, &issued), "L3", (Some(Face::Still(still)), None)).await;
    assert_eq!(refused.status(), 403);
    assert!(refused.text().await.unwrap().contains("读出随机数字"));
    assert_eq!(get(&format!("{hall_url}{path}"), &cookie).await.status(), 303, "not signed in");

    let live = crate::speech::heard_live_sequence(&server.client).await;
    let (landed, cookie) = signing_in(&server, &hall_url, path, (&phone, &issued), "L3", (Some(Face::Live(live)), None)).await;
    assert_eq!(landed.status(), 303, "{}", landed.text().await.unwrap());
    assert_eq!(location(&landed), path);
    assert!(text(&format!("{hall_url}{path}"), &cookie).await.contains(r#"id="property-0""#));
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
    let page = text(&form_url, &hall_cookie).await;
    assert!(page.contains(r#"id="property-0""#) && page.contains(r#"id="members-0""#), "{page}");
    assert!(!page.contains(me.id_number.expose()), "the page shows masked ID numbers only");

    let application_url = submit(&hall_url, &form_url, &hall_cookie, &[("property", "0"), ("members", "0")]).await;
    let application = text(&application_url, &hall_cookie).await;
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

    let certificate_path = after(&application, r#"id="certificate" href=""#);
    let certificate_page = text(&format!("{hall_url}{certificate_path}"), &hall_cookie).await;
    assert!(certificate_page.contains("户口迁移登记证明") && certificate_page.contains("<svg"));
    let qr_text = text(&format!("{hall_url}{certificate_path}/qr.txt"), &hall_cookie).await;

    // Anyone verifies it: pasted, or as a picture of its QR code.
    let verified = verify_text(&hall_url, &qr_text).await;
    assert!(verified.contains(r#"data-good="true""#), "{verified}");
    let code = qrcode::QrCode::with_error_correction_level(qr_text.trim().as_bytes(), qrcode::EcLevel::L).unwrap();
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
    let (head, signature) = qr_text.trim().rsplit_once('.').unwrap();
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
    let form_url = format!("{hall_url}/services/shareholder_change");
    let form = text(&form_url, &cookie).await;
    assert!(
        form.contains(r#"id="company-0""#) && form.contains(r#"id="transferor-1""#),
        "{form}"
    );
    let form = [
        ("company", "0"),
        ("transferor", "1"),
        ("percent", "40"),
        ("transferee_name", people[4].name.as_str()),
    ];
    let status_url = submit(&hall_url, &form_url, &cookie, &form).await;
    let page = text(&status_url, &cookie).await;
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
    let page = once_shown(&status_url, &cookie, r#"data-done="true""#, 2).await;
    assert!(page.contains(r#"data-state="awaiting_parties""#), "two of three: {page}");
    assert!(page.contains(r#"<tr data-role="transferor">"#) && page.contains(r#"data-done="false""#));
    open(2, transferee).await;
    let page = once_shown(&status_url, &cookie, r#"data-state="approved""#, 1).await;
    assert!(page.contains(r#"id="certificate""#));
}

/// The back office: a no-criminal-record application waits for review, an
/// officer (registered in the hall, signed in at L4 with password and
/// face) sees it in the queue with its evidence and approves it, and the
/// citizen's page shows the certificate; another citizen's application,
/// on whom a record is held, is rejected with a reason the citizen reads.
/// Someone who is not an officer is refused the back office.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_signs_in_at_l4_and_approves_or_rejects_with_a_reason() {
    let (server, people) = server_with_portraits(8, |_| {}).await;
    let (hall_url, _dir) = start_hall_with(&server, &people, Some(&people[6]), false).await;
    // Citizen 2 (clean) and citizen 8 (a record is held) apply.
    let mut pages = Vec::new();
    for (index, face) in [(1, "George_W_Bush/2.jpg"), (7, "Jacques_Chirac/2.jpg")] {
        let phone = wallet();
        let issued = apply(&server.client, &phone, &people[index], &dev_face(face)).await.unwrap();
        let cookie = sign_in(&server, &hall_url, "/services/no_criminal_record", &phone, &issued).await;
        let form_url = format!("{hall_url}/services/no_criminal_record");
        let url = submit(&hall_url, &form_url, &cookie, &[("purpose", "就业")]).await;
        let page = text(&url, &cookie).await;
        assert!(page.contains(r#"data-state="in_review""#), "{page}");
        pages.push((url, cookie));
    }
    // A citizen at L3 is sent to sign in at L4 for the back office.
    let at_l3 = get(&format!("{hall_url}/office"), &pages[0].1).await;
    assert_eq!(at_l3.status(), 303);
    assert!(location(&at_l3).contains("level=L4"));

    // The officer enrols at a kiosk (L4) and signs in with password and face.
    let kiosk = terminal(&server).await;
    let phone = wallet();
    let issued = enrol_at_terminal(&server, &kiosk, &phone, &people[6], &dev_face("Gerhard_Schroeder/2.jpg"))
        .await
        .unwrap();
    let portrait = base64::engine::general_purpose::STANDARD.encode(dev_face("Gerhard_Schroeder/3.jpg"));
    let officer = sign_in_at(&server, &hall_url, "/office", &phone, &issued, Some((portrait, "20481357".into()))).await;
    let queue = text(&format!("{hall_url}/office"), &officer).await;
    let queued = queue.matches(r#"class="queued" href=""#).count();
    assert_eq!(queued, 2, "{queue}");
    let id_of = |url: &str| url.rsplit('/').next().unwrap().to_owned();
    let (clean, held) = (id_of(&pages[0].0), id_of(&pages[1].0));
    let review = text(&format!("{hall_url}/office/applications/{held}"), &officer).await;
    assert!(
        review.contains("查询结果需人工核查") && review.contains(r#"id="reject""#),
        "{review}"
    );

    let decide = |id: String, decision: &'static str, reason: &'static str| {
        let (hall_url, officer) = (hall_url.clone(), officer.clone());
        async move {
            browser()
                .post(format!("{hall_url}/office/applications/{id}/decision"))
                .header("cookie", &officer)
                .form(&[("decision", decision), ("reason", reason)])
                .send()
                .await
                .unwrap()
        }
    };
    // Rejecting without a reason is refused and changes nothing.
    assert_eq!(decide(held.clone(), "reject", "").await.status(), 400);
    assert_eq!(decide(clean.clone(), "approve", "").await.status(), 303);
    assert_eq!(
        decide(held.clone(), "reject", "存在违法犯罪记录，请到派出所窗口咨询")
            .await
            .status(),
        303
    );
    assert_eq!(decide(clean.clone(), "reject", "late").await.status(), 409, "decided once");

    let approved = text(&pages[0].0, &pages[0].1).await;
    assert!(
        approved.contains(r#"data-state="approved""#) && approved.contains(r#"id="certificate""#),
        "{approved}"
    );
    let rejected = text(&pages[1].0, &pages[1].1).await;
    assert!(rejected.contains(r#"data-state="rejected""#) && rejected.contains("存在违法犯罪记录，请到派出所窗口咨询"));
    assert!(!rejected.contains(r#"id="certificate""#));

    // The officer revokes the certificate with a reason: the verify page says so.
    let certificate = after(&approved, r#"id="certificate" href="/certificates/"#);
    let qr_text = text(&format!("{hall_url}/certificates/{certificate}/qr.txt"), &pages[0].1).await;
    assert!(verify_text(&hall_url, &qr_text).await.contains(r#"data-good="true""#));
    let office_view = text(&format!("{hall_url}/office/applications/{clean}"), &officer).await;
    assert!(office_view.contains(r#"id="revoke""#), "{office_view}");
    let revoked = browser()
        .post(format!("{hall_url}/office/certificates/{certificate}/revoke"))
        .header("cookie", &officer)
        .form(&[("reason", "用途填写有误，请重新申请")])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let verdict = verify_text(&hall_url, &qr_text).await;
    assert!(
        verdict.contains(r#"data-good="false""#) && verdict.contains("用途填写有误，请重新申请"),
        "{verdict}"
    );

    // A citizen who is no officer, even at L4, is refused the back office.
    let other_phone = wallet();
    let other = enrol_at_terminal(&server, &kiosk, &other_phone, &people[1], &dev_face("George_W_Bush/2.jpg"))
        .await
        .unwrap();
    let portrait = base64::engine::general_purpose::STANDARD.encode(dev_face("George_W_Bush/3.jpg"));
    let not_officer = sign_in_at(
        &server,
        &hall_url,
        "/office",
        &other_phone,
        &other,
        Some((portrait, "20481357".into())),
    )
    .await;
    assert_eq!(get(&format!("{hall_url}/office"), &not_officer).await.status(), 403);
}
