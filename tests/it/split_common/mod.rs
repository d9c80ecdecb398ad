//! Helpers shared by the `split` integration tests: generated Jira homes,
//! reading zips back with an independent reader (the `zip` crate), and
//! comparing the union of all zips with the tree byte for byte.
#![allow(dead_code)]

use crate::unzip_oracle;

use backup_fix::split::Manifest;
use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One entry read back from a zip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub zip: String,
    pub data: Vec<u8>,
    pub method: zip::CompressionMethod,
    pub crc: u32,
    pub compressed: u64,
}

/// Stored name -> content of every file (and empty directory, as `name/`)
/// under the three roots of a Jira home.
pub fn tree_entries(home: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for (dir, prefix) in [
        (home.join("data/attachments"), "data/attachments/"),
        (home.join("data/avatars"), "data/avatars/"),
        (home.join("logos"), "logos/"),
    ] {
        if dir.is_dir() {
            collect(&dir, prefix, &mut out);
        }
    }
    out
}

fn collect(dir: &Path, prefix: &str, out: &mut BTreeMap<String, Vec<u8>>) {
    let mut empty = true;
    for entry in fs::read_dir(dir).expect("read_dir") {
        empty = false;
        let entry = entry.expect("entry");
        let name = entry.file_name().into_string().expect("utf-8 name");
        let kind = entry.file_type().expect("file type");
        let path = entry.path();
        if kind.is_dir() {
            collect(&path, &format!("{prefix}{name}/"), out);
        } else if kind.is_file() {
            out.insert(
                format!("{prefix}{name}"),
                fs::read(&path).expect("read file"),
            );
        }
    }
    if empty {
        out.insert(prefix.to_owned(), Vec::new());
    }
}

/// The `media-*.zip` files of a directory, sorted.
pub fn zips_in(dir: &Path) -> Vec<PathBuf> {
    let mut zips: Vec<PathBuf> = fs::read_dir(dir)
        .expect("outdir")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            n.starts_with("media-") && n.ends_with(".zip")
        })
        .collect();
    zips.sort();
    zips
}

/// Every entry of every zip, read (and CRC-checked) by the `zip` crate.
/// Panics if a name appears twice.
pub fn zip_entries(zips: &[PathBuf]) -> BTreeMap<String, Entry> {
    let mut out = BTreeMap::new();
    for path in zips {
        let label = path.file_name().unwrap().to_string_lossy().into_owned();
        let mut archive = zip::ZipArchive::new(fs::File::open(path).expect("open zip"))
            .expect("zip crate reads it");
        for i in 0..archive.len() {
            let mut f = archive.by_index(i).expect("entry");
            let name = f.name().expect("name").into_owned();
            let mut data = Vec::new();
            f.read_to_end(&mut data)
                .unwrap_or_else(|e| panic!("{label}: {name}: {e} (CRC or data error)"));
            let entry = Entry {
                zip: label.clone(),
                data,
                method: f.compression(),
                crc: f.crc32(),
                compressed: f.compressed_size(),
            };
            let prev = out.insert(name.clone(), entry);
            assert!(prev.is_none(), "{name} is in two zips");
        }
    }
    out
}

/// Asserts that the zips hold exactly the tree, byte for byte.
pub fn assert_union_equals_tree(home: &Path, zips: &[PathBuf]) {
    let tree = tree_entries(home);
    let zipped: BTreeMap<String, Vec<u8>> = zip_entries(zips)
        .into_iter()
        .map(|(k, v)| (k, v.data))
        .collect();
    let missing: Vec<&String> = tree.keys().filter(|k| !zipped.contains_key(*k)).collect();
    let extra: Vec<&String> = zipped.keys().filter(|k| !tree.contains_key(*k)).collect();
    assert!(missing.is_empty(), "not in any zip: {missing:?}");
    assert!(extra.is_empty(), "not in the tree: {extra:?}");
    for (name, data) in &tree {
        assert!(zipped[name] == *data, "{name}: content differs");
    }
}

/// Asserts every zip is within `max` bytes on disk and matches the manifest.
pub fn assert_sizes(manifest: &Manifest, outdir: &Path, max: u64) {
    for z in &manifest.zips {
        let len = fs::metadata(outdir.join(&z.name))
            .expect("zip exists")
            .len();
        assert_eq!(len, z.size, "{}: manifest size", z.name);
        if !z.oversize {
            assert!(len <= max, "{}: {len} bytes > {max}", z.name);
        }
    }
}

/// Runs `unzip -t` on each zip and asserts it finds no error.
pub fn assert_unzip_t(zips: &[PathBuf]) {
    for z in zips {
        unzip_oracle::assert_unzip_t(z);
    }
}

/// Whether this process can read a file with mode 000 (true for root).
pub fn permissions_are_bypassed() -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("x");
        fs::write(&p, b"x").expect("write");
        fs::set_permissions(&p, fs::Permissions::from_mode(0o000)).expect("chmod");
        fs::File::open(&p).is_ok()
    }
    #[cfg(not(unix))]
    {
        true
    }
}

/// The CLI binary.
pub fn cli() -> Command {
    Command::new(env!("CARGO_BIN_EXE_backup-fix"))
}

/// Writes `data` at `path`, creating parent directories.
pub fn put(path: &Path, data: &[u8]) {
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs::write(path, data).expect("write");
}

/// Deterministic incompressible bytes.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}
