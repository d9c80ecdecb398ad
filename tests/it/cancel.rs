//! Cancellation: a cancelled [`Cancel`] token stops every long operation
//! holding it with an interrupted error and leaves no output, temporary
//! file or partial zip behind; with a fresh token the same calls succeed.
//! Tokens are independent, so these run beside the other tests, and a run
//! cancelled beside another leaves that one's output complete. The
//! command's own Ctrl-C handler is tested by signalling it.

use crate::archive_support::{ACTIVEOBJECTS, ENTITIES, zip_of};
use backup_fix::archive::{ArchiveOptions, fix_zip};
use backup_fix::check::{CheckOptions, check_path_with};
use backup_fix::split::{SplitError, SplitOptions, split};
use backup_fix::{Cancel, Options, driver::fix_file};
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
fn a_cancelled_token_stops_every_operation_and_leaves_nothing_behind() {
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

    let cancel = Cancel::new();
    cancel.cancel();
    let options = Options::default().cancel(cancel.clone());
    let check = CheckOptions::default().cancel(cancel.clone());
    let e = fix_file(&xml, &out.join("fixed.xml"), &options, &mut |_| {}).unwrap_err();
    assert!(e.is_interrupted(), "{e}");
    assert!(e.to_string().contains("interrupted"), "{e}");
    let e = fix_zip(
        &zip,
        &out.join("fixed.zip"),
        &options,
        &ArchiveOptions::default(),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(e.is_interrupted(), "{e}");
    let e = check_path_with(&zip, &check, &mut |_| {}).unwrap_err();
    assert!(e.is_interrupted(), "{e}");
    let e = check_path_with(&xml, &check, &mut |_| {}).unwrap_err();
    assert!(e.is_interrupted(), "{e}");
    let cancelled_split = split_options.clone().cancel(cancel.clone());
    let e = split(&home, &out.join("media"), &cancelled_split, &mut |_| {}).unwrap_err();
    assert!(matches!(e, SplitError::Interrupted), "{e}");
    assert!(e.is_interrupted(), "{e}");
    assert_eq!(names(&out), Vec::<String>::new(), "nothing left behind");

    // A fresh token (the default) lets the same calls run.
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
    check_path_with(&zip, &CheckOptions::default(), &mut |_| {}).unwrap();
    split(&home, &out.join("media"), &split_options, &mut |_| {}).unwrap();
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

#[test]
fn cancelling_one_run_leaves_another_in_the_same_process_complete() {
    let dir = tempfile::tempdir().unwrap();
    let xml = dir.path().join("entities.xml");
    // Several read chunks (1 MiB each), so both runs are mid-way together.
    let mut body = b"<entity-engine-xml>\n".to_vec();
    let row = b"<Action id=\"1\" body=\"text \x01\"/>\n";
    while body.len() < 3 << 20 {
        body.extend_from_slice(row);
    }
    body.extend_from_slice(b"</entity-engine-xml>\n");
    std::fs::write(&xml, &body).unwrap();
    let expected = backup_fix::fix_bytes(&body, &Options::default()).unwrap().0;
    let (stopped_out, kept_out) = (dir.path().join("stopped.xml"), dir.path().join("kept.xml"));

    let (stop, kept) = (Cancel::new(), Cancel::new());
    let (cancelled_tx, cancelled_rx) = std::sync::mpsc::channel::<()>();
    std::thread::scope(|s| {
        let stopped = s.spawn(|| {
            let options = Options::default().cancel(stop.clone());
            let mut first = true;
            fix_file(&xml, &stopped_out, &options, &mut |_| {
                if std::mem::take(&mut first) {
                    stop.cancel();
                    let _ = cancelled_tx.send(());
                }
            })
        });
        let (xml, kept, kept_out) = (&xml, &kept, &kept_out);
        let complete = s.spawn(move || {
            let options = Options::default().cancel(kept.clone());
            let mut first = true;
            // `move`: the callback must be `Send`, and a `Receiver` is not `Sync`.
            fix_file(xml, kept_out, &options, &mut move |_| {
                // Go on only once the other run's token is cancelled.
                if std::mem::take(&mut first) {
                    cancelled_rx.recv().unwrap();
                }
            })
        });
        let e = stopped.join().unwrap().unwrap_err();
        assert!(e.is_interrupted(), "{e}");
        let report = complete.join().unwrap().unwrap();
        assert_eq!(report.input_bytes, body.len() as u64);
    });
    assert!(stop.is_cancelled() && !kept.is_cancelled());
    assert!(!stopped_out.exists(), "the cancelled run wrote nothing");
    assert_eq!(std::fs::read(&kept_out).unwrap(), expected);
    assert_eq!(names(dir.path()), ["entities.xml", "kept.xml"]);
}
