//! `unzip -t` (Info-ZIP) as an independent reader of the zips we write,
//! shared by the archive and split helpers.

use std::path::Path;
use std::process::Command;

/// Whether `unzip` can run; says so when it cannot.
pub fn unzip_available() -> bool {
    let ok = Command::new("unzip")
        .arg("-v")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        eprintln!("SKIPPED: `unzip` is not installed; the `unzip -t` checks did not run");
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
