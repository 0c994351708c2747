//! The authorization request (OpenID Connect Core §3.1.2.1, RFC 9126 for
//! the pushed form): parsed from its parameters, checked against the
//! client's registration, and reduced to what the sign-in needs. Code flow
//! only, PKCE `S256` required, `nonce` required, the redirect URI given
//! and matched exactly.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use wz_core::{AssuranceLevel, Attribute, AuthMode, OidcClient};
use wz_store::RelyingPartyRow;

use crate::claims::{attribute_of_claim, scope_attributes};
use crate::error::{OAuthCode, OAuthError};

/// Longest accepted value of any one parameter.
const MAX_PARAMETER_BYTES: usize = 2048;

/// What the sign-in will do and the token will say, kept with the
/// authorization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    /// The exact redirect URI (one of the registered).
    pub redirect_uri: String,
    /// Granted scopes, as asked.
    pub scope: String,
    /// Carried back unchanged.
    pub state: Option<String>,
    /// Carried into the ID token.
    pub nonce: String,
    /// PKCE S256 challenge.
    pub code_challenge: String,
    /// The lowest level the client accepts (from `acr_values` or an
    /// essential `acr` claim); L3 when it names none.
    pub level: AssuranceLevel,
    /// The session's wallet mode for that level.
    pub mode: String,
    /// Attributes asked for (by scope or `claims`), wire names.
    pub attributes: Vec<String>,
    /// Claims asked for in the ID token itself (`claims.id_token`).
    pub id_token_claims: Vec<String>,
    /// RFC 9449 §10: the DPoP key the code is bound to.
    pub dpop_jkt: Option<String>,
}

/// Request parameters as received: every name once (RFC 6749 §3.1).
pub struct Parameters(HashMap<String, String>);

impl Parameters {
    /// From name/value pairs; a repeated, oversized or empty-named
    /// parameter is an error.
    pub fn new(pairs: Vec<(String, String)>) -> Result<Self, OAuthError> {
        let mut map = HashMap::new();
        for (name, value) in pairs {
            if value.len() > MAX_PARAMETER_BYTES {
                return Err(OAuthError::request("a parameter is too long"));
            }
            if value.is_empty() {
                continue;
            }
            if map.insert(name, value).is_some() {
                return Err(OAuthError::request("a parameter is repeated"));
            }
        }
        Ok(Self(map))
    }

    /// A parameter's value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    fn required(&self, name: &'static str, missing: &'static str) -> Result<&str, OAuthError> {
        self.get(name).ok_or(OAuthError::request(missing))
    }
}

/// The redirect URI of a request if it is one the client registered
/// (exact match): only then may errors be sent back to it.
pub fn registered_redirect<'a>(client: &OidcClient, parameters: &'a Parameters) -> Option<&'a str> {
    parameters
        .get("redirect_uri")
        .filter(|uri| client.redirect_uris.iter().any(|registered| registered == uri))
}

/// The mode that proves `level` for this client, if it may use one: any
/// wallet mode reaches L3 (SPEC §2), a face only when the client may ask
/// for it; L4 needs the password and the face.
pub fn mode_for(level: AssuranceLevel, party: &RelyingPartyRow) -> Option<AuthMode> {
    let allowed = |mode: AuthMode| party.modes.iter().any(|m| m == mode.as_str());
    let candidates: &[AuthMode] = match level {
        AssuranceLevel::L4 => &[AuthMode::PortraitCredentialPin],
        AssuranceLevel::L2 => &[AuthMode::PortraitCredential, AuthMode::PortraitCredentialPin],
        _ => &[AuthMode::Credential, AuthMode::PortraitCredential, AuthMode::PortraitCredentialPin],
    };
    candidates.iter().copied().find(|mode| allowed(*mode))
}

/// Levels named by `acr_values` and by an `acr` claim request; the lowest
/// the client accepts is the one to reach (a higher one satisfies it).
fn requested_level(parameters: &Parameters, claims: Option<&serde_json::Value>) -> Result<AssuranceLevel, OAuthError> {
    let mut named: Vec<AssuranceLevel> = Vec::new();
    if let Some(values) = parameters.get("acr_values") {
        for value in values.split(' ').filter(|v| !v.is_empty()) {
            named.push(AssuranceLevel::parse(value).ok_or(OAuthError::request("acr_values holds levels L1 to L4"))?);
        }
    }
    if let Some(acr) = claims.and_then(|c| c.get("id_token")).and_then(|t| t.get("acr")) {
        let values = acr
            .get("values")
            .and_then(|v| v.as_array().cloned())
            .or_else(|| acr.get("value").map(|v| vec![v.clone()]))
            .unwrap_or_default();
        for value in values {
            let level = value.as_str().and_then(AssuranceLevel::parse);
            named.push(level.ok_or(OAuthError::request("the acr claim names levels L1 to L4"))?);
        }
    }
    Ok(named.into_iter().min().unwrap_or(AssuranceLevel::L3))
}

