//! The enrolment code a trusted terminal shows and a wallet scans:
//! `WZENROL1:<enrolment id, 32 hex>:<secret, 32 hex>`.

/// Prefix of an enrolment QR payload.
pub const ENROLMENT_QR_PREFIX: &str = "WZENROL1:";

/// The enrolment id and secret of a scanned payload; `None` unless it is
/// exactly the documented form.
pub fn parse_enrolment_code(payload: &str) -> Option<(&str, [u8; 16])> {
    let (id, secret) = payload.trim().strip_prefix(ENROLMENT_QR_PREFIX)?.split_once(':')?;
    let secret: [u8; 16] = hex::decode(secret).ok()?.try_into().ok()?;
    (id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())).then_some((id, secret))
}

/// The payload for an enrolment id and secret.
pub fn enrolment_code(id: &str, secret: &[u8; 16]) -> String {
    format!("{ENROLMENT_QR_PREFIX}{id}:{}", hex::encode(secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_documented_form_parses() {
        let id = "0123456789abcdef0123456789abcdef";
        let good = enrolment_code(id, &[7u8; 16]);
        assert_eq!(parse_enrolment_code(&good), Some((id, [7u8; 16])));
        for bad in ["", "WZENROL1:", "WZENROL1:abc:00", "WZQR1:x", &good.replace("WZENROL1", "WZENROL2")] {
            assert_eq!(parse_enrolment_code(bad), None, "{bad}");
        }
    }
}
