//! The mistakes a new user makes, each answered with a next step: offline
//! commands run from another folder, a server that is not running, a port
//! in use, a missing operator token, bad values, damaged files, a wrong
//! passphrase, and a kiosk that gives up while the wallet waits. Each test
//! here failed before issue #13's fixes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: failing loudly is the point

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// `wz` in `cwd` with a private HOME, no `WZ_*` from the caller's
/// environment, and `extra` variables.
fn wz_in(cwd: &Path, args: &[&str], extra: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wz"));
    command.current_dir(cwd).args(args);
    for (key, _) in std::env::vars() {
        if key.starts_with("WZ_") || key == "XDG_DATA_HOME" {
            command.env_remove(key);
        }
    }
    command.env("HOME", cwd.join("home"));
    for (key, value) in extra {
        command.env(key, value);
    }
    command.output().unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn faces_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/faces/dev")
        .canonicalize()
        .expect("the dev face set is expected at ../shared/faces/dev")
}

/// Every file and folder under `dir`, for "nothing was created" checks.
fn tree(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            found.push(entry.path());
            found.extend(tree(&entry.path()));
        }
    }
    found.sort();
    found
}

#[test]
fn offline_commands_elsewhere_refuse_instead_of_creating_a_registry() {
    // Defect 1: from a folder without ./data, `card issue` said "identity
    // not found" and `audit verify` "intact: 0 entries" (exit 0), both
    // after creating a fresh registry in ./data.
    let cwd = tempfile::tempdir().unwrap();
    std::fs::create_dir(cwd.path().join("home")).unwrap();
    let before = tree(cwd.path());
    for args in [
        &["card", "issue", "--id-number", "43112219800709286X", "--out", "card.json"][..],
        &["audit", "verify"][..],
        &["seed", "--people", "10"][..],
    ] {
        let output = wz_in(cwd.path(), args, &[]);
        let said = text(&output);
        assert!(!output.status.success(), "{args:?}: {said}");
        let home_data = cwd.path().join("home/.local/share/wangzheng");
        assert!(
            said.contains(&format!("no registry at {}", home_data.display())) && said.contains("--data-dir"),
            "{args:?}: {said}"
        );
        assert!(said.contains("data directory: "), "the data directory in use is printed: {said}");
    }
    assert_eq!(tree(cwd.path()), before, "nothing may be created behind the user's back");

    // WZ_DATA_DIR is the documented way to point at one, from any folder.
    let data = cwd.path().join("registry");
    let data_arg = data.to_str().unwrap();
    let output = wz_in(cwd.path(), &["migrate"], &[("WZ_DATA_DIR", data_arg)]);
    assert!(output.status.success(), "{}", text(&output));
    // A registry whose chain is empty proves nothing: exit 3, said so.
    let output = wz_in(cwd.path(), &["audit", "verify"], &[("WZ_DATA_DIR", data_arg)]);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    assert!(text(&output).contains("audit chain EMPTY"), "{}", text(&output));
    let output = wz_in(cwd.path(), &["seed", "--people", "20"], &[("WZ_DATA_DIR", data_arg)]);
    assert!(output.status.success(), "{}", text(&output));
    let output = wz_in(cwd.path(), &["audit", "verify"], &[("WZ_DATA_DIR", data_arg)]);
    assert!(output.status.success() && text(&output).contains("intact"), "{}", text(&output));
}

#[test]
fn a_server_that_is_not_running_is_named_once_with_what_to_do() {
    // Defect 6: the reqwest cause chain was printed twice, without a hint.
    let cwd = tempfile::tempdir().unwrap();
    let output = wz_in(cwd.path(), &["rp", "list", "--server", "http://127.0.0.1:9"], &[]);
    let said = text(&output);
    assert!(!output.status.success());
    assert!(
        said.contains("cannot connect to http://127.0.0.1:9") && said.contains("wz serve"),
        "{said}"
    );
    assert_eq!(said.lines().count(), 1, "one line: {said}");
    assert!(!said.contains("error sending request"), "{said}");
}