/// Attributes from scopes and the `claims` parameter, and the claims the
/// ID token itself should carry.
fn requested_attributes(scope: &str, claims: Option<&serde_json::Value>) -> Result<(Vec<String>, Vec<String>), OAuthError> {
    let mut attributes: Vec<Attribute> = Vec::new();
    for name in scope.split(' ').filter(|s| !s.is_empty()) {
        attributes.extend(scope_attributes(name).ok_or(OAuthError::new(OAuthCode::InvalidScope, "unknown scope"))?);
    }
    let mut in_id_token = Vec::new();
    if let Some(claims) = claims {
        for (part, target) in [("userinfo", false), ("id_token", true)] {
            let Some(requested) = claims.get(part).and_then(|p| p.as_object()) else {
                continue;
            };
            for name in requested.keys() {
                // Standard claims we do not hold (email, …) are ignored, as
                // OpenID Connect Core §5.5 allows; ours are released.
                if let Some(attribute) = attribute_of_claim(name) {
                    attributes.push(attribute);
                    if target {
                        in_id_token.push(name.clone());
                    }
                }
            }
        }
    }
    let mut names: Vec<String> = attributes.iter().map(|a| a.as_str().to_owned()).collect();
    names.sort();
    names.dedup();
    in_id_token.sort();
    in_id_token.dedup();
    Ok((names, in_id_token))
}

/// Checks a request's parameters for `party` (whose registration has
/// `client`); the redirect URI must already be known to be registered.
pub fn validate(parameters: &Parameters, party: &RelyingPartyRow, client: &OidcClient) -> Result<AuthorizationRequest, OAuthError> {
    if parameters.get("request").is_some() {
        return Err(OAuthError::new(
            OAuthCode::InvalidRequest,
            "request objects are not supported; push the request (PAR)",
        ));
    }
    if parameters.get("response_type") != Some("code") {
        return Err(OAuthError::new(OAuthCode::UnsupportedResponseType, "response_type must be code"));
    }
    if parameters.get("response_mode").is_some_and(|mode| mode != "query") {
        return Err(OAuthError::request("response_mode must be query"));
    }
    let redirect_uri = registered_redirect(client, parameters).ok_or(OAuthError::request("redirect_uri is not registered"))?;
    let scope = parameters.required("scope", "scope is required")?;
    if !scope.split(' ').any(|s| s == "openid") {
        return Err(OAuthError::new(OAuthCode::InvalidScope, "scope must include openid"));
    }
    if parameters.get("prompt") == Some("none") {
        return Err(OAuthError::new(
            OAuthCode::AccessDenied,
            "every sign-in needs the citizen's wallet (prompt=none is not possible)",
        ));
    }
    let nonce = parameters.required("nonce", "nonce is required")?;
    let challenge = parameters.required("code_challenge", "PKCE is required: code_challenge with code_challenge_method S256")?;
    if parameters.get("code_challenge_method") != Some("S256") {
        return Err(OAuthError::request("code_challenge_method must be S256"));
    }
    if challenge.len() != 43 || !challenge.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(OAuthError::request("code_challenge must be a base64url SHA-256"));
    }
    let claims = parameters
        .get("claims")
        .map(|text| serde_json::from_str::<serde_json::Value>(text).map_err(|_| OAuthError::request("claims must be JSON")))
        .transpose()?;
    let level = requested_level(parameters, claims.as_ref())?;
    let mode = mode_for(level, party).ok_or(OAuthError::new(
        OAuthCode::AccessDenied,
        "the requested level cannot be reached by this client (acr not achievable)",
    ))?;
    let (attributes, id_token_claims) = requested_attributes(scope, claims.as_ref())?;
    Ok(AuthorizationRequest {
        redirect_uri: redirect_uri.to_owned(),
        scope: scope.to_owned(),
        state: parameters.get("state").map(str::to_owned),
        nonce: nonce.to_owned(),
        code_challenge: challenge.to_owned(),
        level,
        mode: mode.as_str().to_owned(),
        attributes,
        id_token_claims,
        dpop_jkt: parameters.get("dpop_jkt").map(str::to_owned),
    })
}

