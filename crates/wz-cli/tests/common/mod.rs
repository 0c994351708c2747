//! What the tests that run real `wz serve` processes share: the dev face
//! set, a guard that kills a process the test leaves behind, and reading
//! the server's banner (its URL and the demo citizens it printed).

#![allow(dead_code)] // each test binary includes this module and uses part of it

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Child;

pub fn faces_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/faces/dev")
        .canonicalize()
        .expect("the dev face set is expected at ../shared/faces/dev")
}

/// Kills the process if the test ends before it does.
pub struct Guard(pub Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A demo citizen the server printed: ID number, name, portrait folder.
pub struct Citizen {
    pub id_number: String,
    pub name: String,
    pub folder: String,
}

/// The sorted images of a citizen's portrait folder (the first is the portrait).
pub fn images(citizen: &Citizen) -> Vec<PathBuf> {
    let mut images: Vec<PathBuf> = std::fs::read_dir(faces_dir().join(&citizen.folder))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    images.sort();
    images
}

/// Reads a starting `wz serve`'s stdout (piped) up to "Press Ctrl-C":
/// its URL and the featured citizens with portraits; the rest of its
/// output is drained on a thread so it never blocks on a full pipe.
pub fn banner(child: &mut Child) -> (String, Vec<Citizen>) {
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut url, mut citizens) = (None, Vec::new());
    for line in lines.by_ref() {
        let line = line.unwrap();
        if line.contains("landing page") {
            url = line.split_whitespace().next().map(|u| u.trim_end_matches('/').to_owned());
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.len() == 3 && words[0].len() == 18 && words[2] != "-" {
            citizens.push(Citizen {
                id_number: words[0].into(),
                name: words[1].into(),
                folder: words[2].into(),
            });
        }
        if line.contains("Press Ctrl-C") {
            break;
        }
    }
    std::thread::spawn(move || lines.for_each(drop));
    (url.expect("the server printed its URL"), citizens)
}
