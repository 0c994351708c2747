//! wz-face integration tests, one binary: agreement with the original
//! face-api networks, and the whole pipeline on the dev face set.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: failing loudly is the point

mod pipeline;
mod reference;

use std::path::PathBuf;

/// `../shared/faces/dev` beside the repository.
pub fn faces_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/faces/dev");
    assert!(
        dir.is_dir(),
        "the dev face set is expected at {} (shared/ beside the repository)",
        dir.display()
    );
    dir
}
