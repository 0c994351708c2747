//! The hall's HTTP server: thin handlers over [`crate::Hall`]. Citizens
//! and officers sign in with WangZheng by OpenID Connect (the
//! `openidconnect` crate through `wz-demo-rp`'s client, the same one any
//! website would use), asking for the level each service needs and for the
//! full name and ID number the hall's grant allows. Cookies are HttpOnly
//! and SameSite=Lax, so a cross-site form cannot post as the citizen.

// A refusal here is the response itself, built once per request; boxing it
// buys nothing.
#![allow(clippy::result_large_err)]

mod pages;

use std::sync::Arc;

use axum::extract::{Multipart, Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{AppendHeaders, Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form as WebForm, Json, Router};
use serde::Deserialize;
use wz_demo_rp::{DemoRp, SignedIn};

use crate::hall::{Hall, HallError};
use crate::platform::Platform;
use crate::rules::{Applicant, Form};
use crate::services;
use crate::store::{ApplicationState, OfficerRow};

/// Cookie holding the browser's sign-in key.
const SESSION_COOKIE: &str = "wz_hall";
/// Cookie holding where to go after signing in.
const NEXT_COOKIE: &str = "wz_hall_next";
/// Scopes asked for beside `openid`: name and ID number in full (grant).
const SCOPES: [&str; 2] = ["profile", "id_number"];
/// Largest picture the verify page takes.
const MAX_PICTURE_BYTES: usize = 4 * 1024 * 1024;

/// Milliseconds since the Unix epoch: the hall's clock.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The wall clock.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        // The one place the hall reads the real time; everything below
        // takes it as an argument, so tests can hold it still.
        #[allow(clippy::disallowed_methods)]
        let now = std::time::SystemTime::now();
        now.duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    })
}

/// What the server needs.
#[derive(Clone)]
pub struct HallWeb {
    hall: Hall,
    rp: DemoRp,
    platform: Option<Arc<Platform>>,
    public_url: String,
    clock: Clock,
    /// Sign-in must show a live person (the provider's `amr` has `user`:
    /// the face came from a sequence answering a spoken-digit challenge).
    live_sign_in: bool,
}

impl HallWeb {
    /// The server over `hall`, signing in through `rp`, reachable at
    /// `public_url` (for invitation links).
    pub fn new(hall: Hall, rp: DemoRp, public_url: String, clock: Clock) -> Self {
        Self {
            hall,
            rp,
            platform: None,
            public_url: public_url.trim_end_matches('/').to_owned(),
            clock,
            live_sign_in: false,
        }
    }

    /// Accepts only sign-ins whose face check proved a live person (the
    /// ID token's `amr` holds `user`), as the seed's hall asks: the face
    /// while reading random digits aloud, not one still picture.
    pub fn requiring_live_sign_in(mut self) -> Self {
        self.live_sign_in = true;
        self
    }

    fn now(&self) -> i64 {
        (self.clock)()
    }

    /// Invites the parties of multi-party services through the platform's
    /// transactions (without it, each party signs in to the hall through
    /// the link on the status page).
    pub fn with_platform(mut self, platform: Platform) -> Self {
        self.platform = Some(Arc::new(platform));
        self
    }

    /// Opens the platform transaction for an application's waiting
    /// parties, once.
    async fn invite(&self, app: &crate::hall::Application) -> Result<(), HallError> {
        let Some(platform) = &self.platform else { return Ok(()) };
        let waiting = Hall::waiting_parties(app);
        if waiting.is_empty() || app.particulars.transaction_id.is_some() {
            return Ok(());
        }
        let labels = waiting
            .iter()
            .map(|&i| {
                let party = &app.particulars.parties[i];
                let name = party
                    .person
                    .as_ref()
                    .map(|p| p.name.clone())
                    .or_else(|| party.expected_name.clone())
                    .unwrap_or_default();
                format!("{} {}", role_zh(&party.role), wz_core::mask_name(&name))
            })
            .collect();
        let purpose = format!(
            "{}：{}",
            app.service.name_zh,
            app.particulars.transfer.as_ref().map(|t| t.company_name.as_str()).unwrap_or("")
        );
        let created = platform.invite(&purpose, labels).await.map_err(platform_error)?;
        let invitations: Vec<(String, String)> = created.participants.into_iter().map(|p| (p.session_id, p.invitation)).collect();
        self.hall
            .attach_invitations(&app.row.id, &created.transaction_id, &invitations, self.now())
            .await?;
        Ok(())
    }

