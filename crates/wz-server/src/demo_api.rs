//! Demo-mode helpers for the browser pages (mounted only with `--demo`):
//! the demo citizens and the two demo relying parties' credentials, card
//! files for registered people (standing in for the card in a visitor's
//! pocket), self-enrolment at the demo registry office, and kiosk
//! registration without the operator token. None of this exists on a
//! production server: a real registry is filled by the card-making process
//! and terminals are registered by an operator.

use std::fs;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use serde::{Deserialize, Serialize};
use wz_core::{Attribute, AuthMode, NationalIdNumber, PersonGenerator, PopulationSpec, ResultAlg, ResultCode, RpCategory};
use wz_crypto::Sm2VerifyingKey;
use wz_http::ApiError;
use wz_proto::{DemoCardRequest, DemoEnrolledPerson, DemoPersonRequest, RegisterTerminalRequest, TerminalResponse};
pub use wz_proto::{DemoParty, DemoSetup};
use wz_service::{RelyingPartySpec, Services};

use crate::app::start_with;
use crate::keystore::write_secret;
use crate::{seed_demo, Config, DemoCitizen, OpenedServices, RunningServer, ServerError};

/// Registers the demo window, hotel, website and service hall RPs on the
/// first demo start and keeps their secrets in
/// `<data_dir>/demo-relying-parties.json` (0600). A data directory from
/// before the website or the hall existed gains them.
async fn seed_demo_parties(services: &Services, config: &Config, citizens: Vec<DemoCitizen>) -> Result<DemoSetup, ServerError> {
    #[derive(Serialize, Deserialize)]
    struct Saved {
        window: DemoParty,
        hotel: DemoParty,
        #[serde(default)]
        website: Option<DemoParty>,
        #[serde(default)]
        hall: Option<DemoParty>,
    }
    let path = config.data_dir.join("demo-relying-parties.json");
    let read = fs::read_to_string(&path)
        .ok()
        .and_then(|text| serde_json::from_str::<Saved>(&text).ok());
    let (window, hotel, website, hall) = match read {
        Some(saved) => (saved.window, saved.hotel, saved.website, saved.hall),
        None => (
            register_party(services, &window_spec()).await?,
            register_party(services, &hotel_spec()).await?,
            None,
            None,
        ),
    };
    // Written only when something was registered: the instances of a demo
    // cluster share the file.
    let placeholder = [DEMO_WEBSITE_PLACEHOLDER.to_owned()];
    let changed = website.is_none() || hall.is_none();
    let website = match website {
        Some(website) => website,
        None => register_party(services, &website_spec(&placeholder)).await?,
    };
    let hall = match hall {
        Some(hall) => hall,
        None => register_party(services, &hall_spec(&placeholder)).await?,
    };
    if changed {
        let saved = Saved {
            window: window.clone(),
            hotel: hotel.clone(),
            website: Some(website.clone()),
            hall: Some(hall.clone()),
        };
        write_secret(&path, &serde_json::to_string_pretty(&saved).unwrap_or_default())?;
    }
    Ok(DemoSetup {
        citizens,
        window,
        hotel,
        website,
        hall,
    })
}

/// The website's redirect URI until `wz serve` knows the port its
/// process listens on.
const DEMO_WEBSITE_PLACEHOLDER: &str = "http://127.0.0.1/callback";

fn spec(name: &str, category: RpCategory, modes: Vec<AuthMode>, grants: Vec<Attribute>) -> RelyingPartySpec {
    RelyingPartySpec {
        name: name.into(),
        category,
        modes,
        grants,
        webhook_url: None,
        public_key: None,
        alg: ResultAlg::Sm2,
        oidc: None,
    }
}

fn window_spec() -> RelyingPartySpec {
    spec(
        "城市政务服务中心 City Service Centre",
        RpCategory::Government,
        vec![AuthMode::Credential, AuthMode::PortraitCredential, AuthMode::PortraitCredentialPin],
        vec![Attribute::Name, Attribute::IdNumber],
    )
}

fn hotel_spec() -> RelyingPartySpec {
    spec(
        "示范酒店 Demo Hotel",
        RpCategory::Hotel,
        vec![AuthMode::QrVerify, AuthMode::PortraitCredential],
        vec![
            Attribute::Name,
            Attribute::IdNumber,
            Attribute::Sex,
            Attribute::Ethnicity,
            Attribute::Address,
        ],
    )
}

