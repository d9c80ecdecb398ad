//! Helpers shared by the integration tests: chunked repairs, the corpus, and
//! the JDK SAX parser as the strict-parser oracle.
#![allow(dead_code)]

#[allow(unused_imports)] // not every test binary uses both
pub use crate::unzip_oracle::{assert_unzip_t, oracle_missing};
use backup_fix::{Error, Fixer, Options, Report};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Repairs `input` fed in the pieces that `cuts` (sorted offsets) delimit.
pub fn fix_split(input: &[u8], cuts: &[usize]) -> Result<(Vec<u8>, Report), Error> {
    fix_split_with(input, cuts, &Options::default())
}

/// [`fix_split`] with options.
pub fn fix_split_with(
    input: &[u8],
    cuts: &[usize],
    options: &Options,
) -> Result<(Vec<u8>, Report), Error> {
    feed_split(Fixer::new(options.clone())?, input, cuts)
}

/// Feeds `input` to `fixer` in the pieces that `cuts` (sorted offsets) delimit.
pub fn feed_split(
    mut fixer: Fixer,
    input: &[u8],
    cuts: &[usize],
) -> Result<(Vec<u8>, Report), Error> {
    let mut out = Vec::new();
    let mut from = 0;
    for &cut in cuts.iter().chain(std::iter::once(&input.len())) {
        let cut = cut.clamp(from, input.len());
        fixer.write(&input[from..cut], &mut out)?;
        from = cut;
    }
    let report = fixer.finish(&mut out)?;
    Ok((out, report))
}

/// Repairs `input` whole, and checks that every two-piece split and a
/// byte-by-byte feed give the same output, report or error.
pub fn fix_every_split(input: &[u8]) -> Result<(Vec<u8>, Report), Error> {
    fix_every_split_with(input, &Options::default())
}

/// [`fix_every_split`] with options.
pub fn fix_every_split_with(input: &[u8], options: &Options) -> Result<(Vec<u8>, Report), Error> {
    let fix_split = |input: &[u8], cuts: &[usize]| fix_split_with(input, cuts, options);
    let whole = fix_split(input, &[]);
    let key = |r: &Result<(Vec<u8>, Report), Error>| match r {
        Ok(v) => Ok(v.clone()),
        Err(e) => Err(e.to_string()),
    };
    for cut in 0..=input.len() {
        assert_eq!(
            key(&fix_split(input, &[cut])),
            key(&whole),
            "split at {cut} of {:?}",
            String::from_utf8_lossy(input)
        );
    }
    let bytes: Vec<usize> = (1..input.len()).collect();
    assert_eq!(key(&fix_split(input, &bytes)), key(&whole), "byte by byte");
    whole
}

/// The error's message, or a panic if the repair succeeded.
pub fn fix_err(input: &[u8]) -> Error {
    match fix_every_split(input) {
        Ok((out, _)) => panic!(
            "expected an error, got output {:?}",
            String::from_utf8_lossy(&out)
        ),
        Err(e) => e,
    }
}

/// `../shared/corpus/confluence/<name>` from the crate root.
pub fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/confluence")
        .join(name)
}

/// One entry of a corpus zip.
pub fn zip_entry(zip: &Path, name: &str) -> Vec<u8> {
    let file = std::fs::File::open(zip).unwrap_or_else(|e| panic!("{}: {e}", zip.display()));
    let mut archive = zip::ZipArchive::new(file).expect("corpus zip reads");
    let mut entry = archive.by_name(name).expect("entry present");
    let mut data = Vec::new();
    entry.read_to_end(&mut data).expect("entry inflates");
    data
}

/// What the JDK's SAX parser said about one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sax {
    Ok,
    Error {
        line: u64,
        column: u64,
        message: String,
    },
}

/// Whether `java` can run; prints why the oracle is skipped when it cannot.
pub fn java_available() -> bool {
    let ok = Command::new("java")
        .arg("-version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        oracle_missing(
            "`java` (the JDK SAX parser oracle)",
            "install a JDK, e.g. apt-get install default-jdk-headless",
        );
    }
    ok
}

/// Parses each file with the JDK SAX parser. `None` when `java` is absent.
pub fn sax(paths: &[&Path]) -> Option<Vec<Sax>> {
    if !java_available() {
        return None;
    }
    let checker = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/support/SaxCheck.java");
    let out = Command::new("java")
        .arg(checker)
        .args(paths)
        .output()
        .expect("java runs");
    assert!(
        out.status.success(),
        "SaxCheck failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let results: Vec<Sax> = text
        .lines()
        .map(|line| {
            if line.starts_with("OK ") {
                return Sax::Ok;
            }
            let rest = line.strip_prefix("ERROR ").expect("SaxCheck output");
            let (pos, rest) = rest.split_once(' ').expect("position");
            let (l, c) = pos.split_once(':').expect("line:col");
            Sax::Error {
                line: l.parse().expect("line"),
                column: c.parse().expect("column"),
                message: rest.to_string(),
            }
        })
        .collect();
    assert_eq!(results.len(), paths.len());
    Some(results)
}

/// Parses in-memory documents with the JDK SAX parser.
pub fn sax_bytes(docs: &[&[u8]]) -> Option<Vec<Sax>> {
    let dir = tempfile::tempdir().expect("tempdir");
    let paths: Vec<PathBuf> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let p = dir.path().join(format!("doc{i}.xml"));
            std::fs::write(&p, d).expect("write");
            p
        })
        .collect();
    let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    sax(&refs)
}

/// The codes of a check report's findings of one severity, in report order.
pub fn finding_codes(
    r: &backup_fix::check::CheckReport,
    severity: backup_fix::check::Severity,
) -> Vec<&'static str> {
    r.findings
        .iter()
        .filter(|f| f.severity == severity)
        .map(|f| f.code)
        .collect()
}

/// The headless browser used as the HTML oracle.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// Whether Chromium can run. When it cannot, the browser checks are skipped
/// with a message, except under CI (`CI=true`), where `.ci/run` installs it
/// and a missing browser fails the test instead of passing silently.
pub fn chromium_available() -> bool {
    if Path::new(CHROMIUM).is_file() {
        return true;
    }
    oracle_missing(CHROMIUM, "apt-get install chromium; .ci/run installs it");
    false
}

/// The DOM headless Chromium builds from the page at `html`, serialised.
/// `None` when the browser is not installed (see [`chromium_available`]).
pub fn dump_dom(html: &Path) -> Option<String> {
    if !chromium_available() {
        return None;
    }
    let profile = tempfile::tempdir().expect("tempdir");
    let html = html.canonicalize().expect("page exists");
    let out = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", html.display()))
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dom = String::from_utf8(out.stdout).expect("the DOM is UTF-8");
    assert!(dom.contains("<body"), "no DOM from chromium: {dom}");
    Some(dom)
}