    /// Reads the application's transaction and records every party whose
    /// verified result names them.
    async fn sync_parties(&self, id: &str) -> Result<(), HallError> {
        let Some(platform) = &self.platform else { return Ok(()) };
        let app = self.hall.application(id).await?;
        let Some(transaction) = app
            .particulars
            .transaction_id
            .clone()
            .filter(|_| app.row.state == ApplicationState::AwaitingParties)
        else {
            return Ok(());
        };
        for done in platform.completed(&transaction).await.map_err(platform_error)? {
            if self.live_sign_in && done.liveness.is_none() {
                // Shown by one still picture: not a live party.
                tracing::warn!(application = id, "a party's result proves no live person; not counted");
                continue;
            }
            match self.hall.party_authenticated(id, &done.who, self.now()).await {
                Ok(_) | Err(HallError::AlreadyDecided) => {}
                // Someone who is not a party opened an invitation: ignored.
                Err(HallError::NotAParty) => {
                    tracing::warn!(application = id, "a transaction participant is not a party of the application")
                }
                Err(error) => return Err(error),
            }
        }
        Ok(())
    }
}

fn platform_error(error: crate::platform::PlatformError) -> HallError {
    HallError::Platform(error.to_string())
}

fn role_zh(role: &str) -> &'static str {
    match role {
        "transferor" => "转让方",
        "transferee" => "受让方（新股东）",
        _ => "股东",
    }
}

/// Every 2 s, records the parties who completed their invitations (the
/// only place the hall asks the platform about them).
async fn watch_parties(web: HallWeb) {
    loop {
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        let Ok(waiting) = web.hall.store().applications_in(ApplicationState::AwaitingParties, 500).await else {
            continue;
        };
        for app in waiting {
            if let Err(error) = web.sync_parties(&app.id).await {
                tracing::warn!(%error, "service hall: reading a transaction failed");
            }
        }
    }
}

/// Every route.
pub fn router(web: HallWeb) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/healthz", get(|| async { "ok" }))
        .route("/login", get(login))
        .route("/callback", get(callback))
        .route("/logout", get(logout))
        .route("/services/{code}", get(service_form).post(submit))
        .route("/applications", get(my_applications))
        .route("/applications/{id}", get(show_application))
        .route("/applications/{id}/join", get(join))
        .route("/certificates/{id}", get(show_certificate))
        .route("/certificates/{id}/qr.txt", get(certificate_text))
        .route("/verify", get(verify_page).post(verify_submit))
        .route("/keys", get(keys))
        .route("/office", get(office))
        .route("/office/applications/{id}", get(office_application))
        .route("/office/applications/{id}/decision", post(decide))
        .route("/office/certificates/{id}/revoke", post(revoke))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_PICTURE_BYTES + 64 * 1024))
        .with_state(web)
}

/// Serves the hall on `listener` until `stop` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    web: HallWeb,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let watcher = web.platform.is_some().then(|| tokio::spawn(watch_parties(web.clone())));
    let served = axum::serve(listener, router(web)).with_graceful_shutdown(stop).await;
    if let Some(watcher) = watcher {
        watcher.abort();
    }
    served
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    wz_demo_rp::cookie_value(headers, name)
}

fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn html(status: StatusCode, body: String) -> Response {
    no_store((status, Html(body)).into_response())
}

fn redirect(to: &str) -> Response {
    no_store((StatusCode::SEE_OTHER, [(LOCATION, to.to_owned())]).into_response())
}

