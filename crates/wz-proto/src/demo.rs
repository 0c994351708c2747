//! The demo-mode helpers' wire types (`/v1/demo/*`, mounted only by
//! `wz serve --demo`; not part of the production API document).

use serde::{Deserialize, Serialize};

/// A featured demo citizen (synthetic).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoCitizen {
    /// Generated name.
    pub name: String,
    /// Generated ID number.
    pub id_number: String,
    /// Face-set folder whose first image is the registry portrait.
    pub portrait_source: Option<String>,
}

/// A demo relying party's credentials, shown to the demo consoles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoParty {
    /// Display name.
    pub name: String,
    /// Client id.
    pub client_id: String,
    /// Client secret (demo only: a real RP keeps it on its server).
    pub client_secret: String,
}

/// `GET /v1/demo/setup`: what the demo pages are told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoSetup {
    /// Featured demo citizens (synthetic).
    pub citizens: Vec<DemoCitizen>,
    /// The service window's RP (government).
    pub window: DemoParty,
    /// The hotel's RP.
    pub hotel: DemoParty,
    /// The demo website's RP: an OpenID Connect client (`wz demo-rp`).
    pub website: DemoParty,
    /// The online service hall's RP: a government OpenID Connect client
    /// granted the full name and ID number (`wz hall serve`).
    pub hall: DemoParty,
}

/// `POST /v1/demo/cards`: a card file for a registered person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoCardRequest {
    /// The holder's ID number.
    pub id_number: String,
}

/// `POST /v1/demo/people`: self-enrolment at the demo registry office.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoPersonRequest {
    /// Name to print on the card.
    pub name: String,
    /// A photo (JPEG or PNG), base64: the registry portrait.
    pub photo: String,
}

/// The person the demo registry office enrolled, with their card file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DemoEnrolledPerson {
    /// Name as given.
    pub name: String,
    /// The generated ID number.
    pub id_number: String,
    /// The card file (JSON).
    pub card: serde_json::Value,
}
