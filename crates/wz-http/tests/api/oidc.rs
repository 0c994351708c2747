//! The OpenID Connect provider over HTTP, end to end with a real wallet:
//! pushed request, the browser's authorization (cookie-bound sign-in page
//! state), the session's QR frame scanned and proved by the wallet, the
//! code back at the redirect URI with `state` and `iss`, redemption with
//! PKCE, the ID token checked against the published JWKS, userinfo, and
//! the failures named after the OpenID conformance suite's modules.
//! (Standard client libraries drive the same flow in scripts/oidc-interop.)

use base64::Engine;
use serde_json::Value;
use sha2::Digest;
use wz_proto::{CompleteSessionRequest, OidcClientSettings, RelyingPartyRequest};
use wz_testkit::{wallet, KeySigner, TestServer};

use crate::credentials::{apply, dev_face, server_with_portraits};

const REDIRECT: &str = "http://127.0.0.1:9/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

fn b64(bytes: impl AsRef<[u8]>) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn challenge(verifier: &str) -> String {
    b64(sha2::Sha256::digest(verifier.as_bytes()))
}

pub(crate) fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

struct Client {
    id: String,
    secret: String,
}

async fn register(server: &TestServer, modes: &[&str]) -> Client {
    register_with(server, modes, None).await
}

async fn register_with(server: &TestServer, modes: &[&str], id_token_alg: Option<&str>) -> Client {
    let request = RelyingPartyRequest {
        name: "市民网上办事大厅".into(),
        category: "government".into(),
        modes: modes.iter().map(|m| (*m).into()).collect(),
        grants: vec!["name".into()],
        webhook_url: None,
        public_key: None,
        alg: None,
        oidc: Some(OidcClientSettings {
            redirect_uris: vec![REDIRECT.into()],
            jwks: None,
            id_token_signed_response_alg: id_token_alg.map(Into::into),
            access_token_lifetime_seconds: None,
        }),
    };
    let registered = server.admin.register_relying_party(&request).await.unwrap();
    assert_eq!(
        registered.relying_party.oidc.as_ref().unwrap().redirect_uris,
        vec![REDIRECT.to_owned()],
        "the public register shows the redirect URIs"
    );
    Client {
        id: registered.relying_party.id,
        secret: registered.client_secret,
    }
}

fn authorization_parameters<'a>(client: &'a Client, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, String)> {
    let mut parameters: Vec<(&str, String)> = vec![
        ("response_type", "code".into()),
        ("client_id", client.id.clone()),
        ("redirect_uri", REDIRECT.into()),
        ("scope", "openid profile".into()),
        ("state", "state-123".into()),
        ("nonce", "nonce-456".into()),
        ("code_challenge", challenge(VERIFIER)),
        ("code_challenge_method", "S256".into()),
    ];
    for (name, value) in extra {
        parameters.retain(|(n, _)| n != name);
        if !value.is_empty() {
            parameters.push((name, (*value).to_owned()));
        }
    }
    parameters
}

async fn push(server: &TestServer, client: &Client, extra: &[(&str, &str)]) -> reqwest::Response {
    browser()
        .post(format!("{}/oidc/par", server.url))
        .basic_auth(&client.id, Some(&client.secret))
        .form(&authorization_parameters(client, extra))
        .send()
        .await
        .unwrap()
}

pub(crate) fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

fn query_of(url: &str) -> std::collections::HashMap<String, String> {
    url::Url::parse(url).unwrap().query_pairs().into_owned().collect()
}