#[test]
fn a_missing_operator_token_names_the_flag_that_fixes_it() {
    // Defect 7: the message did not name --data-dir.
    let cwd = tempfile::tempdir().unwrap();
    let output = wz_in(
        cwd.path(),
        &["rp", "register", "--name", "x", "--category", "hotel", "--modes", "qr_verify"],
        &[],
    );
    let said = text(&output);
    assert!(!output.status.success());
    assert!(
        said.contains("admin.token is missing") && said.contains("--data-dir") && said.contains("--admin-token"),
        "{said}"
    );
}

#[test]
fn enum_values_are_listed_and_reasons_come_from_a_closed_list() {
    // Defect 9: `--status lost` got the server's generic invalid_request;
    // any text passed as a reason.
    let cwd = tempfile::tempdir().unwrap();
    let set_status = |status: &str, reason: &str| {
        let args = [
            "registry",
            "set-status",
            "--id-number",
            "43112219800709286X",
            "--status",
            status,
            "--reason",
            reason,
        ];
        text(&wz_in(cwd.path(), &args, &[]))
    };
    let said = set_status("lost", "reported_by_holder");
    assert!(said.contains("possible values: valid, reported_lost, expired, cancelled"), "{said}");
    let said = set_status("reported_lost", "because");
    assert!(said.contains("possible values: reported_by_holder"), "{said}");
}

