//! The `wz` binary as an operator uses it: seeding, card issuing, audit
//! verification, and a SIGKILL in the middle of a seed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: failing loudly is the point

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn wz(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wz"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("WZ_DATABASE_URL")
        .output()
        .unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

async fn db(data_dir: &Path) -> sqlx::SqlitePool {
    sqlx::SqlitePool::connect(&format!("sqlite://{}", data_dir.join("wz.db").display()))
        .await
        .unwrap()
}

#[test]
fn bench_limits_measures_the_floor_the_crypto_and_the_group_commit() {
    let dir = tempfile::tempdir().unwrap();
    let output = wz(
        dir.path(),
        &["bench", "limits", "--requests", "300", "--nonces", "300", "--core-seconds", "0.05"],
    );
    let shown = text(&output);
    assert!(output.status.success(), "{shown}");
    for line in [
        "HTTP floor (axum",
        "SM2 sign",
        "SM2 verify",
        "HMAC-SM3",
        "SQLite group-committed nonce insert",
    ] {
        assert!(shown.contains(line), "no {line:?} in {shown}");
    }
    // The floor's CPU comes from its own /metrics: a number, not n/a.
    let floor = shown.lines().find(|l| l.starts_with("HTTP floor")).unwrap();
    assert!(floor.contains("300 in") && !floor.contains("server CPU n/a"), "{floor}");
    let refused = wz(dir.path(), &["bench", "limits", "--core-seconds", "0"]);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(text(&refused).contains("--core-seconds"));
}

#[tokio::test]
async fn seed_is_deterministic_and_audit_verify_finds_tampering() {
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    for dir in [&first, &second] {
        assert!(wz(dir.path(), &["migrate"]).status.success());
        let output = wz(dir.path(), &["seed", "--people", "300", "--seed", "9", "--batch", "100"]);
        assert!(output.status.success(), "{}", text(&output));
    }
    // Same seed, same people: the same card serials in both registries.
    let serials = |pool: sqlx::SqlitePool| async move {
        sqlx::query_scalar::<_, String>("SELECT card_serial FROM identities ORDER BY card_serial")
            .fetch_all(&pool)
            .await
            .unwrap()
    };
    assert_eq!(serials(db(first.path()).await).await, serials(db(second.path()).await).await);

    let output = wz(first.path(), &["audit", "verify"]);
    assert!(
        output.status.success() && text(&output).contains("intact: 3 entries"),
        "{}",
        text(&output)
    );

    let pool = db(first.path()).await;
    sqlx::query("DROP TRIGGER audit_log_no_delete").execute(&pool).await.unwrap();
    sqlx::query("DELETE FROM audit_log WHERE seq = 2").execute(&pool).await.unwrap();
    let output = wz(first.path(), &["audit", "verify"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output).contains("BROKEN at entry 2"), "{}", text(&output));
}

#[test]
fn bad_arguments_fail_clearly_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let output = wz(
        dir.path(),
        &["card", "issue", "--id-number", "11010519491231002Y", "--out", "x.json"],
    );
    assert!(!output.status.success());
    assert!(
        text(&output).contains("invalid ID number: character 18 must be a digit or X"),
        "{}",
        text(&output)
    );
    assert!(
        !dir.path().join("wz.db").exists(),
        "a rejected command must not create the database"
    );

    let photo = dir.path().join("not-a-photo.jpg");
    std::fs::write(&photo, b"hello").unwrap();
    let output = wz(
        dir.path(),
        &[
            "registry",
            "enrol",
            "--demo",
            "--name",
            "测试",
            "--id-number",
            "11010519491231002X",
            "--address",
            "北京市朝阳区",
            "--photo",
        ],
    );
    assert!(!output.status.success());
    let photo_arg = photo.to_str().unwrap();
    let output = wz(
        dir.path(),
        &[
            "registry",
            "enrol",
            "--demo",
            "--name",
            "测试",
            "--id-number",
            "11010519491231002X",
            "--address",
            "北京市朝阳区",
            "--photo",
            photo_arg,
        ],
    );
    assert!(text(&output).contains("photo must be a JPEG or PNG file"), "{}", text(&output));

    let card = dir.path().join("card.json");
    std::fs::write(&card, "{\"format\":\"wz-card/1\"}").unwrap();
    let output = wz(
        dir.path(),
        &["card", "read", card.to_str().unwrap(), "--server", "http://127.0.0.1:9"],
    );
    assert!(text(&output).contains("card_malformed"), "{}", text(&output));
}