/// A signed-in visitor: who, and the level reached.
struct Visitor {
    applicant: Applicant,
    acr: String,
}

fn claim(signed_in: &SignedIn, name: &str) -> Option<String> {
    signed_in.claims.get(name).and_then(|v| v.as_str()).map(str::to_owned)
}

fn visitor(web: &HallWeb, headers: &HeaderMap) -> Option<Visitor> {
    let signed_in = web.rp.signed_in(&cookie(headers, SESSION_COOKIE)?)?;
    Some(Visitor {
        applicant: Applicant {
            id_number: claim(&signed_in, "wz_id_number")?,
            name: claim(&signed_in, "name")?,
        },
        acr: signed_in.acr,
    })
}

/// Only same-site paths are followed after sign-in.
fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next
    } else {
        "/"
    }
}

fn to_login(level: &str, next: &str) -> Response {
    let next = url_encode(next);
    redirect(&format!("/login?level={level}&next={next}"))
}

fn url_encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// The visitor if signed in at `level` or above; else the way to sign in.
fn require(web: &HallWeb, headers: &HeaderMap, level: &str, next: &str) -> Result<Visitor, Response> {
    match visitor(web, headers) {
        // L1 < L2 < L3 < L4 compare as text.
        Some(v) if v.acr.as_str() >= level => Ok(v),
        _ => Err(to_login(level, next)),
    }
}

async fn require_officer(web: &HallWeb, headers: &HeaderMap, next: &str) -> Result<(Visitor, OfficerRow), Response> {
    let v = require(web, headers, "L4", next)?;
    match web.hall.store().active_officer(&v.applicant.id_number).await {
        Ok(Some(officer)) => Ok((v, officer)),
        Ok(None) => Err(html(
            StatusCode::FORBIDDEN,
            pages::message("无权访问", "你不是本大厅登记的工作人员。You are not an officer of this hall."),
        )),
        Err(e) => Err(failure(&HallError::Store(e))),
    }
}

fn officer_number(officer: &OfficerRow) -> String {
    // The audit trail names an officer by a short digest, not their ID number.
    hex::encode(&wz_crypto::sm3(officer.id_number.as_bytes())[..4])
}

fn failure(error: &HallError) -> Response {
    let status = match error {
        HallError::UnknownService(_) | HallError::NoSuchApplication | HallError::NoSuchCertificate => StatusCode::NOT_FOUND,
        HallError::Form(_) | HallError::ReasonRequired | HallError::NotAParty | HallError::AwaitingParties => StatusCode::BAD_REQUEST,
        HallError::AlreadyDecided => StatusCode::CONFLICT,
        HallError::Registry(_) => StatusCode::BAD_GATEWAY,
        HallError::Store(crate::store::HallStoreError::Conflict) => StatusCode::CONFLICT,
        _ => StatusCode::SERVICE_UNAVAILABLE,
    };
    if status.is_server_error() {
        tracing::warn!(%error, "service hall: request failed");
    }
    html(status, pages::message("未能办理 Not done", &error.to_string()))
}

async fn home(State(web): State<HallWeb>, headers: HeaderMap) -> Response {
    let who = visitor(&web, &headers);
    html(StatusCode::OK, pages::home(who.as_ref().map(|v| &v.applicant)))
}

#[derive(Deserialize)]
struct LoginQuery {
    level: Option<String>,
    next: Option<String>,
}

async fn login(State(web): State<HallWeb>, Query(query): Query<LoginQuery>) -> Response {
    let level = query.level.unwrap_or_else(|| "L3".into());
    let next = safe_next(query.next.as_deref().unwrap_or("/")).to_owned();
    match web.rp.begin_with_scopes(&level, &SCOPES).await {
        // Appended, not inserted: two cookies under one header name.
        Ok((key, url)) => no_store(
            (
                StatusCode::SEE_OTHER,
                AppendHeaders([
                    (LOCATION, url),
                    (SET_COOKIE, format!("{SESSION_COOKIE}={key}; Path=/; HttpOnly; SameSite=Lax")),
                    (
                        SET_COOKIE,
                        format!("{NEXT_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax", url_encode(&next)),
                    ),
                ]),
            )
                .into_response(),
        ),
        Err(error) => html(StatusCode::BAD_REQUEST, pages::message("无法登录", &error.to_string())),
    }
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .map_or_else(|_| "/".into(), |decoded| decoded.into_owned())
}

