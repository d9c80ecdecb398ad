//! Ctrl-C: `interrupt::request()` stops every long operation with an
//! interrupted error and leaves no output, temporary file or partial zip
//! behind; once cleared, the same calls succeed. The request is
//! process-wide, so these checks run one after another in their own test
//! binary, and the command's own handler is tested by signalling it.

#[path = "it/archive_support/mod.rs"]
mod archive_support;
#[path = "it/support/mod.rs"]
mod support;
#[path = "it/unzip_oracle/mod.rs"]
mod unzip_oracle;

use archive_support::{ACTIVEOBJECTS, ENTITIES, zip_of};
use backup_fix::archive::{ArchiveOptions, fix_zip};
use backup_fix::check::check_path;
use backup_fix::split::{SplitError, SplitOptions, split};
use backup_fix::{Options, driver::fix_file, interrupt};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|r| {
            r.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn an_interrupt_stops_every_operation_and_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let xml = dir.path().join("entities.xml");
    std::fs::write(&xml, ENTITIES).unwrap();
    let zip = dir.path().join("backup.zip");
    zip_of(
        &zip,
        &[
            ("entities.xml", ENTITIES, false),
            ("activeobjects.xml", ACTIVEOBJECTS, false),
        ],
    );
    let home = dir.path().join("home");
    let issue = home.join("data/attachments/ABC/10000/ABC-1");
    std::fs::create_dir_all(&issue).unwrap();
    std::fs::write(issue.join("10100"), b"attachment").unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let split_options = SplitOptions::default()
        .max_size(1 << 20)
        .min_size(1)
        .sync(false);

    interrupt::request();
    let e = fix_file(
        &xml,
        &out.join("fixed.xml"),
        &Options::default(),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(e.is_interrupted(), "{e}");
    assert!(e.to_string().contains("interrupted"), "{e}");
    let e = fix_zip(
        &zip,
        &out.join("fixed.zip"),
        &Options::default(),
        &ArchiveOptions::default(),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(e.is_interrupted(), "{e}");
    let e = check_path(&zip).unwrap_err();
    assert!(e.is_interrupted(), "{e}");
    let e = check_path(&xml).unwrap_err();
    assert!(e.is_interrupted(), "{e}");
    let e = split(&home, &out.join("media"), &split_options, &|_| {}).unwrap_err();
    assert!(matches!(e, SplitError::Interrupted), "{e}");
    assert_eq!(names(&out), Vec::<String>::new(), "nothing left behind");

    interrupt::clear();
    fix_file(
        &xml,
        &out.join("fixed.xml"),
        &Options::default(),
        &mut |_| {},
    )
    .unwrap();
    fix_zip(
        &zip,
        &out.join("fixed.zip"),
        &Options::default(),
        &ArchiveOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    check_path(&zip).unwrap();
    split(&home, &out.join("media"), &split_options, &|_| {}).unwrap();
    assert_eq!(names(&out), ["fixed.xml", "fixed.zip", "media"]);
}

#[test]
fn ctrl_c_on_the_command_exits_130_and_leaves_no_output() {
    if Command::new("kill").arg("-l").output().is_err() {
        eprintln!("SKIPPED: no kill command to send the signal with");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fixed.xml");
    let mut child = Command::new(env!("CARGO_BIN_EXE_backup-fix"))
        .args(["fix", "-", "-o", out.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"<entity-engine-xml>\n").unwrap();
    let row = b"<Action id=\"1\" body=\"text\"/>\n".repeat(1000);
    stdin.write_all(&row).unwrap();
    // The command now waits for more input, its output half-written.
    std::thread::sleep(Duration::from_millis(300));
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    std::thread::sleep(Duration::from_millis(100));
    // More input wakes it; it sees the request and stops.
    let _ = stdin.write_all(&row);
    drop(stdin);
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(130), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    assert_eq!(names(dir.path()), Vec::<String>::new(), "{err}");
}