#[test]
fn damaged_card_files_say_why_and_wrong_passphrases_say_wrong() {
    // Defect 8: every damaged card file said "not a card file".
    let cwd = tempfile::tempdir().unwrap();
    let card = cwd.path().join("card.json");
    let read = |contents: &str| {
        std::fs::write(&card, contents).unwrap();
        text(&wz_in(
            cwd.path(),
            &["card", "read", "card.json", "--server", "http://127.0.0.1:9"],
            &[],
        ))
    };
    assert!(read("").contains("the file is empty"));
    assert!(read("{\"format\": \"wz-card/1\", \"chip\": {").contains("ends early"));
    assert!(read("{\"format\": \"wz-card/1\"}").contains("missing field `chip`"));
    let bad_enum = read(r#"{"format":"wz-card/1","chip":{"id_number":"43112219800709286X","name":"魏心","sex":"q"}}"#);
    assert!(
        bad_enum.contains("unknown variant") && bad_enum.contains("line 1 column"),
        "{bad_enum}"
    );
    assert!(
        !bad_enum.contains("43112219800709286X"),
        "no personal data in the reason: {bad_enum}"
    );

    // Defect 10: a short wrong passphrase was told the creation rule.
    let made = wz_in(
        cwd.path(),
        &["wallet", "init"],
        &[("WZ_WALLET_PASSPHRASE", "correct horse battery")],
    );
    assert!(made.status.success(), "{}", text(&made));
    let output = wz_in(cwd.path(), &["wallet", "qr"], &[("WZ_WALLET_PASSPHRASE", "short")]);
    let said = text(&output);
    assert!(said.contains("wrong passphrase for wallet.wz"), "{said}");
    let output = wz_in(
        cwd.path(),
        &["wallet", "init", "--wallet", "second.wz"],
        &[("WZ_WALLET_PASSPHRASE", "short")],
    );
    assert!(text(&output).contains("at least 8 characters"), "{}", text(&output));
}

/// Kills the server if the test fails before it does.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `wz serve --demo` with `--data-dir` and `--listen PORT`; returns
/// the child and everything it printed up to "Press Ctrl-C".
fn serve(cwd: &Path, data: &Path, port: u16) -> (Guard, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wz"))
        .current_dir(cwd)
        .arg("--data-dir")
        .arg(data)
        .args(["serve", "--demo", "--listen", &port.to_string()])
        .env_remove("WZ_DATABASE_URL")
        .env_remove("WZ_DATA_DIR")
        .env("WZ_DEMO_PEOPLE", "40")
        .env("WZ_DEMO_FACES_DIR", faces_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut banner = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        banner.push_str(&line);
        banner.push('\n');
        if line.contains("Press Ctrl-C") {
            break;
        }
    }
    std::thread::spawn(move || lines.for_each(drop));
    (Guard(child), banner)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn serve_binds_first_hints_with_its_flags_and_a_kiosk_that_gives_up_tells_the_wallet() {
    let cwd = tempfile::tempdir().unwrap();
    let data = cwd.path().join("data");
    let port = free_port();
    let (mut server, banner) = serve(cwd.path(), &data, port);
    let url = format!("http://127.0.0.1:{port}");
    // Defect 5: a bare port is accepted, and the hints carry the flags used.
    assert!(banner.contains(&format!("{url}/wallet")), "{banner}");
    let canonical = data.canonicalize().unwrap();
    assert!(
        banner.contains(&format!("export WZ_SERVER_URL={url} WZ_DATA_DIR={}", canonical.display())),
        "{banner}"
    );

    // A second server on the taken port: one message naming the fix, and
    // nothing written to its data directory.
    let other = cwd.path().join("other");
    let output = wz_in(
        cwd.path(),
        &[
            "--data-dir",
            other.to_str().unwrap(),
            "serve",
            "--demo",
            "--listen",
            &port.to_string(),
        ],
        &[],
    );
    let said = text(&output);
    assert!(!output.status.success());
    assert!(said.contains("is in use") && said.contains("--listen"), "{said}");
    assert_eq!(said.matches("in use").count(), 1, "said once: {said}");
    assert!(!other.exists(), "a port in use must change nothing on disk");

    // Defect 3: the card is reported lost; the kiosk is refused and ends
    // the enrolment; the waiting wallet learns it at once.
    let env = [
        ("WZ_SERVER_URL", url.as_str()),
        ("WZ_DATA_DIR", canonical.to_str().unwrap()),
        ("WZ_WALLET_PASSPHRASE", "correct horse battery"),
    ];
    let id = text(&wz_in(cwd.path(), &["demo", "citizen", "1"], &env)).trim().to_owned();
    assert_eq!(id.len(), 18, "{id}");
    for args in [
        &["card", "issue", "--id-number", &id, "--out", "card.json"][..],
        &[
            "registry",
            "set-status",
            "--id-number",
            &id,
            "--status",
            "reported_lost",
            "--reason",
            "reported_by_holder",
        ][..],
        &["terminal", "register", "--name", "Window 3", "--key-out", "kiosk.key"][..],
        &["wallet", "init"][..],
        &["demo", "photo", "1", "--out", "face.jpg"][..],
    ] {
        let output = wz_in(cwd.path(), args, &env);
        assert!(output.status.success(), "{args:?}: {}", text(&output));
    }
    std::fs::write(cwd.path().join("pw.txt"), "13572468\n").unwrap();
    let started = Instant::now();
    let kiosk_dir = cwd.path().to_owned();
    let kiosk_env: Vec<(String, String)> = env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    let kiosk = std::thread::spawn(move || {
        let env: Vec<(&str, &str)> = kiosk_env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        wz_in(
            &kiosk_dir,
            &[
                "terminal",
                "enrol",
                "--key",
                "kiosk.key",
                "--card",
                "card.json",
                "--face",
                "face.jpg",
                "--password-file",
                "pw.txt",
                "--qr-out",
                "enrol.png",
            ],
            &env,
        )
    });
    let wallet = wz_in(cwd.path(), &["wallet", "enrol", "--qr-png", "enrol.png"], &env);
    let kiosk = kiosk.join().unwrap();
    assert_eq!(kiosk.status.code(), Some(2), "{}", text(&kiosk));
    assert!(text(&kiosk).contains("card_reported_lost"), "{}", text(&kiosk));
    assert_eq!(wallet.status.code(), Some(2), "{}", text(&wallet));
    assert!(text(&wallet).contains("enrolment_cancelled"), "{}", text(&wallet));
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "the wallet waited {:?} for a kiosk that had given up",
        started.elapsed()
    );

    // Defect 13: no colour codes in a log that is not a terminal.
    let _ = server.0.kill();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut server.0.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(stderr.contains("listening"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "ANSI colour codes in a log file: {stderr:?}");
}