async fn callback(State(web): State<HallWeb>, headers: HeaderMap, Query(query): Query<CallbackQuery>) -> Response {
    let Some(key) = cookie(&headers, SESSION_COOKIE) else {
        return html(
            StatusCode::BAD_REQUEST,
            pages::message(
                "登录未完成",
                "没有从此浏览器发起的登录，请重新开始。No sign-in was started from this browser.",
            ),
        );
    };
    if let Some(error) = query.error {
        web.rp.forget(&key);
        return html(
            StatusCode::BAD_REQUEST,
            pages::message("登录未完成", &format!("网证平台拒绝了登录：{error}")),
        );
    }
    let (Some(code), Some(state)) = (query.code, query.state) else {
        return html(
            StatusCode::BAD_REQUEST,
            pages::message("登录未完成", "the provider sent neither a code nor an error"),
        );
    };
    if let Err(error) = web.rp.finish(&key, &code, &state, query.iss.as_deref()).await {
        return html(StatusCode::BAD_REQUEST, pages::message("登录未完成", &error.to_string()));
    }
    // Admitted only with what the hall needs: a live person where it asks
    // for one, and the name and ID number to apply under.
    let live = web
        .rp
        .signed_in(&key)
        .is_some_and(|signed_in| signed_in.amr.iter().any(|m| m == "user"));
    let refusal = if web.live_sign_in && !live {
        Some("办事需要现场核验：请在网证中对着镜头读出随机数字后再登录。The hall needs the live check: sign in again reading the digits aloud to the camera.")
    } else if visitor(&web, &headers).is_none() {
        Some("网证平台没有提供办事所需的姓名和身份证号。The provider released no name and ID number to the hall.")
    } else {
        None
    };
    if let Some(why) = refusal {
        web.rp.forget(&key);
        return html(StatusCode::FORBIDDEN, pages::message("登录未完成", why));
    }
    let next = cookie(&headers, NEXT_COOKIE)
        .map(|n| percent_decode(&n))
        .unwrap_or_else(|| "/".into());
    redirect(safe_next(&next))
}

async fn logout(State(web): State<HallWeb>, headers: HeaderMap) -> Response {
    if let Some(key) = cookie(&headers, SESSION_COOKIE) {
        web.rp.forget(&key);
    }
    redirect("/")
}

async fn service_form(State(web): State<HallWeb>, headers: HeaderMap, Path(code): Path<String>) -> Response {
    let Some(service) = services::service(&code) else {
        return failure(&HallError::UnknownService(code));
    };
    let who = match require(&web, &headers, service.level, &format!("/services/{code}")) {
        Ok(v) => v,
        Err(response) => return response,
    };
    match web.hall.prefill(&code, &who.applicant).await {
        Ok(prefill) => html(StatusCode::OK, pages::form(service, &who.applicant, &prefill, None)),
        Err(error) => failure(&error),
    }
}

/// The form as posted: repeated `members`, single values otherwise.
fn parse_form(fields: &[(String, String)]) -> Result<Form, &'static str> {
    let mut form = Form::default();
    let index = |value: &str| value.parse::<usize>().map_err(|_| "a choice is not one of those offered");
    for (name, value) in fields {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        match name.as_str() {
            "property" => form.property = Some(index(value)?),
            "members" => form.members.push(index(value)?),
            "relative" => form.relative = Some(index(value)?),
            "birth" => form.birth = Some(index(value)?),
            "company" => form.company = Some(index(value)?),
            "transferor" => form.transferor = Some(index(value)?),
            "percent" => form.percent = Some(value.parse().map_err(|_| "the percentage must be a whole number")?),
            "transferee_name" => form.transferee_name = Some(value.to_owned()),
            "purpose" => form.purpose = Some(value.to_owned()),
            _ => return Err("the form holds a field this service does not have"),
        }
    }
    Ok(form)
}

