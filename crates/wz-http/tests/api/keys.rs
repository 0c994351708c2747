use base64::Engine;
use wz_crypto::{Es256VerifyingKey, Sm2VerifyingKey};
use wz_testkit::spawn_server;

#[tokio::test]
async fn published_keys_verify_platform_signatures() {
    let server = spawn_server().await;
    let keys = server.client.keys().await.unwrap().keys;
    let keyring = &server.opened.services.context.keyring;

    let sm2 = keys.iter().find(|k| k.alg == "SM2" && k.usage == "results").unwrap();
    assert_eq!(sm2.kid, keyring.platform_sm2.key_id().as_str());
    let published = Sm2VerifyingKey::from_public_key_pem(sm2.public_key_pem.as_deref().unwrap(), "sm2").unwrap();
    let signature = keyring.platform_sm2.sign(b"result").unwrap();
    published.verify(b"result", &signature).unwrap();
    assert!(published.verify(b"resulT", &signature).is_err());

    let es256 = keys.iter().find(|k| k.alg == "ES256").unwrap();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let sec1 = [
        vec![4u8],
        b64.decode(es256.x.as_deref().unwrap()).unwrap(),
        b64.decode(es256.y.as_deref().unwrap()).unwrap(),
    ]
    .concat();
    let published = Es256VerifyingKey::from_sec1_bytes(&sec1).unwrap();
    assert_eq!(published.key_id().as_str(), es256.kid);
    published
        .verify(b"result", &keyring.platform_es256.sign(b"result").unwrap())
        .unwrap();

    let authority = keys.iter().find(|k| k.usage == "card-authority").unwrap();
    assert_eq!(authority.kid, keyring.card_authority.key_id().as_str());
}

#[tokio::test]
async fn keys_survive_a_restart_of_the_same_data_directory() {
    let server = spawn_server().await;
    let before = server.client.keys().await.unwrap();
    let again = wz_server::open_services(&server.config).await.unwrap();
    assert_eq!(again.services.context.keyring.platform_sm2.key_id().as_str(), before.keys[0].kid);
}
