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
