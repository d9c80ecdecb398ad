//! Resuming `split`: complete zips that match the plan are kept, damaged or
//! missing ones are redone, and an interrupted run (an error mid-way, or
//! the process killed) never leaves a zip that looks complete.

use crate::split_common;

use backup_fix::split::{SplitError, SplitOptions, ZipStatus, plan, split, verify_zip};
use backup_fix::synth::MediaTreeSynth;
use split_common::*;
use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

const MIB: u64 = 1 << 20;

fn options() -> SplitOptions {
    SplitOptions::default()
        .max_size(MIB)
        .min_size(MIB / 2)
        .sync(false)
}

fn home(dir: &Path, bytes: u64) {
    MediaTreeSynth {
        target_bytes: bytes,
        projects: 4,
        mean_file: 16 << 10,
        oddities: true,
        ..Default::default()
    }
    .write_home(dir)
    .expect("generate");
}

#[cfg(unix)]
fn inode(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    fs::metadata(path).unwrap().ino()
}

#[cfg(not(unix))]
fn inode(path: &Path) -> u64 {
    fs::metadata(path).unwrap().len()
}

fn leftovers(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".partial") || n.starts_with(".backup-fix-split-"))
        .collect()
}

#[test]
fn rerun_keeps_verified_zips_and_redoes_damaged_and_missing_ones() {
    let src = tempfile::tempdir().unwrap();
    home(src.path(), 6 * MIB);
    let out = tempfile::tempdir().unwrap();
    let first = split(src.path(), out.path(), &options(), &mut |_| {}).unwrap();
    assert!(first.zips.len() >= 6, "{} zips", first.zips.len());
    let path = |i: usize| out.path().join(&first.zips[i].name);
    let inodes: Vec<u64> = (0..first.zips.len()).map(|i| inode(&path(i))).collect();

    // zip 2: one byte of data flipped (same size: only the CRC check can tell).
    let mut bytes = fs::read(path(1)).unwrap();
    bytes[2000] ^= 0x55;
    fs::write(path(1), &bytes).unwrap();
    // zip 3: gone, as if the crash came while it was written.
    let third = fs::read(path(2)).unwrap();
    fs::remove_file(path(2)).unwrap();
    fs::write(
        out.path().join(format!("{}.partial", first.zips[2].name)),
        &third[..third.len() / 2],
    )
    .unwrap();
    // zip 4: torn (truncated) under its final name.
    let f = fs::OpenOptions::new().write(true).open(path(3)).unwrap();
    f.set_len(1000).unwrap();
    drop(f);
    // The manifest of the first run is stale.
    fs::write(out.path().join("manifest.json"), b"{}").unwrap();

    let again = split(src.path(), out.path(), &options(), &mut |_| {}).unwrap();
    assert_eq!(again.zips.len(), first.zips.len());
    for (i, z) in again.zips.iter().enumerate() {
        let expected = if (1..=3).contains(&i) {
            ZipStatus::Written
        } else {
            ZipStatus::Kept
        };
        assert_eq!(z.status, expected, "{}", z.name);
        assert!(z.crc_checked);
        if expected == ZipStatus::Kept {
            assert_eq!(inode(&path(i)), inodes[i], "{} was rewritten", z.name);
        }
    }
    assert!(
        again
            .warnings
            .iter()
            .any(|w| w.contains(&first.zips[1].name) && w.contains("did not match"))
    );
    assert!(
        leftovers(out.path()).is_empty(),
        "{:?}",
        leftovers(out.path())
    );
    assert_union_equals_tree(src.path(), &zips_in(out.path()));
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(out.path().join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["zips"][0]["status"], "kept");
    assert_eq!(manifest["zips"][1]["status"], "written");
}

#[test]
fn an_error_mid_run_leaves_complete_zips_only_and_a_rerun_finishes() {
    let src = tempfile::tempdir().unwrap();
    home(src.path(), 6 * MIB);
    let out = tempfile::tempdir().unwrap();
    let opts = options().jobs(1);
    let p = plan(src.path(), &opts, None, &mut |_| {}).unwrap();
    let n = p.zips().len();
    assert!(n >= 6);
    // Change a file that the fourth zip holds, after planning.
    let victim = p.zips()[3].projects[0].clone();
    let issue = victim.first_issue.clone().unwrap();
    let issue_dir = walkdir(src.path())
        .into_iter()
        .find(|d| d.ends_with(&issue) && d.is_dir())
        .unwrap();
    let file = fs::read_dir(&issue_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_file())
        .unwrap();
    fs::write(&file, b"changed under our feet").unwrap();
    let err = p.write(out.path(), &mut |_| {}).unwrap_err();
    assert!(matches!(err, SplitError::Changed { .. }), "{err:?}");
    assert!(err.to_string().contains(&*file.to_string_lossy()), "{err}");
    // Zips before the failure are complete and verify; the failed one is absent.
    let present = zips_in(out.path());
    assert_eq!(present.len(), 3, "{present:?}");
    for z in &present {
        assert!(verify_zip(z).unwrap().all_crc_checked());
    }
    assert!(
        leftovers(out.path()).is_empty(),
        "{:?}",
        leftovers(out.path())
    );
    drop(p);

    let m = split(src.path(), out.path(), &opts, &mut |_| {}).unwrap();
    assert_eq!(m.zips[0].status, ZipStatus::Kept);
    assert!(
        m.zips
            .iter()
            .skip(3)
            .all(|z| z.status == ZipStatus::Written)
    );
    assert_union_equals_tree(src.path(), &zips_in(out.path()));
}

fn walkdir(root: &Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![root.to_path_buf()];
    let mut i = 0;
    while i < out.len() {
        if out[i].is_dir() {
            let mut children: Vec<_> = fs::read_dir(&out[i])
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            children.sort();
            out.extend(children);
        }
        i += 1;
    }
    out
}

#[test]
fn a_killed_run_leaves_no_zip_that_looks_complete_and_resumes() {
    let src = tempfile::tempdir().unwrap();
    home(src.path(), 40 * MIB);
    let out = tempfile::tempdir().unwrap();
    let args = |c: &mut std::process::Command| {
        c.arg("split")
            .arg(src.path())
            .arg("-o")
            .arg(out.path())
            .args(["--max-size", "1MiB", "--jobs", "1", "--no-sync", "-q"]);
    };
    let mut cmd = cli();
    args(&mut cmd);
    let mut child = cmd.spawn().unwrap();
    let started = Instant::now();
    while !out.path().join("media-003.zip").exists() && started.elapsed() < Duration::from_secs(60)
    {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let _ = child.kill();
    let _ = child.wait();
    let present = zips_in(out.path());
    eprintln!("killed with {} complete zip(s) present", present.len());
    assert!(!out.path().join("manifest.json").exists() || present.len() > 30);
    // Whatever the moment of the kill, every zip under a final name is complete.
    for z in &present {
        let check = verify_zip(z).unwrap_or_else(|e| panic!("{}: {e}", z.display()));
        assert!(check.all_crc_checked());
    }
    let mut cmd = cli();
    args(&mut cmd);
    cmd.arg("--json");
    let output = cmd.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let m: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let kept = m["zips"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|z| z["status"] == "kept")
        .count();
    assert_eq!(
        kept,
        present.len(),
        "every zip present after the kill is kept"
    );
    assert!(
        leftovers(out.path()).is_empty(),
        "{:?}",
        leftovers(out.path())
    );
    assert_union_equals_tree(src.path(), &zips_in(out.path()));
}