#[test]
fn enrolment_outside_demo_mode_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("face.png");
    std::fs::write(&photo, b"\x89PNG\r\n\x1a\nrest").unwrap();
    let args = [
        "registry",
        "enrol",
        "--name",
        "测试",
        "--id-number",
        "11010519491231002X",
        "--address",
        "北京市朝阳区建国路1号",
        "--photo",
        photo.to_str().unwrap(),
    ];
    let output = wz(dir.path(), &args);
    assert!(text(&output).contains("no registry at"), "{}", text(&output));
    assert!(wz(dir.path(), &["migrate"]).status.success());
    let output = wz(dir.path(), &args);
    assert!(text(&output).contains("demo_mode_required"), "{}", text(&output));
    let mut demo_args = args.to_vec();
    demo_args.push("--demo");
    let output = wz(dir.path(), &demo_args);
    assert!(output.status.success(), "{}", text(&output));
    assert!(
        !text(&output).contains("11010519491231002X"),
        "the CLI must print the number masked"
    );
}

#[tokio::test]
async fn sigkill_during_a_seed_loses_no_committed_batch_and_keeps_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    assert!(wz(dir.path(), &["migrate"]).status.success());
    let mut child = Command::new(env!("CARGO_BIN_EXE_wz"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["seed", "--people", "2000000", "--batch", "500"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until some batches have committed, then kill without warning.
    let database = dir.path().join("wz.db");
    let mut committed = 0i64;
    for _ in 0..200 {
        std::thread::sleep(Duration::from_millis(50));
        if database.exists() {
            let pool = db(dir.path()).await;
            committed = sqlx::query_scalar("SELECT count(*) FROM audit_log")
                .fetch_one(&pool)
                .await
                .unwrap_or(0);
            pool.close().await;
            if committed >= 3 {
                break;
            }
        }
    }
    assert!(committed >= 3, "seed made no progress");
    child.kill().unwrap();
    child.wait().unwrap();

    let output = wz(dir.path(), &["audit", "verify"]);
    assert!(output.status.success(), "{}", text(&output));
    let pool = db(dir.path()).await;
    let batches: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log").fetch_one(&pool).await.unwrap();
    let people: i64 = sqlx::query_scalar("SELECT count(*) FROM identities")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        people,
        batches * 500,
        "every committed batch is complete, and nothing else is there"
    );
}

/// `wz face eval DIR` compares every pair of a folder of identity
/// sub-folders and prints each rate with its exact interval and counts.
#[test]
fn face_eval_on_a_folder_compares_all_pairs_with_intervals() {
    let set = tempfile::tempdir().unwrap();
    let dev = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/faces/dev");
    for person in ["Colin_Powell", "George_W_Bush"] {
        std::fs::create_dir(set.path().join(person)).unwrap();
        for image in ["1.jpg", "2.jpg"] {
            std::fs::copy(dev.join(person).join(image), set.path().join(person).join(image)).unwrap();
        }
    }
    let output = Command::new(env!("CARGO_BIN_EXE_wz"))
        .args(["face", "eval"])
        .arg(set.path())
        .output()
        .unwrap();
    let printed = text(&output);
    assert!(output.status.success(), "{printed}");
    assert!(printed.contains("pairs: 6 (2 genuine, 4 impostor compared)"), "{printed}");
    // No impostor pair accepted of four: the exact upper bound is 1 - 0.025^(1/4).
    assert!(
        printed.contains("at the standard threshold 1 (target FAR 1e-3): FAR 0.0000 % [0.0000–60.2365 %] (0/4)"),
        "{printed}"
    );
    assert!(
        printed.contains("FAR target 1e-2: not measurable with 4 impostor pairs"),
        "{printed}"
    );
    assert!(
        printed.contains("network: MobileFaceNet"),
        "the production network by default: {printed}"
    );
    assert!(printed.contains("normal fit of the impostor distances, FAR 1e-4 at"), "{printed}");
}

/// `wz face pad` scores a folder's images and the attacks it simulates from
/// them, with APCER and BPCER and their intervals.
#[test]
fn face_pad_scores_bona_fide_and_simulated_attacks() {
    let set = tempfile::tempdir().unwrap();
    let dev = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/faces/dev");
    std::fs::create_dir(set.path().join("Colin_Powell")).unwrap();
    std::fs::copy(dev.join("Colin_Powell/1.jpg"), set.path().join("Colin_Powell/1.jpg")).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_wz"))
        .args(["face", "pad"])
        .arg(set.path())
        .output()
        .unwrap();
    let printed = text(&output);
    assert!(output.status.success(), "{printed}");
    for line in ["bona fide: 1 scored", "simulated-screen: 1 scored", "simulated-print: 1 scored"] {
        assert!(printed.contains(line), "missing {line:?}: {printed}");
    }
    assert!(printed.contains("simulated-print at threshold 0.2: APCER "), "{printed}");
    assert!(printed.contains("(1/1)") || printed.contains("(0/1)"), "{printed}");
}

/// `wz face liveness` on a folder of one person's ten photos: the
/// genuine turns are assembled, every attack is made from each photo, and
/// each line names its rate and its refusals.
#[test]
fn face_liveness_measures_genuine_and_attack_sequences() {
    let set = tempfile::tempdir().unwrap();
    let dev = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/faces/dev");
    std::fs::create_dir(set.path().join("Colin_Powell")).unwrap();
    for n in 1..=10 {
        let name = format!("Colin_Powell/{n}.jpg");
        std::fs::copy(dev.join(&name), set.path().join(&name)).unwrap();
    }
    let output = Command::new(env!("CARGO_BIN_EXE_wz"))
        .args(["face", "liveness"])
        .arg(set.path())
        .output()
        .unwrap();
    let printed = text(&output);
    assert!(output.status.success(), "{printed}");
    assert!(printed.contains("1 people, "), "{printed}");
    for line in [
        "  turn_left: accepted ",
        "  still as blink: APCER ",
        "  mouth-animated as open_mouth: APCER ",
        "  genuine: min ",
    ] {
        assert!(printed.contains(line), "missing {line:?}: {printed}");
    }
    // One genuine sequence per action, and the real turn passes.
    assert!(
        printed.contains("  turn_left: accepted 100.0000 % [2.5000–100.0000 %] (1/1)"),
        "{printed}"
    );
}

/// `wz speech digits` on the committed espeak-ng recordings (the model
/// from `scripts/fetch-models`): the English digits are heard, Mandarin is
/// not, and each voice gets a rate with its interval.
#[test]
fn speech_digits_hears_the_english_recordings() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let output = Command::new(env!("CARGO_BIN_EXE_wz"))
        .args(["speech", "digits"])
        .arg(root.join("crates/wz-speech/tests/audio"))
        .arg("--model")
        .arg(root.join("models/whisper-tiny.en"))
        .output()
        .unwrap();
    let printed = text(&output);
    assert!(output.status.success(), "{printed}");
    for line in [
        "en_us_4719.wav\t",
        "\t4719\t4719\t4, 7, 1, 9",
        "en_gb_2604.wav\t",
        "\t2604\t2604\tTwo six zero four.",
    ] {
        assert!(printed.contains(line), "missing {line:?}: {printed}");
    }
    assert!(!printed.contains("\t4719\t4719\tSay"), "{printed}");
    assert!(printed.contains("  cmn          0.0000 % [0.0000–97.5000 %] (0/1)"), "{printed}");
    assert!(printed.contains("transcript time"), "{printed}");
}