async fn submit(
    State(web): State<HallWeb>,
    headers: HeaderMap,
    Path(code): Path<String>,
    WebForm(fields): WebForm<Vec<(String, String)>>,
) -> Response {
    let Some(service) = services::service(&code) else {
        return failure(&HallError::UnknownService(code));
    };
    let who = match require(&web, &headers, service.level, &format!("/services/{code}")) {
        Ok(v) => v,
        Err(response) => return response,
    };
    let refuse = |message: &str, prefill: &crate::rules::Prefill| {
        html(
            StatusCode::BAD_REQUEST,
            pages::form(service, &who.applicant, prefill, Some(message)),
        )
    };
    let form = match parse_form(&fields) {
        Ok(form) => form,
        Err(message) => {
            let prefill = web.hall.prefill(&code, &who.applicant).await.unwrap_or_default();
            return refuse(message, &prefill);
        }
    };
    let id = uuid::Uuid::new_v4().to_string();
    match web.hall.submit(&id, &code, &who.applicant, &form, web.now()).await {
        Ok(app) => {
            if let Err(error) = web.invite(&app).await {
                // The application stands; the parties can still join by the link.
                tracing::warn!(%error, "service hall: the platform transaction was not opened");
            }
            redirect(&format!("/applications/{id}"))
        }
        Err(HallError::Form(error)) => {
            let prefill = web.hall.prefill(&code, &who.applicant).await.unwrap_or_default();
            refuse(&format!("请补充或更正：{error}"), &prefill)
        }
        Err(error) => failure(&error),
    }
}

async fn my_applications(State(web): State<HallWeb>, headers: HeaderMap) -> Response {
    let who = match require(&web, &headers, "L3", "/applications") {
        Ok(v) => v,
        Err(response) => return response,
    };
    match web.hall.store().applications_of(&who.applicant.id_number).await {
        Ok(rows) => {
            let apps: Vec<_> = rows.into_iter().filter_map(|r| Hall::parse(r).ok()).collect();
            html(StatusCode::OK, pages::applications(&who.applicant.name, &apps))
        }
        Err(error) => failure(&HallError::Store(error)),
    }
}

fn is_party(app: &crate::hall::Application, id_number: &str) -> bool {
    app.row.applicant_id_number == id_number
        || app
            .particulars
            .parties
            .iter()
            .any(|p| p.person.as_ref().is_some_and(|x| x.id_number == id_number))
}

async fn show_application(State(web): State<HallWeb>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let who = match require(&web, &headers, "L3", &format!("/applications/{id}")) {
        Ok(v) => v,
        Err(response) => return response,
    };
    // The page reads the hall's own record; `watch_parties` keeps it up
    // to date with the platform, so a refreshing page costs no platform call.
    let app = match web.hall.application(&id).await {
        Ok(app) if is_party(&app, &who.applicant.id_number) => app,
        Ok(_) | Err(HallError::NoSuchApplication) => return failure(&HallError::NoSuchApplication),
        Err(error) => return failure(&error),
    };
    let certificates = if app.row.applicant_id_number == who.applicant.id_number {
        web.hall.store().certificates_of(&id).await.unwrap_or_default()
    } else {
        Vec::new()
    };
    let invite = (app.row.state == ApplicationState::AwaitingParties).then(|| format!("{}/applications/{id}/join", web.public_url));
    html(
        StatusCode::OK,
        pages::application(&app, &who.applicant.name, &certificates, invite.as_deref(), false),
    )
}

async fn join(State(web): State<HallWeb>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let who = match require(&web, &headers, "L3", &format!("/applications/{id}/join")) {
        Ok(v) => v,
        Err(response) => return response,
    };
    match web.hall.party_authenticated(&id, &who.applicant, web.now()).await {
        Ok(_) => redirect(&format!("/applications/{id}")),
        Err(error) => failure(&error),
    }
}

