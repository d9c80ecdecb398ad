//! The `backup-fix` command: exit codes, messages, atomic output, streams,
//! compression and reports.

use crate::archive_support;
use crate::support;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_backup-fix"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("runs")
}

fn run_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/jira-sample/entities.xml")
}

/// The directory holds only the given names (no temporary leftovers).
fn only_files(dir: &Path, names: &[&str]) {
    let mut found: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    let mut want: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(found, want);
}

#[test]
fn fixing_the_sample_succeeds_prints_a_summary_and_writes_valid_xml() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fixed.xml");
    let o = run(&[
        "fix",
        sample().to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("removed U+001B x 2"), "{err}");
    assert!(err.contains("wrote"), "{err}");
    only_files(dir.path(), &["fixed.xml"]);
    if let Some(r) = support::sax(&[&out]) {
        assert_eq!(r, vec![support::Sax::Ok]);
    }
}

#[test]
fn a_broken_file_exits_1_names_the_place_and_leaves_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("broken.xml");
    std::fs::write(&input, "<r>\n<a>\n</b>\n</r>").unwrap();
    let out = dir.path().join("out.xml");
    let o = run(&["fix", input.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("broken.xml: line 3, column 1 (byte 8): end tag </b> does not match the open element <a>"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    only_files(dir.path(), &["broken.xml"]);
}

#[test]
fn an_existing_output_is_untouched_when_the_repair_fails() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("truncated.xml");
    std::fs::write(&input, "<r><a>").unwrap();
    let out = dir.path().join("out.xml");
    std::fs::write(&out, "previous").unwrap();
    let o = run(&["fix", input.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "previous");
    only_files(dir.path(), &["out.xml", "truncated.xml"]);
}

#[test]
fn the_input_is_never_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.xml");
    std::fs::write(&input, "<r>\u{1c}</r>").unwrap();
    let o = run(&[
        "fix",
        input.to_str().unwrap(),
        "-o",
        input.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("would overwrite the input"),
        "{}",
        stderr(&o)
    );
    // Through another path, and through a hard link.
    let dotted = dir.path().join(".").join("in.xml");
    let o = run(&[
        "fix",
        input.to_str().unwrap(),
        "-o",
        dotted.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let link = dir.path().join("link.xml");
    std::fs::hard_link(&input, &link).unwrap();
    let o = run(&["fix", input.to_str().unwrap(), "-o", link.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&input).unwrap(), "<r>\u{1c}</r>");
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(run(&["fix", "x.xml"]).status.code(), Some(2));
    assert_eq!(run(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(
        run(&["fix", "a", "-o", "b", "--tz", "Mars/Base"])
            .status
            .code(),
        Some(2)
    );
    let o = run(&["fix", "a", "-o", "b", "--map-url", "jira.corp"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("FROM=TO"), "{}", stderr(&o));
}

#[test]
fn a_missing_input_exits_1_naming_it() {
    let o = run(&[
        "fix",
        "/nonexistent/entities.xml",
        "-o",
        "/tmp/never-written.xml",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("/nonexistent/entities.xml"), "{err}");
    // The cause is said once, not once per layer of context.
    assert_eq!(err.matches("os error 2").count(), 1, "{err}");
}

#[test]
fn an_error_inside_a_zip_names_the_zip_the_entry_and_the_place_once() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("backup.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&input).unwrap());
    zip.start_file("entities.xml", zip::write::SimpleFileOptions::default())
        .unwrap();
    std::io::Write::write_all(
        &mut zip,
        b"<entity-engine-xml>\n<Issue id=\"1\">\n</entity-engine-xml>\n",
    )
    .unwrap();
    zip.finish().unwrap();
    let output = dir.path().join("fixed.zip");
    let o = run(&[
        "fix",
        input.to_str().unwrap(),
        "-o",
        output.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("backup.zip: entry entities.xml: line 3"),
        "{err}"
    );
    assert_eq!(err.matches("does not match").count(), 1, "{err}");
    assert!(!output.exists());
}

#[test]
fn stdin_to_stdout_and_quiet() {
    let o = run_stdin(&["fix", "-", "-o", "-", "--quiet"], b"<r>a\x1cb</r>");
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(o.stdout, b"<r>ab</r>");
    assert!(o.stderr.is_empty(), "{}", stderr(&o));
}

#[test]
fn compressed_input_is_recognised_and_output_compressed_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let xml = std::fs::read(sample()).unwrap();
    let gz = dir.path().join("entities.xml.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    enc.write_all(&xml).unwrap();
    enc.finish().unwrap();
    let zst_out = dir.path().join("fixed.xml.zst");
    let o = run(&[
        "fix",
        gz.to_str().unwrap(),
        "-o",
        zst_out.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let fixed = zstd::decode_all(std::fs::File::open(&zst_out).unwrap()).unwrap();
    let plain = dir.path().join("fixed.xml");
    let o = run(&[
        "fix",
        sample().to_str().unwrap(),
        "-o",
        plain.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(fixed, std::fs::read(&plain).unwrap());
    let gz_out = dir.path().join("again.xml.gz");
    let o = run(&[
        "fix",
        zst_out.to_str().unwrap(),
        "-o",
        gz_out.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let mut again = Vec::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(&gz_out).unwrap())
        .read_to_end(&mut again)
        .unwrap();
    assert_eq!(again, fixed);
}

#[test]
fn the_json_report_is_written_on_success_and_on_failure() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let out = dir.path().join("out.xml");
    let o = run(&[
        "fix",
        sample().to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["report"]["removed_chars"]["U+001B"]["count"], 2);
    assert_eq!(
        v["report"]["removed_chars"]["U+001B"]["first"][0]["line"],
        13
    );
    let broken = dir.path().join("broken.xml");
    std::fs::write(&broken, "<r>").unwrap();
    let o = run(&[
        "fix",
        broken.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(v["ok"], false);
    assert!(v["error"].as_str().unwrap().contains("not closed"), "{v}");
    assert_eq!(v["location"]["line"], 1);
}

#[test]
fn rules_flags_reach_the_library() {
    let o = run_stdin(
        &["fix", "-", "-o", "-", "-q", "--tz", "Europe/Berlin", "--map-url", "http://jira.corp:8080=https://acme.atlassian.net", "--restrict-global-shares"],
        b"<entity-engine-xml><Action id=\"1\" created=\"2019-07-01 14:00:00.0\" body=\"http://jira.corp:8080/browse/A-1\"/><SharePermissions id=\"1\" type=\"global\"/></entity-engine-xml>",
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        String::from_utf8(o.stdout).unwrap(),
        "<entity-engine-xml><Action id=\"1\" created=\"2019-07-01 12:00:00.0\" body=\"https://acme.atlassian.net/browse/A-1\"/><SharePermissions id=\"1\" type=\"loggedin\"/></entity-engine-xml>"
    );
}

#[test]
fn check_reads_zips_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("folder.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&bad).unwrap());
    zip.start_file(
        "backup/entities.xml",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    std::io::Write::write_all(&mut zip, b"<entity-engine-xml/>\n").unwrap();
    zip.finish().unwrap();
    let o = run(&["check", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("entities.xml is inside the folder"), "{out}");
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/confluence/5.9.zip");
    let o = run(&["check", corpus.to_str().unwrap(), "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        json["kind"]
            .as_str()
            .unwrap()
            .starts_with("Confluence site export")
    );
}

#[test]
fn check_exit_codes_and_json() {
    // The sample has invalid characters and a reserved email domain: exit 1.
    let o = run(&["check", sample().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let screen = String::from_utf8_lossy(&o.stdout);
    assert!(screen.contains("verdict: the import will fail"), "{screen}");
    // A clean file: exit 0.
    let o = run_stdin(&["check", "-"], b"<entity-engine-xml><User id=\"1\" userName=\"a\" emailAddress=\"a@acme.com\"/></entity-engine-xml>");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let o = run_stdin(&["check", "-", "--json"], b"<r><a></r>");
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["files"][0]["well_formed"], false);
    assert_eq!(v["files"][0]["first_error"]["fix_cures"], false);
    assert_eq!(run(&["check"]).status.code(), Some(2));
}

/// Runs with standard output a pipe whose reader has gone (`| head` that
/// already quit): the command must not panic and must keep its exit status.
fn run_reader_gone(args: &[&str]) -> Output {
    let mut child = bin()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawns");
    drop(child.stdout.take());
    child.wait_with_output().unwrap()
}

#[test]
fn a_reader_that_went_away_is_not_a_panic_and_keeps_the_verdict() {
    let sample = sample();
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/confluence/5.9.zip");
    for (args, code) in [
        (vec!["check", sample.to_str().unwrap()], 1),
        (vec!["check", sample.to_str().unwrap(), "--json"], 1),
        (vec!["check", corpus.to_str().unwrap()], 0),
    ] {
        let o = run_reader_gone(&args);
        let err = stderr(&o);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(o.status.code(), Some(code), "{args:?}: {err}");
    }
    let tree = tempfile::tempdir().unwrap();
    let issue = tree.path().join("data/attachments/ABC/10000/ABC-1");
    std::fs::create_dir_all(&issue).unwrap();
    std::fs::write(issue.join("10100"), b"attachment").unwrap();
    let out = tree.path().join("media");
    for extra in [&[][..], &["--json"][..]] {
        let mut args = vec!["split", tree.path().to_str().unwrap(), "-o"];
        args.push(out.to_str().unwrap());
        args.push("--dry-run");
        args.extend_from_slice(extra);
        let o = run_reader_gone(&args);
        let err = stderr(&o);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(o.status.code(), Some(0), "{args:?}: {err}");
    }
}

/// A small Jira backup zip of the sample.
fn sample_zip(dir: &Path) -> PathBuf {
    let xml = std::fs::read(sample()).unwrap();
    let zip = dir.join("backup.zip");
    archive_support::zip_of(
        &zip,
        &[
            ("entities.xml", &xml, false),
            ("activeobjects.xml", archive_support::ACTIVEOBJECTS, false),
        ],
    );
    zip
}

#[test]
fn a_report_path_that_cannot_be_written_fails_before_any_work_and_leaves_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let zip = sample_zip(dir.path());
    for (input, out) in [
        (sample(), dir.path().join("fixed.xml")),
        (zip.clone(), dir.path().join("fixed.zip")),
    ] {
        let report = dir.path().join("no-such-dir").join("report.json");
        let o = run(&[
            "fix",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        let err = stderr(&o);
        assert!(err.contains("cannot write the report"), "{err}");
        assert!(err.contains("no-such-dir"), "{err}");
        // Nothing was repaired: no summary, no output.
        assert!(!err.contains("wrote"), "{err}");
        assert!(!out.exists(), "{} was left", out.display());
    }
    only_files(dir.path(), &["backup.zip"]);
}

#[test]
fn a_missing_output_directory_is_named_not_the_hidden_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let zip = sample_zip(dir.path());
    for (input, name) in [(sample(), "fixed.xml"), (zip, "fixed.zip")] {
        let out = dir.path().join("missing").join(name);
        let o = run(&["fix", input.to_str().unwrap(), "-o", out.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1));
        let err = stderr(&o);
        assert!(err.contains(out.to_str().unwrap()), "{err}");
        assert!(err.contains("does not exist"), "{err}");
        assert!(!err.contains(".partial"), "{err}");
    }
}

#[test]
fn a_bad_cloud_url_is_reported_as_the_cloud_url() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.xml");
    let o = run(&[
        "fix",
        sample().to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--cloud-url",
        "acme",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("--cloud-url"), "{err}");
    assert!(!err.contains("--map-url"), "{err}");
    assert!(err.contains("http://"), "{err}");
}

#[test]
fn check_json_on_a_missing_input_prints_a_json_error() {
    let o = run(&["check", "/no/such/backup.zip", "--json"]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON on stdout");
    assert_eq!(v["ok"], false);
    assert!(
        v["error"].as_str().unwrap().contains("/no/such/backup.zip"),
        "{v}"
    );
}

#[test]
fn fix_help_says_it_takes_zips() {
    let o = run(&["fix", "--help"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("Repair a backup zip"), "{out}");
    assert!(
        out.contains("The backup zip or XML file to repair"),
        "{out}"
    );
}

#[test]
fn quick_runs_print_no_zero_rate() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.xml");
    let o = run(&[
        "fix",
        sample().to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    let err = stderr(&o);
    assert!(err.contains(" ms") || err.contains(" s ("), "{err}");
    assert!(!err.contains("(0 MB/s)"), "{err}");
    assert!(!err.contains("change(s)"), "{err}");
}

#[test]
fn tz_on_a_backup_that_states_utc_is_refused_unless_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let once = dir.path().join("once.xml");
    let twice = dir.path().join("twice.xml");
    let s = sample();
    let tz = ["--tz", "Europe/Berlin"];
    let o = run(&[
        &["fix", s.to_str().unwrap(), "-o", once.to_str().unwrap()][..],
        &tz,
    ]
    .concat());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // The converted file states UTC: a second --tz would shift it again.
    let o = run(&[
        &["fix", once.to_str().unwrap(), "-o", twice.to_str().unwrap()][..],
        &tz,
    ]
    .concat());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("states its zone is UTC"), "{err}");
    assert!(err.contains("--tz-ignore-stated"), "{err}");
    assert!(!twice.exists());
    // The explicit override converts; auto and UTC are no-ops, not errors.
    let o = run(&[
        &[
            "fix",
            once.to_str().unwrap(),
            "-o",
            twice.to_str().unwrap(),
            "--tz-ignore-stated",
        ][..],
        &tz,
    ]
    .concat());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_ne!(
        std::fs::read(&once).unwrap(),
        std::fs::read(&twice).unwrap()
    );
    for zone in ["auto", "UTC"] {
        let o = run(&[
            "fix",
            once.to_str().unwrap(),
            "-o",
            twice.to_str().unwrap(),
            "--tz",
            zone,
        ]);
        assert_eq!(o.status.code(), Some(0), "{zone}: {}", stderr(&o));
    }
}

/// A copy that crashed leaves the rest of the file NUL: more than 1 MiB of
/// NUL bytes in a row is damage, refused by `fix` and `check` with the byte
/// where the run starts, in a plain file and inside a zip (naming the
/// entry); exactly 1 MiB is still text to clean.
#[test]
fn a_run_of_nul_bytes_past_1_mib_is_damage_for_fix_and_check() {
    let dir = tempfile::tempdir().unwrap();
    let head = b"<entity-engine-xml>\n<Issue id=\"1\"/>\n";
    let tail = b"</entity-engine-xml>\n";
    let with_run = |n: usize| {
        let mut xml = head.to_vec();
        xml.resize(head.len() + n, 0);
        xml.extend_from_slice(tail);
        xml
    };
    let message = format!(
        "from byte {} the file holds only NUL bytes (more than 1 MiB in a row): the copy is damaged; copy or export it again",
        head.len()
    );
    let damaged = dir.path().join("entities.xml");
    std::fs::write(&damaged, with_run((1 << 20) + 1)).unwrap();
    let output = dir.path().join("fixed.xml");
    let o = run(&[
        "fix",
        damaged.to_str().unwrap(),
        "-o",
        output.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains(&format!("entities.xml: {message}")), "{err}");
    assert!(!output.exists());
    let o = run(&["check", damaged.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let screen = String::from_utf8_lossy(&o.stdout);
    assert!(screen.contains(&message), "{screen}");

    let zipped = dir.path().join("backup.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&zipped).unwrap());
    zip.start_file("entities.xml", zip::write::SimpleFileOptions::default())
        .unwrap();
    std::io::Write::write_all(&mut zip, &with_run(3 << 20)).unwrap();
    zip.finish().unwrap();
    let out_zip = dir.path().join("fixed.zip");
    let o = run(&[
        "fix",
        zipped.to_str().unwrap(),
        "-o",
        out_zip.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains(&format!("backup.zip: entry entities.xml: {message}")),
        "{err}"
    );
    assert!(!out_zip.exists());
    let o = run(&["check", zipped.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let screen = String::from_utf8_lossy(&o.stdout);
    assert!(screen.contains(&message), "{screen}");

    std::fs::write(&damaged, with_run(1 << 20)).unwrap();
    let o = run(&[
        "fix",
        damaged.to_str().unwrap(),
        "-o",
        output.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let fixed = std::fs::read(&output).unwrap();
    assert_eq!(fixed, [&head[..], &tail[..]].concat());
}

#[test]
fn repair_memberships_flag_repairs_a_file_and_says_what_it_did() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("entities.xml");
    std::fs::write(
        &input,
        "<entity-engine-xml>\n    <Group id=\"7\" lowerGroupName=\"g\" directoryId=\"1\"/>\n    \
         <Membership id=\"1\" parentId=\"1\" childId=\"1\" membershipType=\"GROUP_USER\" lowerParentName=\"g\" lowerChildName=\"u\" directoryId=\"1\"/>\n    \
         <Membership id=\"2\" parentId=\"7\" childId=\"8\" membershipType=\"GROUP_USER\" lowerParentName=\"g\" lowerChildName=\"u\" directoryId=\"1\"/>\n    \
         <User id=\"8\" lowerUserName=\"u\" directoryId=\"1\"/>\n</entity-engine-xml>\n",
    )
    .unwrap();
    let output = dir.path().join("out.xml");
    let o = run(&[
        "fix",
        input.to_str().unwrap(),
        "-o",
        output.to_str().unwrap(),
        "--repair-memberships",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(&output).unwrap(),
        "<entity-engine-xml>\n    <Group id=\"7\" lowerGroupName=\"g\" directoryId=\"1\"/>\n    \
         <Membership id=\"1\" parentId=\"7\" childId=\"8\" membershipType=\"GROUP_USER\" lowerParentName=\"g\" lowerChildName=\"u\" directoryId=\"1\"/>\n    \
         <User id=\"8\" lowerUserName=\"u\" directoryId=\"1\"/>\n</entity-engine-xml>\n"
    );
    let err = stderr(&o);
    assert!(
        err.contains("memberships: 2 ids in 1 row recomputed"),
        "{err}"
    );
    assert!(
        err.contains("1 row dropped as duplicates (first ids 2)"),
        "{err}"
    );
}
