//! Scopes and claims: which registry attributes a request asks for, and
//! how the released (already desensitised) values of a session's signed
//! result read as OpenID Connect claims. Standard claim names where the
//! meaning is the same (`name`, `birthdate`, `gender`, `address`), `wz_`
//! names for the rest.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};
use wz_core::Attribute;

/// Scopes the provider knows.
pub const SCOPES: [&str; 6] = ["openid", "profile", "address", "id_number", "ethnicity", "card_validity"];

/// The claim names the provider can release.
pub const CLAIMS: [&str; 7] = [
    "name",
    "birthdate",
    "gender",
    "address",
    "wz_id_number",
    "wz_ethnicity",
    "wz_card_validity",
];

/// The claim an attribute is released as.
pub fn claim_name(attribute: Attribute) -> &'static str {
    match attribute {
        Attribute::Name => "name",
        Attribute::BirthDate => "birthdate",
        Attribute::Sex => "gender",
        Attribute::Address => "address",
        Attribute::IdNumber => "wz_id_number",
        Attribute::Ethnicity => "wz_ethnicity",
        Attribute::Validity => "wz_card_validity",
    }
}

/// The attribute behind a claim name.
pub fn attribute_of_claim(name: &str) -> Option<Attribute> {
    Attribute::ALL.into_iter().find(|a| claim_name(*a) == name)
}

/// The attributes a scope asks for; `None` for an unknown scope.
pub fn scope_attributes(scope: &str) -> Option<&'static [Attribute]> {
    match scope {
        "openid" => Some(&[]),
        "profile" => Some(&[Attribute::Name, Attribute::BirthDate, Attribute::Sex]),
        "address" => Some(&[Attribute::Address]),
        "id_number" => Some(&[Attribute::IdNumber]),
        "ethnicity" => Some(&[Attribute::Ethnicity]),
        "card_validity" => Some(&[Attribute::Validity]),
        _ => None,
    }
}

/// A released attribute value as its claim's value.
fn claim_value(attribute: Attribute, value: &str) -> Value {
    match (attribute, value) {
        (Attribute::Sex, "男") => json!("male"),
        (Attribute::Sex, "女") => json!("female"),
        (Attribute::Address, text) => json!({ "formatted": text }),
        (_, text) => json!(text),
    }
}

/// The claims for `wanted` attributes out of a result's released fields
/// (wire names to values, as [`wz_core::disclose`] made them): an
/// attribute released in full under its claim name, one the client is not
/// granted under `wz_<attribute>_masked` when it has a desensitised form,
/// exactly as the REST results carry them. Nothing is invented.
pub fn released_claims(released: &BTreeMap<String, String>, wanted: &[Attribute]) -> Map<String, Value> {
    let mut claims = Map::new();
    for attribute in wanted {
        if let Some(value) = released.get(attribute.as_str()) {
            claims.insert(claim_name(*attribute).to_owned(), claim_value(*attribute, value));
        } else if let Some(masked) = released.get(&format!("{}_masked", attribute.as_str())) {
            claims.insert(format!("wz_{}_masked", attribute.as_str()), json!(masked));
        }
    }
    claims
}

/// Every desensitised field of a result (`wz_name_masked`,
/// `wz_id_number_masked`, …): userinfo carries them as REST results do.
pub fn masked_claims(released: &BTreeMap<String, String>) -> Map<String, Value> {
    released
        .iter()
        .filter(|(name, _)| name.ends_with("_masked"))
        .map(|(name, value)| (format!("wz_{name}"), json!(value)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_attribute_has_one_claim_and_back() {
        for attribute in Attribute::ALL {
            assert_eq!(attribute_of_claim(claim_name(attribute)), Some(attribute));
            assert!(CLAIMS.contains(&claim_name(attribute)));
        }
        for scope in SCOPES {
            assert!(scope_attributes(scope).is_some());
        }
        assert_eq!(scope_attributes("email"), None);
    }

    #[test]
    fn released_values_become_claims_and_missing_ones_stay_out() {
        let released: BTreeMap<String, String> = [
            ("name", "张三"),
            ("sex", "女"),
            ("address_masked", "北京市海淀区**"),
            ("id_number_masked", "1101**********1234"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let claims = released_claims(
            &released,
            &[Attribute::Name, Attribute::Sex, Attribute::Address, Attribute::BirthDate],
        );
        assert_eq!(
            Value::Object(claims),
            json!({ "name": "张三", "gender": "female", "wz_address_masked": "北京市海淀区**" })
        );
        assert_eq!(
            Value::Object(masked_claims(&released)),
            json!({ "wz_address_masked": "北京市海淀区**", "wz_id_number_masked": "1101**********1234" })
        );
    }
}
