use super::*;
use proptest::prelude::*;
use rand::SeedableRng;
use sm2::dsa::signature::{Signer, Verifier};

fn key(seed: u64) -> Sm2SigningKey {
    Sm2SigningKey::generate(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed), "sm2").unwrap()
}

/// The `sm2` crate's own signer for the same secret.
fn crate_key(key: &Sm2SigningKey) -> sm2::dsa::SigningKey {
    sm2::dsa::SigningKey::from_slice(DEFAULT_DISTINGUISHING_ID, &key.to_scalar_bytes()).unwrap()
}

#[test]
fn pem_round_trip_keeps_key_id_and_signatures() {
    let original = key(1);
    let pem = original.to_pkcs8_pem().unwrap();
    let restored = Sm2SigningKey::from_pkcs8_pem(&pem, "sm2").unwrap();
    assert_eq!(original.key_id(), restored.key_id());
    let signature = restored.sign(b"m").unwrap();
    original.verifying_key().verify(b"m", &signature).unwrap();
    let public_pem = original.verifying_key().to_public_key_pem().unwrap();
    Sm2VerifyingKey::from_public_key_pem(&public_pem, "sm2")
        .unwrap()
        .verify(b"m", &signature)
        .unwrap();
}

#[test]
fn a_key_written_by_the_previous_release_still_reads() {
    // PKCS#8 PEM as sm2 0.13 / pkcs8 0.10 wrote it (key files on disk).
    let pem = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqBHM9VAYItBG0wawIBAQQg88v8xqkEXvNDQpIQ\nzkHXBYCs4jRsRxCCAKAlqZqiHKuhRANCAASQn2kZgQFeNNcqGHxK5QTOrCDlFafF\njYDqNZYRM8qtPWxS3sLTU4z7GC6H4NkcUfZiI55IEEs1HNC6fKnsCFnv\n-----END PRIVATE KEY-----\n";
    let key = Sm2SigningKey::from_pkcs8_pem(pem, "sm2").unwrap();
    let signature = key.sign(b"still mine").unwrap();
    key.verifying_key().verify(b"still mine", &signature).unwrap();
}

#[test]
fn signature_from_another_key_fails() {
    let signature = key(1).sign(b"m").unwrap();
    assert_eq!(key(2).verifying_key().verify(b"m", &signature), Err(CryptoError::BadSignature));
}

#[test]
fn garbage_keys_and_signatures_are_rejected() {
    assert!(Sm2SigningKey::from_pkcs8_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "sm2").is_err());
    assert!(Sm2VerifyingKey::from_sec1_bytes(&[4u8; 65], "sm2").is_err());
    assert_eq!(Sm2Signature::from_hex("abcd"), Err(CryptoError::MalformedSignature));
}

#[test]
fn zero_and_out_of_range_signature_halves_are_refused() {
    let signer = key(3);
    let verifier = signer.verifying_key();
    let good = signer.sign(b"m").unwrap().to_bytes();
    let order = hex::decode("fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123").unwrap();
    for (at, value) in [
        (0usize, vec![0u8; 32]),
        (32, vec![0u8; 32]),
        (0, order.clone()),
        (32, order),
        (0, vec![0xff; 32]),
    ] {
        let mut bad = good;
        bad[at..at + 32].copy_from_slice(&value);
        assert_eq!(
            verifier.verify(b"m", &Sm2Signature::from_slice(&bad).unwrap()),
            Err(CryptoError::BadSignature)
        );
    }
}

#[test]
fn scalars_without_an_inverse_of_one_plus_d_or_out_of_range_are_refused() {
    // d = n - 1: 1 + d = n has no inverse (GB/T 32918.2-2016, 6.1 requires d in [1, n-2]).
    let n_minus_one = hex::decode("fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54122").unwrap();
    assert!(Sm2SigningKey::from_scalar_bytes(&n_minus_one, "sm2").is_err());
    assert!(Sm2SigningKey::from_scalar_bytes(&[0u8; 32], "sm2").is_err());
    assert!(Sm2SigningKey::from_scalar_bytes(&[0xffu8; 32], "sm2").is_err());
    assert!(Sm2SigningKey::from_scalar_bytes(&[1u8; 31], "sm2").is_err());
}

#[test]
fn za_is_the_one_the_crate_and_the_standard_hash_give() {
    let signer = key(4);
    let public = signer.verifying_key();
    let za = sm3_user_hash_za(DEFAULT_DISTINGUISHING_ID.as_bytes(), &public.to_sec1_bytes()).unwrap();
    let signature = signer.sign(b"abc").unwrap();
    public.verify_digest(&sm3_parts(&[&za, b"abc"]), &signature).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn any_flipped_bit_of_message_or_signature_fails(seed in any::<u64>(), msg in proptest::collection::vec(any::<u8>(), 1..64), bit in any::<proptest::sample::Index>()) {
        let signer = key(seed);
        let signature = signer.sign(&msg).unwrap();
        let verifier = signer.verifying_key();
        prop_assert!(verifier.verify(&msg, &signature).is_ok());
        let mut bad_msg = msg.clone();
        let i = bit.index(msg.len() * 8);
        bad_msg[i / 8] ^= 1 << (i % 8);
        prop_assert!(verifier.verify(&bad_msg, &signature).is_err());
        let mut bad_sig = signature.to_bytes();
        let j = bit.index(512);
        bad_sig[j / 8] ^= 1 << (j % 8);
        prop_assert!(verifier.verify(&msg, &Sm2Signature::from_slice(&bad_sig).unwrap()).is_err());
    }

    /// Our signing is the crate's, bit for bit, and each side verifies the
    /// other's signatures and refuses the same altered ones.
    #[test]
    fn signatures_equal_the_sm2_crates_and_verify_both_ways(seed in any::<u64>(), msg in proptest::collection::vec(any::<u8>(), 0..200), bit in any::<proptest::sample::Index>()) {
        let ours = key(seed);
        let theirs = crate_key(&ours);
        let signature = ours.sign(&msg).unwrap();
        let crate_signature: sm2::dsa::Signature = theirs.try_sign(&msg).unwrap();
        prop_assert_eq!(signature.to_bytes().to_vec(), crate_signature.to_bytes().to_vec());
        prop_assert!(theirs.verifying_key().verify(&msg, &crate_signature).is_ok());
        let mut bad = signature.to_bytes();
        let j = bit.index(512);
        bad[j / 8] ^= 1 << (j % 8);
        let crate_verdict = sm2::dsa::Signature::from_slice(&bad).is_ok_and(|s| theirs.verifying_key().verify(&msg, &s).is_ok());
        prop_assert_eq!(ours.verifying_key().verify(&msg, &Sm2Signature::from_slice(&bad).unwrap()).is_ok(), crate_verdict);
    }
}