/// The demo website: an OpenID Connect client at every level (L3 by the
/// wallet, L2 with the face, L4 with password and face), granted nothing
/// in full, so what it sees is desensitised as any website's would be.
fn website_spec(redirect_uris: &[String]) -> RelyingPartySpec {
    let mut website = spec(
        "示例网站 Example Website",
        RpCategory::Internet,
        vec![AuthMode::Credential, AuthMode::PortraitCredential, AuthMode::PortraitCredentialPin],
        Vec::new(),
    );
    website.oidc = Some(wz_core::OidcClient {
        redirect_uris: redirect_uris.to_vec(),
        jwks: None,
        id_token_alg: wz_core::IdTokenAlg::Es256,
        access_token_seconds: wz_core::oidc_client::DEFAULT_ACCESS_TOKEN_SECONDS,
    });
    website
}

/// The online service hall: a government OpenID Connect client that signs
/// citizens in with the face (L3) or password and face (L4, officers) and
/// is granted the full name, ID number, sex and birth date its services
/// need to ask the department registries.
fn hall_spec(redirect_uris: &[String]) -> RelyingPartySpec {
    let mut hall = spec(
        "市民网上办事大厅 Online Service Hall",
        RpCategory::Government,
        vec![AuthMode::PortraitCredential, AuthMode::PortraitCredentialPin],
        vec![Attribute::Name, Attribute::IdNumber, Attribute::Sex, Attribute::BirthDate],
    );
    hall.oidc = Some(wz_core::OidcClient {
        redirect_uris: redirect_uris.to_vec(),
        jwks: None,
        id_token_alg: wz_core::IdTokenAlg::Es256,
        access_token_seconds: wz_core::oidc_client::DEFAULT_ACCESS_TOKEN_SECONDS,
    });
    hall
}

/// Most redirect URIs the demo website keeps registered: one per
/// instance of a demo cluster (`scripts/cluster`), the newest kept.
const DEMO_WEBSITE_REDIRECTS: usize = 8;

/// Adds the redirect URI the demo website's process listens on to its
/// registration (the port is known only once it has started; each
/// instance of a demo cluster starts its own website).
pub async fn point_demo_website(services: &Services, setup: &DemoSetup, redirect_uri: &str) -> Result<(), ServerError> {
    point_client(services, &setup.website, website_spec, redirect_uri).await
}

/// The same for the service hall's process.
pub async fn point_demo_hall(services: &Services, setup: &DemoSetup, redirect_uri: &str) -> Result<(), ServerError> {
    point_client(services, &setup.hall, hall_spec, redirect_uri).await
}

async fn point_client(
    services: &Services,
    party: &DemoParty,
    spec: fn(&[String]) -> RelyingPartySpec,
    redirect_uri: &str,
) -> Result<(), ServerError> {
    let current = services.relying_parties.find(&party.client_id).await?;
    let mut uris = current.oidc.map(|o| o.redirect_uris).unwrap_or_default();
    if uris.iter().any(|u| u == redirect_uri) {
        return Ok(());
    }
    uris.retain(|u| u != DEMO_WEBSITE_PLACEHOLDER);
    uris.push(redirect_uri.to_owned());
    let keep_from = uris.len().saturating_sub(DEMO_WEBSITE_REDIRECTS);
    services
        .relying_parties
        .update(&party.client_id, &spec(&uris[keep_from..]), "demo")
        .await?;
    Ok(())
}

async fn register_party(services: &Services, spec: &RelyingPartySpec) -> Result<DemoParty, ServerError> {
    let registered = services.relying_parties.register(spec, "demo").await?;
    Ok(DemoParty {
        name: registered.row.name,
        client_id: registered.row.id,
        client_secret: registered.secret,
    })
}

/// Seeds the demo registry and parties (on first start) and serves the API,
/// the pages and the `/v1/demo/*` helpers: what `wz serve --demo` runs.
pub async fn start_demo(config: &Config, opened: &OpenedServices) -> Result<(RunningServer, DemoSetup), ServerError> {
    start_demo_on(None, config, opened).await
}

/// [`start_demo`] on a listener bound beforehand (`wz serve` binds first).
pub async fn start_demo_on(
    listener: Option<tokio::net::TcpListener>,
    config: &Config,
    opened: &OpenedServices,
) -> Result<(RunningServer, DemoSetup), ServerError> {
    let citizens = seed_demo(&opened.services, config).await?;
    let setup = seed_demo_parties(&opened.services, config, citizens).await?;
    let server = start_with(config, opened, demo_router(opened.services.clone(), setup.clone()), listener).await?;
    Ok((server, setup))
}

