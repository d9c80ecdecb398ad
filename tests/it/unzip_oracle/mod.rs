//! The outside oracles the tests lean on, and one policy for when one is
//! missing; `unzip -t` (Info-ZIP) as an independent reader of the zips we
//! write, shared by the archive and split helpers.

use std::path::Path;
use std::process::Command;

/// An oracle (`java`, `unzip`, Chromium, the corpus) is missing: the checks
/// that need it are skipped with the reason printed, except under CI
/// (`CI=true`), where `.ci/run` installs them and a missing one fails the test.
pub fn oracle_missing(what: &str, how: &str) {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{what} is missing under CI, so checks that need it would pass without running: {how}"
    );
    eprintln!("SKIPPED: {what} is not available; the checks that need it did not run ({how})");
}

/// Whether `unzip` can run; says so when it cannot (see [`oracle_missing`]).
pub fn unzip_available() -> bool {
    let ok = Command::new("unzip")
        .arg("-v")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        oracle_missing("`unzip`", "apt-get install unzip; .ci/run installs it");
    }
    ok
}

/// Runs `unzip -t` on `path` and asserts it finds no error.
pub fn assert_unzip_t(path: &Path) {
    if !unzip_available() {
        return;
    }
    let out = Command::new("unzip")
        .arg("-t")
        .arg(path)
        .output()
        .expect("unzip runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("No errors detected"),
        "unzip -t {}: {text}{}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}