async fn owned_certificate(web: &HallWeb, headers: &HeaderMap, id: &str) -> Result<crate::store::CertificateRow, Response> {
    let who = require(web, headers, "L3", &format!("/certificates/{id}"))?;
    let row = match web.hall.store().certificate(id).await {
        Ok(Some(row)) => row,
        Ok(None) => return Err(failure(&HallError::NoSuchCertificate)),
        Err(error) => return Err(failure(&HallError::Store(error))),
    };
    match web.hall.application(&row.application_id).await {
        Ok(app) if app.row.applicant_id_number == who.applicant.id_number => Ok(row),
        _ => Err(failure(&HallError::NoSuchCertificate)),
    }
}

async fn show_certificate(State(web): State<HallWeb>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let row = match owned_certificate(&web, &headers, &id).await {
        Ok(row) => row,
        Err(response) => return response,
    };
    let Ok(certificate) = crate::certificate::SignedCertificate::decode(&row.encoded) else {
        return failure(&HallError::Corrupt);
    };
    let svg = pages::qr_svg(&row.encoded, 352);
    html(StatusCode::OK, pages::certificate(&certificate.body, &row, &svg))
}

async fn certificate_text(State(web): State<HallWeb>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    match owned_certificate(&web, &headers, &id).await {
        Ok(row) => no_store(([(CONTENT_TYPE, "text/plain; charset=utf-8")], format!("{}\n", row.encoded)).into_response()),
        Err(response) => response,
    }
}

async fn verify_page() -> Response {
    html(StatusCode::OK, pages::verify(None))
}

/// Reads the first QR code in a picture.
fn read_qr(bytes: &[u8]) -> Result<String, &'static str> {
    let picture = image::load_from_memory(bytes)
        .map_err(|_| "the picture could not be read (PNG or JPEG)")?
        .to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(picture);
    let grid = prepared
        .detect_grids()
        .into_iter()
        .next()
        .ok_or("no QR code was found in the picture")?;
    grid.decode()
        .map(|(_, text)| text)
        .map_err(|_| "the QR code in the picture is unreadable")
}

async fn verify_submit(State(web): State<HallWeb>, mut multipart: Multipart) -> Response {
    let mut text = String::new();
    let mut picture: Option<Vec<u8>> = None;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_owned();
                let Ok(bytes) = field.bytes().await else {
                    return html(StatusCode::BAD_REQUEST, pages::verify(Some(Err("the upload was cut short"))));
                };
                match name.as_str() {
                    "text" => text = String::from_utf8_lossy(&bytes).into_owned(),
                    "picture" if !bytes.is_empty() => picture = Some(bytes.to_vec()),
                    _ => {}
                }
            }
            Ok(None) => break,
            Err(_) => return html(StatusCode::BAD_REQUEST, pages::verify(Some(Err("the form could not be read")))),
        }
    }
    if let Some(bytes) = picture {
        if bytes.len() > MAX_PICTURE_BYTES {
            return html(
                StatusCode::PAYLOAD_TOO_LARGE,
                pages::verify(Some(Err("the picture is larger than 4 MiB"))),
            );
        }
        match read_qr(&bytes) {
            Ok(read) => text = read,
            Err(message) => return html(StatusCode::BAD_REQUEST, pages::verify(Some(Err(message)))),
        }
    }
    match web.hall.verify(&text, web.now()).await {
        Ok(verification) => html(StatusCode::OK, pages::verify(Some(Ok(&verification)))),
        Err(error) => html(StatusCode::BAD_REQUEST, pages::verify(Some(Err(&error.to_string())))),
    }
}

async fn keys(State(web): State<HallWeb>) -> Json<crate::certificate::PublishedKeySet> {
    Json(web.hall.keys().published())
}