/// A JSON body; a malformed one is answered with the API's
/// `invalid_request` error body, never the extractor's plain-text rejection.
type Body<T> = Result<Json<T>, axum::extract::rejection::JsonRejection>;

fn parsed<T>(body: Body<T>) -> Result<T, ApiError> {
    body.map(|Json(value)| value).map_err(|_| ApiError::new(ResultCode::InvalidRequest))
}

#[derive(Clone)]
struct DemoState {
    services: Services,
    setup: Arc<DemoSetup>,
}

/// The `/v1/demo/*` routes.
fn demo_router(services: Services, setup: DemoSetup) -> Router {
    Router::new()
        .route("/v1/demo/setup", get(show_setup))
        .route("/v1/demo/cards", post(issue_card))
        .route("/v1/demo/people", post(enrol_person).layer(DefaultBodyLimit::max(4 * 1024 * 1024)))
        .route("/v1/demo/terminals", post(register_terminal))
        .with_state(DemoState {
            services,
            setup: Arc::new(setup),
        })
}

async fn show_setup(State(demo): State<DemoState>) -> Json<DemoSetup> {
    Json(demo.setup.as_ref().clone())
}

/// A card file for a registered person (the demo's stand-in for the card).
async fn issue_card(State(demo): State<DemoState>, body: Body<DemoCardRequest>) -> Result<Json<serde_json::Value>, ApiError> {
    let request = parsed(body)?;
    let id_number = NationalIdNumber::parse(&request.id_number).map_err(|_| ApiError::new(ResultCode::InvalidRequest))?;
    let card = demo.services.cards.issue(&id_number, "demo-office").await?;
    Ok(Json(
        serde_json::to_value(&card).map_err(|_| ApiError::new(ResultCode::InternalError))?,
    ))
}

/// Self-enrolment at the demo registry office: a generated record (ID
/// number, address, card) with the visitor's name and photo, which must
/// show exactly one face.
async fn enrol_person(State(demo): State<DemoState>, body: Body<DemoPersonRequest>) -> Result<Json<DemoEnrolledPerson>, ApiError> {
    let request = parsed(body)?;
    let photo = base64::engine::general_purpose::STANDARD
        .decode(request.photo.trim())
        .map_err(|_| ApiError::new(ResultCode::InvalidImage))?;
    if demo.services.context.face.largest_face(photo.clone()).await?.is_none() {
        return Err(ApiError::new(ResultCode::NoFace));
    }
    let mut seed = [0u8; 8];
    demo.services.context.entropy.fill(&mut seed);
    let today = demo.services.context.clock.now().date();
    let mut generator = PersonGenerator::new(PopulationSpec {
        seed: u64::from_le_bytes(seed),
        today,
    });
    let mut record = loop {
        let (record, _) = generator.next_person();
        if record.birth_date().year() + 18 < today.year() {
            break record;
        }
    };
    record.name = request.name.trim().to_owned();
    record.validity = wz_core::Validity::by_age_rule(record.birth_date(), today);
    record.portrait = Some(photo);
    demo.services.registry.enrol(&record, "demo-office").await?;
    let card = demo.services.cards.issue(&record.id_number, "demo-office").await?;
    Ok(Json(DemoEnrolledPerson {
        name: record.name.clone(),
        id_number: record.id_number.expose().to_owned(),
        card: serde_json::to_value(&card).map_err(|_| ApiError::new(ResultCode::InternalError))?,
    }))
}

/// Registers a browser kiosk's key as a trusted terminal (in production
/// this is `POST /v1/admin/terminals` with the operator token).
async fn register_terminal(State(demo): State<DemoState>, body: Body<RegisterTerminalRequest>) -> Result<Json<TerminalResponse>, ApiError> {
    let request = parsed(body)?;
    let key = Sm2VerifyingKey::from_text(&request.public_key, "terminal").map_err(|_| ApiError::new(ResultCode::InvalidRequest))?;
    let row = demo
        .services
        .credentials
        .register_terminal(&request.name, &key, "demo-kiosk")
        .await?;
    Ok(Json(TerminalResponse {
        id: row.id,
        name: row.name,
        key_id: key.key_id().as_str().to_owned(),
    }))
}
