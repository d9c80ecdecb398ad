//! The one zip layer under `fix`, `check` and `split`, driven with zips the
//! input describes (entry names from a table of odd ones, stored or
//! deflated data, data descriptors, zip64 records forced) and then damages
//! (bytes overwritten, the end cut off). The three commands never panic,
//! agree on whether the zip's structure and data read, and leave nothing
//! half-written behind on error.
#![no_main]

use backup_fix::archive::{ArchiveError, ArchiveOptions, fix_zip};
use backup_fix::check::check_path;
use backup_fix::split::{SplitError, SplitOptions, split};
use backup_fix::synth::{ZipEntrySpec, write_zip};
use backup_fix::{Error, Options};
use libfuzzer_sys::fuzz_target;
use std::io::Cursor;
use std::path::Path;

const ENTITIES: &[u8] = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<entity-engine-xml date=\"1\">\n    <Action id=\"1\" body=\"hello\"/>\n</entity-engine-xml>\n";

/// Names the input picks from: ordinary ones and every odd case the name
/// policy knows.
const NAMES: &[&[u8]] = &[
    b"data/attachments/ABC/10000/ABC-1/10100",
    b"data/attachments/ABC/10000/ABC-2/10101",
    b"data/attachments/",
    b"/",
    b"./",
    b"../evil",
    b"/etc/passwd",
    b"C:/evil",
    b"data\\..\\..\\evil",
    b"data/attachments/ABC/10000/ABC-1/M\x84rz.txt",
    b"data/attachments/ABC/10000/ABC-1/caf\xc3\xa9.txt",
    b"activeobjects.xml",
    b"data/attachments/ABC/10000/ABC-1/10100",
];

/// The zip the input describes, and the damage to do to it.
fn build(data: &[u8]) -> Option<(Vec<u8>, &[u8], Option<usize>)> {
    let (&flags, mut rest) = data.split_first()?;
    let mut entries = Vec::new();
    if flags & 4 == 0 {
        entries.push(ZipEntrySpec::file("entities.xml", ENTITIES));
    }
    let count = usize::from(flags >> 4) % 8;
    for _ in 0..count {
        let [pick, len, how, ref tail @ ..] = *rest else {
            break;
        };
        rest = tail;
        let name = NAMES[usize::from(pick) % NAMES.len()];
        let mut e = ZipEntrySpec {
            name: name.to_vec(),
            data: (0..u32::from(len) * 3)
                .map(|i| (i % 7) as u8 + b'a')
                .collect(),
            deflate: how & 1 != 0,
            utf8_flag: how & 2 != 0,
            data_descriptor: how & 4 != 0,
            unicode_path: (how & 8 != 0).then(|| "data/attachments/ABC/10000/ABC-1/€".into()),
        };
        if name.ends_with(b"/") {
            e.data.clear();
        }
        entries.push(e);
    }
    let mut zip = Cursor::new(Vec::new());
    write_zip(&entries, flags & 1 != 0, &mut zip).ok()?;
    let cut = (flags & 2 != 0).then(|| rest.first().map_or(0, |&b| usize::from(b)));
    Some((zip.into_inner(), rest, cut))
}

fn damage(mut zip: Vec<u8>, edits: &[u8], cut: Option<usize>) -> Vec<u8> {
    for w in edits.chunks_exact(3) {
        if zip.is_empty() {
            break;
        }
        let at = usize::from(u16::from_le_bytes([w[0], w[1]])) % zip.len();
        zip[at] = w[2];
    }
    if let Some(back) = cut {
        let keep = zip.len().saturating_sub(back + 1);
        zip.truncate(keep);
    }
    zip
}

/// Whether `e` says the zip's structure or an entry's data is damaged.
fn is_damage(e: &Error) -> bool {
    match e {
        Error::File { cause, .. } | Error::InEntry { cause, .. } => is_damage(cause),
        Error::Archive(a) => matches!(
            a,
            ArchiveError::Damaged { .. }
                | ArchiveError::CorruptEntry { .. }
                | ArchiveError::SizeExceeded { .. }
                | ArchiveError::NotAZip { .. }
                | ArchiveError::UnsupportedMethod { .. }
        ),
        Error::Io(_) => true,
        _ => false,
    }
}

/// Temporary files anywhere under `dir`, and with `only` set, any file at
/// its top other than those.
fn leftovers(dir: &Path, only: Option<&[&str]>) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("lists").flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if e.path().is_dir() {
                stack.push(e.path());
            } else if name.contains(".partial")
                || (d == dir && only.is_some_and(|keep| !keep.contains(&name.as_str())))
            {
                out.push(name);
            }
        }
    }
    out
}

fn run(dir: &Path, bytes: &[u8]) {
    let input = dir.join("in.zip");
    let output = dir.join("out.zip");
    std::fs::write(&input, bytes).expect("writes the input");

    let checked = check_path(&input);
    let check_damage = match &checked {
        Ok(r) => r
            .findings
            .iter()
            .any(|f| f.code == "zip-unreadable" || f.code == "entry-damaged"),
        Err(e) => is_damage(e),
    };
    let check_shape = checked
        .as_ref()
        .is_ok_and(|r| r.findings.iter().any(|f| f.code == "archive-shape"));

    let archive = ArchiveOptions::default().threads(1).block_size(64 << 10);
    let fixed = fix_zip(&input, &output, &Options::default(), &archive, &mut |_| {});
    match &fixed {
        Ok(_) => {
            assert!(
                !check_damage,
                "fix read the zip whole, check found damage: {checked:?}"
            );
            let again = check_path(&output).expect("the output reads");
            assert!(
                !again
                    .findings
                    .iter()
                    .any(|f| f.code == "entry-damaged" || f.code == "zip-unreadable"),
                "fix wrote a zip check finds damaged: {again}"
            );
            std::fs::remove_file(&output).expect("removes the output");
        }
        Err(e) => {
            if is_damage(e) && !check_shape {
                assert!(
                    check_damage,
                    "fix found damage ({e}), check did not: {checked:?}"
                );
            }
            let left = leftovers(dir, Some(&["in.zip"]));
            assert!(left.is_empty(), "a failed fix left {left:?}");
        }
    }
    if !check_shape && !check_damage {
        // Whatever check found readable, fix read too (or refused its XML).
        if let Err(e) = &fixed {
            assert!(!is_damage(e), "check read the zip, fix found damage: {e}");
        }
    }

    let media = dir.join("media");
    std::fs::create_dir_all(&media).expect("creates the output folder");
    let options = SplitOptions::default().max_size(1 << 20).min_size(0);
    // A zip with entities.xml is refused as a backup, after its directory
    // was read: damage there is still found.
    match split(&input, &media, &options, &mut |_| {}) {
        Ok(_) => {}
        Err(e) => {
            let damaged = matches!(
                e,
                SplitError::BadZip { .. } | SplitError::Invalid { .. } | SplitError::Verify { .. }
            );
            if damaged && !check_shape {
                assert!(
                    check_damage,
                    "split found damage ({e}), check did not: {checked:?}"
                );
            }
            // Complete zips stay for a rerun; nothing half-written does.
            let left = leftovers(&media, None);
            assert!(left.is_empty(), "a failed split left {left:?}");
        }
    }
    let _ = std::fs::remove_dir_all(&media);
}

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("a scratch directory");
    if let Some((zip, edits, cut)) = build(data) {
        run(dir.path(), &damage(zip, edits, cut));
    }
});
