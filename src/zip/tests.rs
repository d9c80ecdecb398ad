//! Round trips through the one layer: entries written by [`ZipOut`] (copies,
//! streamed entries, data descriptors, zip64 forced) read back by the end
//! records, the central-directory reader, local headers and the checked
//! data reader as exactly what was written; `unzip -t` agrees.

use crate::cancel::Cancel;
use crate::zip::data::{Checked, read_data};
use crate::zip::format::{DEFLATED, FLAG_DESCRIPTOR, STORED};
use crate::zip::inflate::Spare;
use crate::zip::writer::{EntryMeta, Sizes, ZipOut};
use crate::zip::{CentralReader, ZipInput, find_end};
use proptest::prelude::*;
use std::io::Write;

#[derive(Clone, Debug)]
struct Spec {
    name: String,
    data: Vec<u8>,
    deflate: bool,
    /// 0: copy with known sizes, 1: streamed (patched header), 2: data descriptor.
    how: u8,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        "[a-z]{1,8}(/[a-zé€0-9]{1,6}){0,3}",
        prop::collection::vec(any::<u8>(), 0..3000),
        any::<bool>(),
        0u8..3,
        any::<bool>(),
    )
        .prop_map(|(name, data, deflate, how, repetitive)| Spec {
            name,
            // Half the entries compress well, as text does.
            data: if repetitive {
                data.iter().map(|b| b % 4).collect()
            } else {
                data
            },
            deflate,
            how,
        })
}

fn write(specs: &[Spec], force_zip64: bool, path: &std::path::Path) {
    let file = std::fs::File::create(path).unwrap();
    let mut z = ZipOut::new(
        std::io::BufWriter::new(file),
        force_zip64,
        path.parent().unwrap(),
        // A tiny budget: the central directory spills from the first record.
        64,
    );
    for s in specs {
        let method = if s.deflate { DEFLATED } else { STORED };
        let packed = if s.deflate {
            let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(6));
            e.write_all(&s.data).unwrap();
            e.finish().unwrap()
        } else {
            s.data.clone()
        };
        let meta = EntryMeta {
            name: s.name.as_bytes().to_vec(),
            version_made_by: 0x033F,
            version_needed: 20,
            flags: if s.name.is_ascii() { 0 } else { 1 << 11 },
            method,
            time: 0x6000,
            date: 0x5A21,
            external_attr: 0o100644 << 16,
            ..Default::default()
        };
        let sizes = Sizes {
            crc: crc32fast::hash(&s.data),
            compressed: packed.len() as u64,
            uncompressed: s.data.len() as u64,
        };
        match s.how {
            0 => z.begin_copy(meta, sizes).unwrap(),
            1 => z.begin_stream(meta).unwrap(),
            _ => z.begin_described(meta).unwrap(),
        }
        // In pieces, as the pipeline writes them.
        for piece in packed.chunks(700) {
            z.data(piece).unwrap();
        }
        z.end(sizes).unwrap();
    }
    let (w, digest, _) = z.finish(b"comment").unwrap();
    drop(w.into_inner().unwrap());
    assert_eq!(digest.count, specs.len() as u64);
    crate::zip::verify::verify(path, digest, &mut |_, _| {}).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn written_entries_read_back_as_written(
        specs in prop::collection::vec(spec(), 0..24),
        force_zip64 in any::<bool>(),
    ) {
        // Names must be unique for unzip to test them all.
        let mut seen = std::collections::HashSet::new();
        let specs: Vec<Spec> = specs.into_iter().filter(|s| seen.insert(s.name.clone())).collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("roundtrip.zip");
        write(&specs, force_zip64, &path);

        let mut file = std::fs::File::open(&path).unwrap();
        let len = file.metadata().unwrap().len();
        let end = find_end(&mut file, len).unwrap();
        prop_assert_eq!(end.entries, specs.len() as u64);
        prop_assert_eq!(&end.comment[..], b"comment");
        let mut central = CentralReader::new(std::fs::File::open(&path).unwrap(), &end).unwrap();
        let mut input = ZipInput::new(file, len);
        let (mut buf, mut spare) = (vec![0u8; 1000], Spare::default());
        for s in &specs {
            let e = central.next_entry().unwrap().unwrap();
            prop_assert_eq!(e.display(), s.name.as_str());
            prop_assert_eq!(e.size, s.data.len() as u64);
            prop_assert_eq!(e.crc, crc32fast::hash(&s.data));
            prop_assert_eq!(e.method, if s.deflate { DEFLATED } else { STORED });
            prop_assert_eq!(e.flags & FLAG_DESCRIPTOR != 0, s.how == 2);
            prop_assert_eq!(e.zip64_sizes, force_zip64);
            let local = input.local_header(&e).unwrap();
            prop_assert_eq!(&local.name[..], s.name.as_bytes());
            let mut raw = Vec::new();
            let checked = read_data(&mut input, &e, true, &mut buf, &mut spare, &Cancel::new(), &mut |b| {
                raw.extend_from_slice(b);
                Ok(())
            });
            prop_assert!(matches!(checked, Ok(Checked::Yes)), "{:?}", checked.err());
            let content = if s.deflate {
                let mut out = Vec::new();
                std::io::Read::read_to_end(&mut flate2::read::DeflateDecoder::new(&raw[..]), &mut out).unwrap();
                out
            } else {
                raw
            };
            prop_assert_eq!(content, s.data.clone());
        }
        prop_assert!(central.next_entry().unwrap().is_none());
        if which_unzip() && !specs.is_empty() {
            let out = std::process::Command::new("unzip").arg("-tq").arg(&path).output().unwrap();
            prop_assert!(out.status.success(), "unzip -t: {}", String::from_utf8_lossy(&out.stdout));
        }
    }
}

fn which_unzip() -> bool {
    std::process::Command::new("unzip")
        .arg("-v")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn a_damaged_byte_is_caught_by_the_data_reader() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("one.zip");
    let data = b"some attachment bytes, some attachment bytes".repeat(20);
    write(
        &[Spec {
            name: "a".into(),
            data,
            deflate: true,
            how: 2,
        }],
        false,
        &path,
    );
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[31 + 5] ^= 0x10; // inside the deflated data (the header is 31 bytes)
    std::fs::write(&path, &bytes).unwrap();
    let mut file = std::fs::File::open(&path).unwrap();
    let len = file.metadata().unwrap().len();
    let end = find_end(&mut file, len).unwrap();
    let mut central = CentralReader::new(std::fs::File::open(&path).unwrap(), &end).unwrap();
    let e = central.next_entry().unwrap().unwrap();
    let mut input = ZipInput::new(file, len);
    input.local_header(&e).unwrap();
    let r = read_data(
        &mut input,
        &e,
        true,
        &mut [0u8; 64],
        &mut Spare::default(),
        &Cancel::new(),
        &mut |_| Ok(()),
    );
    assert!(
        matches!(r, Err(crate::zip::data::DataError::Fault(_))),
        "{r:?}"
    );
}
