//! Helpers for the archive tests: generating backup zips, reading entries
//! raw and inflated, running `fix_zip`, patching zips to break them, and the
//! `unzip -t` oracle.
#![allow(dead_code)]

#[allow(unused_imports)] // not every test binary checks zips with unzip
pub use crate::support::assert_unzip_t;

use backup_fix::archive::{ArchiveOptions, ArchiveReport, fix_zip};
use backup_fix::synth::{BackupZipStats, BackupZipSynth, JiraSynth};
use backup_fix::{Error, Options};
use std::fs::File;
use std::io::{BufWriter, Read};
use std::path::{Path, PathBuf};

/// One entry of a zip as written: metadata, raw compressed bytes and content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub method: String,
    pub crc: u32,
    pub compressed: u64,
    pub size: u64,
    pub time: u16,
    pub date: u16,
    pub external: u32,
    pub is_dir: bool,
    pub raw: Vec<u8>,
    pub content: Vec<u8>,
    pub extra_ids: Vec<u16>,
}

/// Every entry of the zip at `path`, in central directory order.
pub fn entries(path: &Path) -> Vec<Entry> {
    let file = File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut archive = zip::ZipArchive::new(file).expect("zip reads");
    let mut out = Vec::new();
    for i in 0..archive.len() {
        let (name, method, crc, compressed, size, time, date, external, is_dir, raw, extra_ids) = {
            let mut f = archive.by_index_raw(i).expect("entry");
            let mut raw = Vec::new();
            f.read_to_end(&mut raw).expect("raw read");
            let dt = f.last_modified().expect("timestamp");
            let extra_ids = f
                .extra_data_fields()
                .filter_map(|x| match x {
                    zip::ExtraField::ExtendedTimestamp(_) => Some(0x5455),
                    zip::ExtraField::Ntfs(_) => Some(0x000a),
                    // Rewritten as the sizes need: not part of what is kept.
                    zip::ExtraField::Zip64ExtendedInformation(_) => None,
                    _ => Some(0),
                })
                .collect();
            (
                f.name().expect("name").into_owned(),
                format!("{:?}", f.compression()),
                f.crc32(),
                f.compressed_size(),
                f.size(),
                dt.timepart(),
                dt.datepart(),
                f.external_attributes(),
                f.is_dir(),
                raw,
                extra_ids,
            )
        };
        let mut content = Vec::new();
        archive
            .by_index(i)
            .expect("entry")
            .read_to_end(&mut content)
            .expect("entry inflates with a correct CRC");
        out.push(Entry {
            name,
            method,
            crc,
            compressed,
            size,
            time,
            date,
            external,
            is_dir,
            raw,
            content,
            extra_ids,
        });
    }
    out
}

/// The entry named `name`.
pub fn entry<'a>(list: &'a [Entry], name: &str) -> &'a Entry {
    list.iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("no entry {name}"))
}

/// A small synthetic Jira backup.
pub fn small_synth(defects: bool) -> BackupZipSynth {
    BackupZipSynth {
        entities: JiraSynth {
            target_bytes: 300_000,
            defects,
            ..Default::default()
        },
        attachments: 6,
        attachment_bytes: 20_000,
        ..Default::default()
    }
}

/// Writes `synth` to `dir/name`.
pub fn generate(dir: &Path, name: &str, synth: &BackupZipSynth) -> (PathBuf, BackupZipStats) {
    let path = dir.join(name);
    let file = BufWriter::new(File::create(&path).expect("create"));
    let stats = synth.write_zip(file).expect("generate");
    (path, stats)
}

/// Repairs `input` into `dir/out-name` with the given archive options.
pub fn fix_with(
    input: &Path,
    output: &Path,
    archive: &ArchiveOptions,
) -> Result<ArchiveReport, Error> {
    fix_zip(input, output, &Options::default(), archive, &mut |_| {})
}

/// Repairs with default options.
pub fn fix(input: &Path, output: &Path) -> Result<ArchiveReport, Error> {
    fix_with(input, output, &ArchiveOptions::default())
}

/// Offsets of every occurrence of `needle` in `hay`.
pub fn find_all(hay: &[u8], needle: &[u8]) -> Vec<usize> {
    hay.windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect()
}

/// Where the records of `name` are in a zip's bytes: (local header, central header).
pub fn records(zip: &[u8], name: &str) -> (usize, usize) {
    let mut local = None;
    let mut central = None;
    for at in find_all(zip, name.as_bytes()) {
        if at >= 30 && zip[at - 30..at - 26] == *b"PK\x03\x04" {
            local = Some(at - 30);
        }
        if at >= 46 && zip[at - 46..at - 42] == *b"PK\x01\x02" {
            central = Some(at - 46);
        }
    }
    (
        local.unwrap_or_else(|| panic!("no local header for {name}")),
        central.unwrap_or_else(|| panic!("no central header for {name}")),
    )
}

/// Writes `value` as little-endian u32 at `at`.
pub fn put_u32(zip: &mut [u8], at: usize, value: u32) {
    zip[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

/// Reads a little-endian u32 at `at`.
pub fn get_u32(zip: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(zip[at..at + 4].try_into().expect("4 bytes"))
}

/// Files in `dir` whose name starts with `.backup-fix-` (leftover temporaries).
pub fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".backup-fix-"))
        .collect()
}

/// A zip of `files` (name, content, stored?) written by the zip crate.
pub fn zip_of(path: &Path, files: &[(&str, &[u8], bool)]) {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(File::create(path).expect("create"));
    for (name, data, stored) in files {
        let method = if *stored {
            zip::CompressionMethod::Stored
        } else {
            zip::CompressionMethod::Deflated
        };
        let o = zip::write::SimpleFileOptions::default().compression_method(method);
        w.start_file(*name, o).expect("start");
        w.write_all(data).expect("write");
    }
    w.finish().expect("finish");
}

/// A minimal valid Jira `entities.xml`.
pub const ENTITIES: &[u8] =
    b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<entity-engine-xml date=\"1\">\n    <Action id=\"1\" body=\"a\x1cb\"/>\n</entity-engine-xml>\n";

/// A minimal valid `activeobjects.xml`.
pub const ACTIVEOBJECTS: &[u8] =
    b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<backup xmlns=\"http://www.atlassian.com/ao\"></backup>\n";
