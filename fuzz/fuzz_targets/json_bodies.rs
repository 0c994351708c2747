#![no_main]
//! Every JSON request body type of the API: the first byte picks the type,
//! the rest is the body. Deserialisation must refuse, never panic, and
//! what it accepts must serialise again.
use wz_proto::*;

fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(body: &[u8]) {
    if let Ok(value) = serde_json::from_slice::<T>(body) {
        serde_json::to_vec(&value).expect("an accepted body serialises");
    }
}

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    let Some((&selector, body)) = bytes.split_first() else { return };
    match selector % 18 {
        0 => round_trip::<ChangeStatusRequest>(body),
        1 => round_trip::<ReadCardRequest>(body),
        2 => round_trip::<LightApplicationRequest>(body),
        3 => round_trip::<CredentialStatusRequest>(body),
        4 => round_trip::<PasswordCheckRequest>(body),
        5 => round_trip::<QrVerifyRequest>(body),
        6 => round_trip::<RegisterTerminalRequest>(body),
        7 => round_trip::<BindEnrolmentRequest>(body),
        8 => round_trip::<CompleteEnrolmentRequest>(body),
        9 => round_trip::<EnrolledCredentialRequest>(body),
        10 => round_trip::<RelyingPartyRequest>(body),
        11 => round_trip::<RelyingPartyStateRequest>(body),
        12 => round_trip::<AuthenticationRequest>(body),
        13 => round_trip::<WalletHistoryRequest>(body),
        14 => round_trip::<CreateSessionRequest>(body),
        15 => round_trip::<CreateTransactionRequest>(body),
        16 => round_trip::<ScanSessionRequest>(body),
        _ => round_trip::<CompleteSessionRequest>(body),
    }
});