/// Opens the authorization in a "browser": the sign-in page's handle and cookie.
async fn open(server: &TestServer, client: &Client, request_uri: &str) -> (String, String) {
    let response = browser()
        .get(format!("{}/oidc/authorize", server.url))
        .query(&[("client_id", client.id.as_str()), ("request_uri", request_uri)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let handle = location(&response).strip_prefix("/oidc/signin#").unwrap().to_owned();
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains(&format!("Path=/oidc/signin/{handle}")));
    (handle, cookie.split(';').next().unwrap().to_owned())
}

async fn status(server: &TestServer, handle: &str, cookie: &str) -> reqwest::Response {
    browser()
        .get(format!("{}/oidc/signin/{handle}/status", server.url))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

/// The citizen's wallet scans the page's frame, consents and proves.
async fn wallet_signs_in(server: &TestServer, handle: &str, cookie: &str, phone: &KeySigner, credential: &str, qr_key: &str) {
    let shown: Value = status(server, handle, cookie).await.json().await.unwrap();
    assert_eq!(shown["state"], "created");
    assert_eq!(shown["client_name"], "市民网上办事大厅");
    let frame = shown["frame"].as_str().unwrap();
    let scanned = server.client.scan_session(frame, phone).await.unwrap();
    assert_eq!(scanned.purpose, "登录 Sign in");
    server.client.consent_session(&scanned.session_id, phone).await.unwrap();
    let proof = CompleteSessionRequest {
        code: phone.qr(credential, qr_key).unwrap(),
        ..Default::default()
    };
    server.client.complete_session(&scanned.session_id, &proof, phone).await.unwrap();
}

async fn finish(server: &TestServer, handle: &str, cookie: &str) -> reqwest::Response {
    browser()
        .get(format!("{}/oidc/signin/{handle}/finish", server.url))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

async fn redeem(server: &TestServer, client: &Client, code: &str, verifier: &str, redirect: &str) -> reqwest::Response {
    browser()
        .post(format!("{}/oidc/token", server.url))
        .basic_auth(&client.id, Some(&client.secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .unwrap()
}

async fn error_of(response: reqwest::Response) -> String {
    let body: Value = response.json().await.unwrap();
    body["error"].as_str().unwrap().to_owned()
}

/// A whole sign-in up to the code at the redirect URI.
async fn signed_in_code(server: &TestServer, client: &Client, citizen: &(KeySigner, String, String)) -> String {
    let pushed: Value = push(server, client, &[]).await.json().await.unwrap();
    let (handle, cookie) = open(server, client, pushed["request_uri"].as_str().unwrap()).await;
    wallet_signs_in(server, &handle, &cookie, &citizen.0, &citizen.1, &citizen.2).await;
    let back = finish(server, &handle, &cookie).await;
    assert_eq!(back.status(), 303);
    let query = query_of(&location(&back));
    query["code"].clone()
}

fn verify_id_token(server: &TestServer, token: &str, jwks: &Value) -> Value {
    verify_id_token_with(server, token, jwks, wz_oidc::jose::Alg::Es256)
}

fn verify_id_token_with(server: &TestServer, token: &str, jwks: &Value, alg: wz_oidc::jose::Alg) -> Value {
    let parsed = wz_oidc::jose::Parsed::new(token).unwrap();
    let kid = parsed.header_str("kid").unwrap();
    let jwk = jwks["keys"].as_array().unwrap().iter().find(|k| k["kid"] == kid).unwrap();
    let key = wz_oidc::jose::Jwk::from_value(jwk).unwrap().public_key().unwrap();
    parsed.verify(&key, &[alg]).unwrap();
    assert_eq!(parsed.claims["iss"], server.url.as_str());
    Value::Object(parsed.claims)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_signs_in_by_qr_and_the_client_gets_verified_claims() {
    let (server, people) = server_with_portraits(1, |_| {}).await;
    let client = register(&server, &["credential"]).await;
    let phone = wallet();
    let issued = apply(&server.client, &phone, &people[0], &dev_face("Colin_Powell/1.jpg"))
        .await
        .unwrap();
    let citizen = (phone, issued.credential, issued.qr_key);

    let discovery: Value = browser()
        .get(format!("{}/.well-known/openid-configuration", server.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(discovery["issuer"], server.url.as_str());
    assert_eq!(discovery["code_challenge_methods_supported"], serde_json::json!(["S256"]));
    let jwks: Value = browser()
        .get(discovery["jwks_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    let pushed = push(&server, &client, &[]).await;
    assert_eq!(pushed.status(), 201);
    let pushed: Value = pushed.json().await.unwrap();
    let request_uri = pushed["request_uri"].as_str().unwrap();
    let (handle, cookie) = open(&server, &client, request_uri).await;
    // The request URI is single use; the page needs this browser's cookie.
    let again = browser()
        .get(format!("{}/oidc/authorize", server.url))
        .query(&[("client_id", client.id.as_str()), ("request_uri", request_uri)])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 400);
    assert_eq!(status(&server, &handle, "wz_oidc=someone-else").await.status(), 400);
    // Nothing to redeem before the wallet is done.
    assert_eq!(finish(&server, &handle, &cookie).await.status(), 409);

    wallet_signs_in(&server, &handle, &cookie, &citizen.0, &citizen.1, &citizen.2).await;
    let back = finish(&server, &handle, &cookie).await;
    assert_eq!(back.status(), 303);
    let callback = location(&back);
    assert!(callback.starts_with(REDIRECT), "{callback}");
    let query = query_of(&callback);
    assert_eq!(query["state"], "state-123");
    assert_eq!(query["iss"], server.url.as_str(), "RFC 9207");
    let code = &query["code"];

    // oidcc-ensure-redirect-uri-in-authorization-request's token-side twin:
    // another redirect URI, or a wrong verifier (PKCE), fail and change nothing.
    let wrong_redirect = redeem(&server, &client, code, VERIFIER, "http://127.0.0.1:9/other").await;
    assert_eq!(error_of(wrong_redirect).await, "invalid_grant");
    let wrong_verifier = redeem(&server, &client, code, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj", REDIRECT).await;
    assert_eq!(error_of(wrong_verifier).await, "invalid_grant");
    let wrong_secret = Client {
        id: client.id.clone(),
        secret: "0".repeat(64),
    };
    let wrong_client = redeem(&server, &wrong_secret, code, VERIFIER, REDIRECT).await;
    assert_eq!(wrong_client.status(), 401);
    assert_eq!(error_of(wrong_client).await, "invalid_client");

    let tokens = redeem(&server, &client, code, VERIFIER, REDIRECT).await;
    assert_eq!(tokens.status(), 200);
    assert_eq!(tokens.headers()["cache-control"], "no-store");
    let tokens: Value = tokens.json().await.unwrap();
    assert_eq!(tokens["token_type"], "Bearer");
    let claims = verify_id_token(&server, tokens["id_token"].as_str().unwrap(), &jwks);
    assert_eq!(claims["aud"], client.id.as_str());
    assert_eq!(claims["nonce"], "nonce-456");
    assert_eq!(claims["acr"], "L3");
    let subject = claims["sub"].as_str().unwrap().to_owned();
    assert!(!subject.is_empty());
    assert!(
        claims.get("name").is_none(),
        "attributes go to userinfo unless the ID token is asked for them"
    );

    let userinfo = |token: String| {
        let url = format!("{}/oidc/userinfo", server.url);
        async move { browser().get(url).bearer_auth(token).send().await.unwrap() }
    };
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let info: Value = userinfo(access.clone()).await.json().await.unwrap();
    assert_eq!(info["sub"], subject.as_str());
    assert_eq!(info["name"], people[0].name.as_str(), "granted: in full");
    assert!(
        info.get("birthdate").is_none(),
        "not granted, and without a desensitised form: left out"
    );
    assert!(
        info["wz_id_number_masked"].as_str().is_some_and(|b| b.contains('*')),
        "desensitised as in REST results"
    );
    assert!(info.get("wz_id_number").is_none());

    // oidcc-codereuse: a second redemption fails and revokes the first's token.
    let reused = redeem(&server, &client, code, VERIFIER, REDIRECT).await;
    assert_eq!(error_of(reused).await, "invalid_grant");
    let revoked = userinfo(access).await;
    assert_eq!(revoked.status(), 401);
    assert!(revoked.headers()["www-authenticate"].to_str().unwrap().contains("invalid_token"));

    // The same citizen signing in again gets the same pairwise subject.
    let code = signed_in_code(&server, &client, &citizen).await;
    let tokens: Value = redeem(&server, &client, &code, VERIFIER, REDIRECT).await.json().await.unwrap();
    let claims = verify_id_token(&server, tokens["id_token"].as_str().unwrap(), &jwks);
    assert_eq!(claims["sub"], subject.as_str());

    // A client that opted into SM2 ID tokens gets them, verifiable with the
    // SM2 key of the same JWK Set (Z_A over the default ID); its subject is its own.
    let national = register_with(&server, &["credential"], Some("SM2")).await;
    let code = signed_in_code(&server, &national, &citizen).await;
    let tokens: Value = redeem(&server, &national, &code, VERIFIER, REDIRECT).await.json().await.unwrap();
    let token = tokens["id_token"].as_str().unwrap();
    assert_eq!(wz_oidc::jose::Parsed::new(token).unwrap().header_str("alg"), Some("SM2"));
    let claims = verify_id_token_with(&server, token, &jwks, wz_oidc::jose::Alg::Sm2);
    assert_eq!(claims["aud"], national.id.as_str());
    assert_ne!(claims["sub"], subject.as_str(), "pairwise: another client, another subject");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_authorization_requests_get_their_oauth_error_and_change_nothing() {
    let server = wz_testkit::spawn_server().await;
    let client = register(&server, &["credential"]).await;
    let before = server.opened.services.context.store.list_audit(0, 10_000).await.unwrap().len();
    // Named after the conformance suite's modules where one applies.
    for (extra, error) in [
        (("nonce", ""), "invalid_request"),                      // oidcc-ensure-request-without-nonce-fails
        (("code_challenge", ""), "invalid_request"),             // PKCE required
        (("code_challenge_method", "plain"), "invalid_request"), // PKCE downgrade
        (("redirect_uri", ""), "invalid_request"),               // oidcc-ensure-redirect-uri-in-authorization-request
        (("redirect_uri", "http://127.0.0.1:9/evil"), "invalid_request"), // oidcc-ensure-registered-redirect-uri
        (("acr_values", "L4"), "access_denied"),                 // acr not achievable for this client
        (("scope", "profile"), "invalid_scope"),
        (("response_type", "token"), "unsupported_response_type"),
    ] {
        let response = push(&server, &client, &[extra]).await;
        assert_eq!(response.status(), if error == "access_denied" { 403 } else { 400 }, "{extra:?}");
        assert_eq!(error_of(response).await, error, "{extra:?}");
    }
    // Unregistered redirect URI at the authorization endpoint: shown, not redirected.
    let shown = browser()
        .get(format!("{}/oidc/authorize", server.url))
        .query(&authorization_parameters(&client, &[("redirect_uri", "https://evil.example/cb")]))
        .send()
        .await
        .unwrap();
    assert_eq!(shown.status(), 400);
    assert!(shown.headers().get("location").is_none());
    // A registered one with a bad request: back to the client with the error, state and iss.
    let sent_back = browser()
        .get(format!("{}/oidc/authorize", server.url))
        .query(&authorization_parameters(&client, &[("code_challenge_method", "plain")]))
        .send()
        .await
        .unwrap();
    assert_eq!(sent_back.status(), 303);
    let query = query_of(&location(&sent_back));
    assert_eq!((query["error"].as_str(), query["state"].as_str()), ("invalid_request", "state-123"));
    assert_eq!(query["iss"], server.url.as_str());
    // Unknown codes and unknown tokens.
    assert_eq!(
        error_of(redeem(&server, &client, "nope", VERIFIER, REDIRECT).await).await,
        "invalid_grant"
    );
    let unknown = browser()
        .get(format!("{}/oidc/userinfo", server.url))
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 401);
    let after = server.opened.services.context.store.list_audit(0, 10_000).await.unwrap().len();
    assert_eq!(after, before, "refused requests write nothing to the audit log");
}

/// A DPoP proof (RFC 9449) by `key` for `method` on `url`, for `token` if given.
fn dpop_proof(key: &wz_crypto::Es256SigningKey, method: &str, url: &str, token: Option<&str>, jti: &str) -> String {
    let jwk = wz_oidc::jose::Jwk::from_es256(&key.verifying_key());
    let header =
        serde_json::json!({ "typ": "dpop+jwt", "alg": "ES256", "jwk": { "kty": jwk.kty, "crv": jwk.crv, "x": jwk.x, "y": jwk.y } });
    let mut claims = serde_json::json!({ "jti": jti, "htm": method, "htu": url, "iat": unix_seconds() });
    if let Some(token) = token {
        claims["ath"] = b64(sha2::Sha256::digest(token.as_bytes())).into();
    }
    let input = format!("{}.{}", b64(header.to_string()), b64(claims.to_string()));
    format!("{input}.{}", b64(key.sign(input.as_bytes()).unwrap()))
}

fn unix_seconds() -> i64 {
    use wz_service::Clock;
    wz_core::unix_ms(wz_service::SystemClock.now()) / 1000
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dpop_binds_the_tokens_and_expired_or_foreign_codes_are_refused() {
    use rand::SeedableRng;
    let (server, people) = server_with_portraits(1, |_| {}).await;
    let client = register(&server, &["credential"]).await;
    let other = register(&server, &["credential"]).await;
    let phone = wallet();
    let issued = apply(&server.client, &phone, &people[0], &dev_face("Colin_Powell/1.jpg"))
        .await
        .unwrap();
    let citizen = (phone, issued.credential, issued.qr_key);
    let key = wz_crypto::Es256SigningKey::generate(&mut rand_chacha::ChaCha8Rng::seed_from_u64(9449));
    let token_url = format!("{}/oidc/token", server.url);
    let userinfo_url = format!("{}/oidc/userinfo", server.url);

    // Another client cannot redeem this client's code.
    let code = signed_in_code(&server, &client, &citizen).await;
    assert_eq!(
        error_of(redeem(&server, &other, &code, VERIFIER, REDIRECT).await).await,
        "invalid_grant"
    );

    // The code with a DPoP proof: a DPoP token, usable only with proofs by that key.
    let redeem_with = |proof: String, code: String| {
        let (client, url) = (&client, token_url.clone());
        async move {
            browser()
                .post(url)
                .basic_auth(&client.id, Some(&client.secret))
                .header("DPoP", proof)
                .form(&[
                    ("grant_type", "authorization_code"),
                    ("code", code.as_str()),
                    ("redirect_uri", REDIRECT),
                    ("code_verifier", VERIFIER),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let wrong_url = redeem_with(dpop_proof(&key, "POST", &userinfo_url, None, "p-0"), code.clone()).await;
    assert_eq!(error_of(wrong_url).await, "invalid_dpop_proof");
    let tokens = redeem_with(dpop_proof(&key, "POST", &token_url, None, "p-1"), code.clone()).await;
    assert_eq!(tokens.status(), 200);
    let tokens: Value = tokens.json().await.unwrap();
    assert_eq!(tokens["token_type"], "DPoP");
    let access = tokens["access_token"].as_str().unwrap();
    let as_bearer = browser().get(&userinfo_url).bearer_auth(access).send().await.unwrap();
    assert_eq!(error_of(as_bearer).await, "invalid_token", "a DPoP-bound token is no bearer token");
    let with_proof = |jti: &str, token_in_proof: &str| {
        browser()
            .get(&userinfo_url)
            .header("authorization", format!("DPoP {access}"))
            .header("DPoP", dpop_proof(&key, "GET", &userinfo_url, Some(token_in_proof), jti))
            .send()
    };
    assert_eq!(with_proof("p-2", access).await.unwrap().status(), 200);
    assert_eq!(
        error_of(with_proof("p-2", access).await.unwrap()).await,
        "invalid_dpop_proof",
        "a proof is used once"
    );
    assert_eq!(
        error_of(with_proof("p-3", "another token").await.unwrap()).await,
        "invalid_dpop_proof",
        "ath binds the token"
    );

    // An expired code (60 s) is refused and changes nothing.
    let code = signed_in_code(&server, &client, &citizen).await;
    let store = &server.opened.services.context.store;
    let row = store
        .find_oidc_authorization_by(wz_store::OidcLookup::Code(&wz_crypto::sm3(code.as_bytes())))
        .await
        .unwrap()
        .unwrap();
    let lapse = wz_store::OidcStep::new(
        wz_store::OidcAuthorizationState::CodeIssued,
        wz_store::OidcAuthorizationState::CodeIssued,
        1,
        row.updated_at_ms,
    );
    store.step_oidc_authorization(&row.id, &lapse, None, None).await.unwrap();
    assert_eq!(
        error_of(redeem(&server, &client, &code, VERIFIER, REDIRECT).await).await,
        "invalid_grant"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushed_requests_count_against_the_clients_quota() {
    let server = wz_testkit::spawn_server_with(|config| config.credentials.rp_requests_per_second = 3).await;
    let client = register(&server, &["credential"]).await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(push(&server, &client, &[]).await.status().as_u16());
    }
    assert_eq!(&statuses[..3], &[201, 201, 201], "{statuses:?}");
    let refused = push(&server, &client, &[]).await;
    assert_eq!(refused.status(), 429);
    assert_eq!(error_of(refused).await, "temporarily_unavailable");
}

fn first_cookie(response: &reqwest::Response) -> String {
    let header = response.headers()["set-cookie"].to_str().unwrap();
    header.split(';').next().unwrap().to_owned()
}

async fn page(url: &str, cookie: &str) -> String {
    let response = browser().get(url).header("cookie", cookie).send().await.unwrap();
    response.text().await.unwrap()
}

/// A browser opens the provider's authorization URL, the wallet scans the
/// sign-in page's frame, consents and proves with its credential: the URL
/// the provider sends the browser back to (the client's redirect URI).
pub(crate) async fn wallet_approves(
    server: &TestServer,
    authorize: &str,
    phone: &KeySigner,
    issued: &wz_proto::CredentialResponse,
) -> String {
    wallet_approves_with(server, authorize, phone, issued, None, None).await
}

/// How the wallet shows its face when the mode asks for one.
pub(crate) enum Face {
    /// One still picture, standard base64.
    Still(String),
    /// A sequence answering a liveness challenge.
    Live(wz_proto::LiveSequence),
}

/// [`wallet_approves`] with a face and the card password, for the levels
/// and modes that ask for them.
pub(crate) async fn wallet_approves_with(
    server: &TestServer,
    authorize: &str,
    phone: &KeySigner,
    issued: &wz_proto::CredentialResponse,
    face: Option<Face>,
    password: Option<String>,
) -> String {
    let (portrait, live) = match face {
        Some(Face::Still(portrait)) => (Some(portrait), None),
        Some(Face::Live(live)) => (None, Some(live)),
        None => (None, None),
    };
    let opened = browser().get(authorize).send().await.unwrap();
    assert_eq!(opened.status(), 303);
    let handle = location(&opened).strip_prefix("/oidc/signin#").unwrap().to_owned();
    let cookie = first_cookie(&opened);
    let shown: Value = status(server, &handle, &cookie).await.json().await.unwrap();
    let scanned = server.client.scan_session(shown["frame"].as_str().unwrap(), phone).await.unwrap();
    server.client.consent_session(&scanned.session_id, phone).await.unwrap();
    let proof = CompleteSessionRequest {
        code: phone.qr(&issued.credential, &issued.qr_key).unwrap(),
        portrait,
        live,
        password,
    };
    server.client.complete_session(&scanned.session_id, &proof, phone).await.unwrap();
    let back = finish(server, &handle, &cookie).await;
    assert_eq!(back.status(), 303);
    location(&back)
}

/// The demo website (crate `wz-demo-rp`, the `openidconnect` crate doing
/// all of the protocol) signs a citizen in: its /login sends the browser
/// to the authorization endpoint, the wallet proves at L3, the browser
/// comes back to its /callback, and its home page shows the signed-in
/// pairwise subject and level. A callback whose state was tampered with
/// is refused and signs nobody in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_website_signs_a_citizen_in_through_a_standard_client_library() {
    let (server, people) = server_with_portraits(1, |_| {}).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let site = format!("http://{}", listener.local_addr().unwrap());
    let request = RelyingPartyRequest {
        name: "示例网站".into(),
        category: "internet".into(),
        modes: vec!["credential".into()],
        grants: Vec::new(),
        webhook_url: None,
        public_key: None,
        alg: None,
        oidc: Some(OidcClientSettings {
            redirect_uris: vec![format!("{site}/callback")],
            jwks: None,
            id_token_signed_response_alg: None,
            access_token_lifetime_seconds: None,
        }),
    };
    let registered = server.admin.register_relying_party(&request).await.unwrap();
    let config = wz_demo_rp::DemoRpConfig {
        issuer: server.url.clone(),
        client_id: registered.relying_party.id.clone(),
        client_secret: registered.client_secret.clone(),
        redirect_uri: format!("{site}/callback"),
    };
    let rp = wz_demo_rp::DemoRp::discover(&config).await.unwrap();
    tokio::spawn(wz_demo_rp::serve(listener, rp, std::future::pending()));
    let phone = wallet();
    let issued = apply(&server.client, &phone, &people[0], &dev_face("Colin_Powell/1.jpg"))
        .await
        .unwrap();

    // One sign-in up to the redirect back: the website's cookie and the callback URL.
    let sign_in = || async {
        let login = browser().get(format!("{site}/login?level=L3")).send().await.unwrap();
        assert_eq!(login.status(), 303);
        let site_cookie = first_cookie(&login);
        let authorize = location(&login);
        assert!(authorize.starts_with(&format!("{}/oidc/authorize?", server.url)), "{authorize}");
        let asked = query_of(&authorize);
        assert_eq!(
            (asked["code_challenge_method"].as_str(), asked["acr_values"].as_str()),
            ("S256", "L3")
        );
        (site_cookie, wallet_approves(&server, &authorize, &phone, &issued).await)
    };

    let (site_cookie, callback) = sign_in().await;
    assert!(callback.starts_with(&format!("{site}/callback?")), "{callback}");
    let tampered = callback.replace("state=", "state=x");
    let refused = browser().get(&tampered).header("cookie", &site_cookie).send().await.unwrap();
    assert_eq!(refused.status(), 400);
    assert!(refused.text().await.unwrap().contains("state does not match"));
    let home = page(&site, &site_cookie).await;
    assert!(!home.contains("signed-in"), "a refused callback signs nobody in");

    let (site_cookie, callback) = sign_in().await;
    let landed = browser().get(&callback).header("cookie", &site_cookie).send().await.unwrap();
    assert_eq!(landed.status(), 303, "{}", landed.text().await.unwrap());
    let home = page(&site, &site_cookie).await;
    assert!(home.contains(r#"id="signed-in""#), "{home}");
    assert!(home.contains(r#"<td id="acr">L3</td>"#), "{home}");
    let subject = home.split(r#"<code id="subject">"#).nth(1).unwrap().split('<').next().unwrap();
    assert!(
        !subject.is_empty() && !home.contains(people[0].id_number.expose()),
        "pairwise subject, no ID number: {home}"
    );
    let again = browser().get(&callback).header("cookie", &site_cookie).send().await.unwrap();
    assert_eq!(again.status(), 400, "the same callback does not sign in twice");
}
