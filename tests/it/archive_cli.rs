//! `backup-fix fix` on zips: dispatch by magic bytes (and `.zip` names),
//! the printed report, the JSON report, and exit codes scripts can trust.
#![cfg(feature = "cli")]

use crate::archive_support;

use archive_support::*;
use std::path::Path;
use std::process::{Command, Output};

fn run(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_backup-fix"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("backup-fix runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn a_backup_zip_is_repaired_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    // Named .bin: the zip is recognised by its first bytes, not its name.
    let (input, _) = generate(dir.path(), "backup.bin", &small_synth(true));
    let o = run(
        &[
            "fix",
            input.to_str().unwrap(),
            "-o",
            "fixed.zip",
            "--level",
            "6",
            "--threads",
            "2",
            "--report",
            "report.json",
        ],
        dir.path(),
    );
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains("Jira backup (version 7.10.0, build 710001)"),
        "{err}"
    );
    assert!(err.contains("entities.xml: "), "{err}");
    assert!(err.contains("the archive reads back"), "{err}");
    assert_unzip_t(&dir.path().join("fixed.zip"));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("report.json")).unwrap()).unwrap();
    assert_eq!(json["ok"], true);
    assert_eq!(json["archive"]["kind"], "jira-backup");
    assert_eq!(json["archive"]["entries"]["xml"], 2);
    // Where the CPU time went, in seconds, where the system tells it.
    let cpu = &json["archive"]["xml"][0]["cpu"];
    if cfg!(target_os = "linux") {
        for stage in ["inflate", "xml", "deflate", "write", "wall"] {
            assert!(
                cpu[stage].as_f64().is_some_and(|s| s > 0.0),
                "{stage}: {cpu}"
            );
        }
        assert_eq!(cpu["deflate_threads"], 2);
        assert!(err.contains("CPU: inflate "), "{err}");
    } else {
        assert!(cpu.is_null(), "{cpu}");
        assert!(!err.contains("CPU:"), "{err}");
    }
}

#[test]
fn a_bad_zip_exits_1_with_one_clear_message_and_no_output() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("backup.zip"), b"<not-a-zip/>").unwrap();
    let o = run(
        &["fix", "backup.zip", "-o", "fixed.zip", "--report", "r.json"],
        dir.path(),
    );
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert_eq!(
        err.matches("not a zip archive").count(),
        1,
        "said once: {err}"
    );
    assert!(
        err.starts_with("backup-fix: error: backup.zip: not a zip archive"),
        "{err}"
    );
    assert!(!dir.path().join("fixed.zip").exists());
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("r.json")).unwrap()).unwrap();
    assert_eq!(json["ok"], false);
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let (input, _) = generate(dir.path(), "backup.zip", &small_synth(false));
    for bad in [["--level", "10"], ["--threads", "0"]] {
        let o = run(
            &[
                "fix",
                input.to_str().unwrap(),
                "-o",
                "f.zip",
                bad[0],
                bad[1],
            ],
            dir.path(),
        );
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    }
}

#[test]
fn xml_input_still_takes_the_xml_path() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("entities.xml"), ENTITIES).unwrap();
    let o = run(&["fix", "entities.xml", "-o", "out.xml", "-q"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = std::fs::read(dir.path().join("out.xml")).unwrap();
    assert!(!out.contains(&0x1c));
}
