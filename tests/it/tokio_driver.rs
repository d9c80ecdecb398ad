//! The tokio driver, with async-compression for gzip streams.
#![cfg(feature = "tokio")]

use async_compression::tokio::bufread::GzipDecoder;
use async_compression::tokio::write::GzipEncoder;
use backup_fix::driver::tokio::fix_async;
use tokio::io::AsyncWriteExt;

#[tokio::test(flavor = "current_thread")]
async fn repairs_an_async_stream_like_the_blocking_driver() {
    let mut xml = Vec::new();
    let stats = backup_fix::synth::JiraSynth {
        target_bytes: 3 << 20,
        defects: true,
        ..Default::default()
    }
    .write_entities(&mut xml)
    .unwrap();
    let mut out = Vec::new();
    let report = fix_async(&xml[..], &mut out, &Default::default())
        .await
        .unwrap();
    assert_eq!(report.changes(), stats.defects());
    let (expected, _) = backup_fix::fix_bytes(&xml, &Default::default()).unwrap();
    assert_eq!(out, expected);
}

#[tokio::test(flavor = "current_thread")]
async fn gzip_in_and_out_through_async_compression() {
    let xml = b"<r>\x1cok &#1;</r>";
    let mut gz = GzipEncoder::new(Vec::new());
    gz.write_all(xml).await.unwrap();
    gz.shutdown().await.unwrap();
    let compressed = gz.into_inner();
    let reader = GzipDecoder::new(tokio::io::BufReader::new(&compressed[..]));
    let mut enc = GzipEncoder::new(Vec::new());
    let report = fix_async(reader, &mut enc, &Default::default())
        .await
        .unwrap();
    enc.shutdown().await.unwrap();
    assert_eq!(report.changes(), 2);
    let mut plain = Vec::new();
    let written = enc.into_inner();
    let mut dec = GzipDecoder::new(tokio::io::BufReader::new(&written[..]));
    tokio::io::AsyncReadExt::read_to_end(&mut dec, &mut plain)
        .await
        .unwrap();
    assert_eq!(plain, b"<r>ok </r>");
}

#[tokio::test(flavor = "current_thread")]
async fn malformed_input_is_an_error() {
    let mut out = Vec::new();
    let err = fix_async(&b"<r><a></r>"[..], &mut out, &Default::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("does not match"), "{err}");
}

use backup_fix::driver::tokio::{fix_async_compressed, fix_file_async};
use backup_fix::driver::{Compression, Phase, Progress};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

fn synth_xml(bytes: u64) -> (Vec<u8>, u64) {
    let mut xml = Vec::new();
    let stats = backup_fix::synth::JiraSynth {
        target_bytes: bytes,
        defects: true,
        ..Default::default()
    }
    .write_entities(&mut xml)
    .unwrap();
    (xml, stats.defects())
}

fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

#[tokio::test(flavor = "current_thread")]
async fn a_gzip_file_is_fixed_into_a_zstd_file_atomically_with_progress() {
    let (xml, defects) = synth_xml(3 << 20);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("entities.xml.gz");
    std::fs::write(&input, gzip(&xml)).unwrap();
    let size = std::fs::metadata(&input).unwrap().len();
    let output = dir.path().join("fixed.xml.zst");
    let mut seen: Vec<Progress> = Vec::new();
    let report = fix_file_async(&input, &output, &Default::default(), &mut |p| seen.push(p))
        .await
        .unwrap();
    assert_eq!(report.changes(), defects);
    let written = std::fs::read(&output).unwrap();
    assert_eq!(Compression::sniff(&written), Compression::Zstd);
    let (expected, _) = backup_fix::fix_bytes(&xml, &Default::default()).unwrap();
    assert_eq!(zstd::decode_all(&written[..]).unwrap(), expected);
    let main: Vec<&Progress> = seen.iter().filter(|p| p.phase == Phase::Main).collect();
    assert!(main.len() >= 3, "one report per chunk: {main:?}");
    assert!(main.windows(2).all(|w| w[0].read <= w[1].read));
    let last = main.last().unwrap();
    assert_eq!(
        (last.read, last.total),
        (size, Some(size)),
        "compressed bytes of the file"
    );
    assert_eq!(seen.last().unwrap().phase, Phase::Syncing);
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "no temporary file left: {names:?}");
}

