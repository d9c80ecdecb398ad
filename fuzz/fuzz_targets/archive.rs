//! Damaged zips never panic `check` or `fix`, and a failed `fix` leaves
//! nothing behind. A small generated backup zip (plain, or with data
//! descriptors as Java writes them) is damaged as the input says: bytes
//! overwritten, the end cut off. The raw input is tried as a zip too.
//! Whatever `fix` accepts, it writes as a zip whose XML `check` finds
//! well-formed.
#![no_main]

use backup_fix::Options;
use backup_fix::archive::{ArchiveOptions, fix_zip};
use backup_fix::check::check_path;
use backup_fix::synth::BackupZipSynth;
use libfuzzer_sys::fuzz_target;
use std::io::Cursor;
use std::path::Path;
use std::sync::OnceLock;

/// Two small backups: sizes in local headers, and data descriptors.
fn bases() -> &'static [Vec<u8>; 2] {
    static BASES: OnceLock<[Vec<u8>; 2]> = OnceLock::new();
    BASES.get_or_init(|| {
        let make = |data_descriptors: bool| {
            let mut synth = BackupZipSynth {
                attachments: 2,
                attachment_bytes: 40,
                data_descriptors,
                ..BackupZipSynth::default()
            };
            synth.entities.target_bytes = 1500;
            synth.entities.defects = true;
            let mut out = Cursor::new(Vec::new());
            synth.write_zip(&mut out).expect("generates");
            out.into_inner()
        };
        [make(false), make(true)]
    })
}

/// The input damaged as `data` says: a flag byte (which base, whether to cut
/// the end), the cut, then (offset, byte) overwrites.
fn damaged(data: &[u8]) -> Option<Vec<u8>> {
    let (&flags, rest) = data.split_first()?;
    let mut zip = bases()[usize::from(flags & 1)].clone();
    let (cut, rest) = rest.split_at_checked(2)?;
    if flags & 2 != 0 {
        let at = usize::from(u16::from_le_bytes([cut[0], cut[1]])) % zip.len();
        zip.truncate(at);
    }
    for w in rest.chunks_exact(3) {
        if zip.is_empty() {
            break;
        }
        let at = usize::from(u16::from_le_bytes([w[0], w[1]])) % zip.len();
        zip[at] = w[2];
    }
    Some(zip)
}

fn try_zip(dir: &Path, bytes: &[u8]) {
    let input = dir.join("in.zip");
    let output = dir.join("out.zip");
    std::fs::write(&input, bytes).expect("writes the input");
    let _ = check_path(&input);
    let archive = ArchiveOptions::default().threads(1).block_size(64 << 10);
    match fix_zip(&input, &output, &Options::default(), &archive, &mut |_| {}) {
        Ok(_) => {
            let report = check_path(&output).expect("the output reads");
            for f in &report.files {
                assert!(
                    f.well_formed,
                    "fix wrote {} that check refuses: {:?}",
                    f.name, f.first_error
                );
            }
            std::fs::remove_file(&output).expect("removes the output");
        }
        Err(_) => {
            let left: Vec<_> = std::fs::read_dir(dir)
                .expect("lists")
                .filter_map(|e| e.ok())
                .map(|e| e.file_name())
                .filter(|n| n != "in.zip")
                .collect();
            assert!(left.is_empty(), "a failed fix left {left:?}");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("a scratch directory");
    if let Some(zip) = damaged(data) {
        try_zip(dir.path(), &zip);
    }
    try_zip(dir.path(), data);
});