/// PKCE S256 (RFC 7636 §4.6): `BASE64URL(SHA256(verifier)) == challenge`,
/// the verifier 43 to 128 unreserved characters.
pub fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    use base64::Engine;
    use sha2::Digest;
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
    well_formed && wz_crypto::constant_time_eq(computed.as_bytes(), challenge.as_bytes())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn party(modes: &[&str]) -> RelyingPartyRow {
        RelyingPartyRow {
            id: "rp-o".into(),
            name: "n".into(),
            category: "government".into(),
            modes: modes.iter().map(|m| (*m).to_owned()).collect(),
            grants: vec![],
            webhook_url: None,
            secret_digest: [0; 32],
            public_key: None,
            alg: "SM2".into(),
            active: true,
            created_at_ms: 0,
            updated_at_ms: 0,
            oidc: None,
        }
    }

    fn client() -> OidcClient {
        OidcClient {
            redirect_uris: vec!["https://rp.example/cb".into()],
            jwks: None,
            id_token_alg: wz_core::IdTokenAlg::Es256,
            access_token_seconds: 600,
        }
    }

    fn parameters(extra: &[(&str, &str)]) -> Parameters {
        let mut pairs: Vec<(String, String)> = [
            ("response_type", "code"),
            ("client_id", "rp-o"),
            ("redirect_uri", "https://rp.example/cb"),
            ("scope", "openid profile"),
            ("nonce", "n-1"),
            ("state", "s-1"),
            ("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
            ("code_challenge_method", "S256"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        for (k, v) in extra {
            pairs.retain(|(name, _)| name != k);
            pairs.push(((*k).to_owned(), (*v).to_owned()));
        }
        Parameters::new(pairs).unwrap()
    }

    #[test]
    fn a_complete_request_asks_for_its_scopes_at_l3() {
        let request = validate(&parameters(&[]), &party(&["credential"]), &client()).unwrap();
        assert_eq!(request.level, AssuranceLevel::L3);
        assert_eq!(request.mode, "credential");
        assert_eq!(request.attributes, vec!["birth_date", "name", "sex"]);
        assert_eq!(request.state.as_deref(), Some("s-1"));
    }

    #[test]
    fn levels_pick_the_mode_and_an_unreachable_one_is_refused() {
        let both = party(&["credential", "portrait_credential_pin"]);
        let l4 = validate(&parameters(&[("acr_values", "L4")]), &both, &client()).unwrap();
        assert_eq!((l4.level, l4.mode.as_str()), (AssuranceLevel::L4, "portrait_credential_pin"));
        let any = validate(&parameters(&[("acr_values", "L4 L2")]), &both, &client()).unwrap();
        assert_eq!(any.level, AssuranceLevel::L2, "the lowest accepted level is reached");
        let refused = validate(&parameters(&[("acr_values", "L4")]), &party(&["credential"]), &client()).unwrap_err();
        assert_eq!(refused.code, OAuthCode::AccessDenied);
        let essential = r#"{"id_token":{"acr":{"essential":true,"values":["L4"]},"wz_id_number":null}}"#;
        let claimed = validate(&parameters(&[("claims", essential)]), &both, &client()).unwrap();
        assert_eq!(claimed.level, AssuranceLevel::L4);
        assert_eq!(claimed.id_token_claims, vec!["wz_id_number"]);
        assert!(claimed.attributes.contains(&"id_number".to_owned()));
    }

    #[test]
    fn each_missing_or_wrong_parameter_has_its_error() {
        let p = party(&["credential"]);
        for (extra, code) in [
            (("response_type", "token"), OAuthCode::UnsupportedResponseType),
            (("scope", "profile"), OAuthCode::InvalidScope),
            (("scope", "openid email"), OAuthCode::InvalidScope),
            (("code_challenge_method", "plain"), OAuthCode::InvalidRequest),
            (("redirect_uri", "https://rp.example/cb2"), OAuthCode::InvalidRequest),
            (("acr_values", "L9"), OAuthCode::InvalidRequest),
            (("prompt", "none"), OAuthCode::AccessDenied),
            (("request", "eyJ"), OAuthCode::InvalidRequest),
        ] {
            assert_eq!(validate(&parameters(&[extra]), &p, &client()).unwrap_err().code, code, "{extra:?}");
        }
        let mut without_nonce = parameters(&[]);
        without_nonce.0.remove("nonce");
        assert_eq!(
            validate(&without_nonce, &p, &client()).unwrap_err().description,
            "nonce is required"
        );
        let mut without_pkce = parameters(&[]);
        without_pkce.0.remove("code_challenge");
        assert_eq!(validate(&without_pkce, &p, &client()).unwrap_err().code, OAuthCode::InvalidRequest);
        assert!(Parameters::new(vec![("a".into(), "1".into()), ("a".into(), "2".into())]).is_err());
    }

    #[test]
    fn pkce_follows_rfc_7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert!(pkce_matches(verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
        assert!(!pkce_matches(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
        assert!(!pkce_matches("short", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
    }
}