async fn office(State(web): State<HallWeb>, headers: HeaderMap) -> Response {
    let (who, _) = match require_officer(&web, &headers, "/office").await {
        Ok(v) => v,
        Err(response) => return response,
    };
    match web.hall.store().applications_in(ApplicationState::InReview, 200).await {
        Ok(rows) => {
            let apps: Vec<_> = rows.into_iter().filter_map(|r| Hall::parse(r).ok()).collect();
            html(StatusCode::OK, pages::queue(&who.applicant.name, &apps))
        }
        Err(error) => failure(&HallError::Store(error)),
    }
}

async fn office_application(State(web): State<HallWeb>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let (who, _) = match require_officer(&web, &headers, &format!("/office/applications/{id}")).await {
        Ok(v) => v,
        Err(response) => return response,
    };
    match web.hall.application(&id).await {
        Ok(app) => {
            let certificates = web.hall.store().certificates_of(&id).await.unwrap_or_default();
            html(
                StatusCode::OK,
                pages::application(&app, &who.applicant.name, &certificates, None, true),
            )
        }
        Err(error) => failure(&error),
    }
}

#[derive(Deserialize)]
struct DecisionForm {
    decision: String,
    #[serde(default)]
    reason: String,
}

async fn decide(State(web): State<HallWeb>, headers: HeaderMap, Path(id): Path<String>, WebForm(form): WebForm<DecisionForm>) -> Response {
    let (_, officer) = match require_officer(&web, &headers, &format!("/office/applications/{id}")).await {
        Ok(v) => v,
        Err(response) => return response,
    };
    let approve = match form.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => {
            return html(
                StatusCode::BAD_REQUEST,
                pages::message("未能办理", "the decision must be approve or reject"),
            )
        }
    };
    // No officer decides their own application.
    match web.hall.application(&id).await {
        Ok(app) if app.row.applicant_id_number == officer.id_number => {
            return html(
                StatusCode::FORBIDDEN,
                pages::message(
                    "不能审核本人的申请",
                    "An officer cannot decide their own application; another officer will.",
                ),
            )
        }
        Ok(_) => {}
        Err(error) => return failure(&error),
    }
    let reason = (!form.reason.trim().is_empty()).then_some(form.reason.as_str());
    match web.hall.decide(&id, &officer_number(&officer), approve, reason, web.now()).await {
        Ok(_) => redirect(&format!("/office/applications/{id}")),
        Err(error) => failure(&error),
    }
}

#[derive(Deserialize)]
struct RevokeForm {
    reason: String,
}

async fn revoke(State(web): State<HallWeb>, headers: HeaderMap, Path(id): Path<String>, WebForm(form): WebForm<RevokeForm>) -> Response {
    let (_, officer) = match require_officer(&web, &headers, "/office").await {
        Ok(v) => v,
        Err(response) => return response,
    };
    let actor = format!("officer:{}", officer_number(&officer));
    match web.hall.revoke(&id, &form.reason, &actor, web.now()).await {
        Ok(()) => html(
            StatusCode::OK,
            pages::message("已撤销 Revoked", "证明已撤销，核验页面将显示撤销原因。"),
        ),
        Err(error) => failure(&error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_same_site_paths_are_followed() {
        assert_eq!(safe_next("/services/house_move"), "/services/house_move");
        for bad in ["//evil.example/", "https://evil.example/", "/\\evil", "evil"] {
            assert_eq!(safe_next(bad), "/");
        }
        assert_eq!(percent_decode(&url_encode("/services/a?b=c")), "/services/a?b=c");
    }

    #[test]
    fn the_posted_form_reads_repeated_members_and_refuses_strangers() {
        let fields = |pairs: &[(&str, &str)]| pairs.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect::<Vec<_>>();
        let form = parse_form(&fields(&[("property", "0"), ("members", "1"), ("members", "0"), ("purpose", "")])).unwrap();
        assert_eq!((form.property, form.members.clone(), form.purpose), (Some(0), vec![1, 0], None));
        assert!(parse_form(&fields(&[("id_number", "110101199001011234")])).is_err());
        assert!(parse_form(&fields(&[("property", "x")])).is_err());
    }
}