#[tokio::test(flavor = "current_thread")]
async fn a_failed_repair_leaves_no_output_and_keeps_an_old_one() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("broken.xml.gz");
    std::fs::write(&input, gzip(b"<r><a></r>")).unwrap();
    let output = dir.path().join("fixed.xml");
    std::fs::write(&output, b"old").unwrap();
    let err = fix_file_async(&input, &output, &Default::default(), &mut |_| {})
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("broken.xml.gz") && text.contains("does not match"),
        "{text}"
    );
    assert_eq!(std::fs::read(&output).unwrap(), b"old");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    // Damaged compressed data is the input's fault, and named so.
    let damaged = dir.path().join("damaged.xml.gz");
    let mut gz = gzip(&synth_xml(1 << 20).0);
    let mid = gz.len() / 2;
    gz.truncate(mid);
    std::fs::write(&damaged, &gz).unwrap();
    let err = fix_file_async(&damaged, &output, &Default::default(), &mut |_| {})
        .await
        .unwrap_err();
    assert!(
        err.to_string().starts_with(&damaged.display().to_string()),
        "{err}"
    );
    assert_eq!(std::fs::read(&output).unwrap(), b"old");
    // The input itself as output is refused.
    let err = fix_file_async(&input, &input, &Default::default(), &mut |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(err, backup_fix::Error::OutputIsInput { .. }),
        "{err}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_zstd_stream_is_recognised_by_its_first_bytes() {
    let (xml, _) = synth_xml(1 << 20);
    let zst = zstd::encode_all(&xml[..], 3).unwrap();
    let mut plain = Vec::new();
    let report = fix_async_compressed(
        &zst[..],
        &mut plain,
        Compression::None,
        &Default::default(),
        &mut |_| {},
    )
    .await
    .unwrap();
    let (expected, expected_report) = backup_fix::fix_bytes(&xml, &Default::default()).unwrap();
    assert_eq!(plain, expected);
    assert_eq!(report, expected_report);
}

#[tokio::test(flavor = "current_thread")]
async fn the_repair_runs_off_the_executor_so_other_tasks_keep_running() {
    // Reading a slice and writing a Vec never wait: if the repair ran on the
    // executor thread, a current-thread runtime could not run the ticker
    // until the whole repair was done.
    let (xml, _) = synth_xml(8 << 20);
    let chunks = xml.len().div_ceil(backup_fix::driver::CHUNK_SIZE) as u64;
    let ticks = Arc::new(AtomicU64::new(0));
    let running = Arc::new(AtomicU64::new(1));
    let ticker = {
        let (ticks, running) = (Arc::clone(&ticks), Arc::clone(&running));
        tokio::spawn(async move {
            while running.load(Ordering::Relaxed) == 1 {
                ticks.fetch_add(1, Ordering::Relaxed);
                tokio::task::yield_now().await;
            }
        })
    };
    let mut out = Vec::new();
    fix_async(&xml[..], &mut out, &Default::default())
        .await
        .unwrap();
    let during = ticks.load(Ordering::Relaxed);
    running.store(0, Ordering::Relaxed);
    ticker.await.unwrap();
    assert!(
        during >= chunks / 2,
        "the ticker ran {during} times during {chunks} chunks"
    );
}

#[test]
fn the_futures_can_be_spawned_on_a_multi_thread_runtime() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (xml, defects) = synth_xml(1 << 20);
    let task = rt.spawn(async move {
        let mut out = Vec::new();
        fix_async(&xml[..], &mut out, &Default::default()).await
    });
    let report = rt.block_on(task).unwrap().unwrap();
    assert_eq!(report.changes(), defects);
}

#[tokio::test(flavor = "current_thread")]
async fn a_device_output_is_written_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("e.xml");
    std::fs::write(&input, b"<r>\x01</r>").unwrap();
    let null = std::path::Path::new("/dev/null");
    let report = fix_file_async(&input, null, &Default::default(), &mut |_| {})
        .await
        .unwrap();
    assert_eq!(report.changes(), 1);
    let meta = std::fs::metadata(null).unwrap();
    assert!(!meta.is_file(), "/dev/null is still a device");
}
