//! Known-answer tests from the GB/T standards and RFC 8998, read from
//! `tests/vectors/`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: failing loudly is the point

use wz_crypto::{sm3, sm3_user_hash_za, sm4_encrypt_block, Sm2Signature, Sm2VerifyingKey, Sm4Key};

fn rows(text: &str) -> Vec<Vec<&str>> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| line.split('|').map(str::trim).collect())
        .collect()
}

fn unhex(text: &str) -> Vec<u8> {
    hex::decode(text).unwrap()
}

#[test]
fn sm3_matches_gbt_32905_appendix_a() {
    let vectors = rows(include_str!("vectors/sm3.txt"));
    assert_eq!(vectors.len(), 2);
    for row in vectors {
        assert_eq!(hex::encode(sm3(row[0].as_bytes())), row[1]);
    }
}

#[test]
fn sm4_matches_gbt_32907_appendix_a_including_a_million_rounds() {
    for row in rows(include_str!("vectors/sm4.txt")) {
        let key: [u8; 16] = unhex(row[0]).try_into().unwrap();
        let mut block: [u8; 16] = unhex(row[1]).try_into().unwrap();
        for _ in 0..row[2].parse::<u32>().unwrap() {
            sm4_encrypt_block(&key, &mut block);
        }
        assert_eq!(hex::encode(block), row[3]);
    }
}

#[test]
fn sm4_gcm_matches_rfc_8998_and_rejects_a_changed_tag() {
    for row in rows(include_str!("vectors/sm4_gcm.txt")) {
        let key = Sm4Key::from_bytes(unhex(row[0]).try_into().unwrap());
        let iv: [u8; 12] = unhex(row[1]).try_into().unwrap();
        let aad = unhex(row[2]);
        let sealed = key.seal_with_nonce(iv, &aad, &unhex(row[3])).unwrap();
        let expected = [iv.to_vec(), unhex(row[4]), unhex(row[5])].concat();
        assert_eq!(hex::encode(&sealed), hex::encode(&expected));
        assert_eq!(key.open(&aad, &sealed).unwrap(), unhex(row[3]));
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 0x80;
        assert!(key.open(&aad, &tampered).is_err());
    }
}

#[test]
fn sm2_openssl_signature_verifies_and_za_rule_is_ours() {
    for row in rows(include_str!("vectors/sm2.txt")) {
        let public = unhex(row[1]);
        let key = Sm2VerifyingKey::from_sec1_bytes_with_id(&public, "test", row[0]).unwrap();
        let signature = Sm2Signature::from_hex(row[3]).unwrap();
        key.verify(row[2].as_bytes(), &signature).unwrap();
        // Recompute e = SM3(Z_A || M) with our own Z_A (GB/T 32918.2, 6.1 A1-A2)
        // and check the signature against that digest.
        let za = sm3_user_hash_za(row[0].as_bytes(), &public).unwrap();
        let e = sm3(&[za.as_slice(), row[2].as_bytes()].concat());
        key.verify_digest(&e, &signature).unwrap();
        // A different distinguishing id changes Z_A and must fail.
        let other = Sm2VerifyingKey::from_sec1_bytes_with_id(&public, "test", "1234567812345678").unwrap();
        assert!(other.verify(row[2].as_bytes(), &signature).is_err());
    }
}
