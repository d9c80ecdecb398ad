//! One forward pass over the archive, entry by entry in the central
//! directory's order: raw copies go straight from the input's buffer to the
//! output's (their CRC checked on the way), with no thread hand-off, so a
//! million small attachments cost a million header parses and nothing
//! more. Each XML entry runs on threads of its own while it lasts
//! ([`xml_entry`]), its repaired output cut into deflate blocks
//! ([`blocks`]).

mod blocks;
mod thread_cpu;
mod xml_entry;

use crate::archive::deflate::{self, Pool};
use crate::archive::error::{fault_error, read_error};
use crate::archive::layout::{Action, Decision, Sniffed, Survey};
use crate::archive::report::{EntryCounts, StageCpu};
use crate::cancel::Cancel;
use crate::error::Error;
use crate::fixer::FixConfig;
use crate::report::Report;
use crate::zip::data::{Checked, DataError, read_data};
use crate::zip::extra;
use crate::zip::format::{DEFLATED, FLAG_UTF8};
use crate::zip::inflate::Spare;
use crate::zip::writer::{Digest, EntryMeta, FileOut, Sizes, ZipOut, deflate_version};
use crate::zip::{CentralEntry, CentralReader, ZipInput};
use std::fs::File;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use xml_entry::{EntryContext, XmlEntry, fix_entry};

/// How the pipeline runs.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub level: u32,
    pub threads: usize,
    pub block_size: usize,
    pub check_copies: bool,
    pub force_zip64: bool,
    /// Where a large output central directory waits (the output's directory).
    pub scratch: std::path::PathBuf,
}

/// Size of the reads from the input file and of inflated chunks.
pub(super) const CHUNK: usize = 1 << 20;
/// Entries between two progress reports.
const PROGRESS_EVERY: u64 = 1024;

/// The inputs of a run.
pub(crate) struct RunInputs<'a> {
    pub survey: &'a Survey,
    /// The export descriptor's new content, when a rule rewrote it.
    pub descriptor: Option<&'a [u8]>,
    pub comment: &'a [u8],
    /// The repair's configuration, checked once and shared by every XML entry.
    pub config: &'a FixConfig,
    /// Stops the run between chunks and entries.
    pub cancel: &'a Cancel,
    pub settings: &'a Settings,
}

/// The result of a pipeline run.
pub(crate) struct Outcome {
    /// Reports of the XML entries: output name, report, compressed size,
    /// CPU split.
    pub xml: Vec<(String, Report, u64, Option<StageCpu>)>,
    /// What the head of entities.xml said.
    pub sniffed: Sniffed,
    /// What was done with the entries.
    pub counts: EntryCounts,
    /// The digest of what was written, for the read-back check.
    pub digest: Digest,
    /// Whether zip64 records were written.
    pub zip64: bool,
    /// Size of the output.
    pub output_bytes: u64,
    /// Copied entries whose data could not be checked (unknown methods).
    pub unchecked: u64,
}

/// Where a failure came from, for blaming the right file.
pub(crate) enum Failure {
    /// The input (or an entry's content).
    Input(Error),
    /// The output file.
    Output(Error),
}

/// Runs the repair: streams the directory `central` describes, reading the
/// entries from `input`, into `output`.
pub(crate) fn run(
    mut central: CentralReader,
    input: &mut ZipInput,
    output: &File,
    job: &RunInputs<'_>,
    progress: &mut dyn FnMut(u64),
) -> Result<Outcome, Failure> {
    let settings = job.settings;
    let inp = |e: Error| Failure::Input(e);
    let out = |e: io::Error| Failure::Output(e.into());
    let file = output.try_clone().map_err(out)?;
    let mut z = ZipOut::new(
        FileOut::new(file),
        settings.force_zip64,
        &settings.scratch,
        crate::spill::IN_MEMORY,
    );
    let mut counts = EntryCounts {
        input: job.survey.entries,
        ..EntryCounts::default()
    };
    let mut xml = Vec::new();
    let mut sniffed = Sniffed::default();
    let mut unchecked = 0u64;
    let mut buf = vec![0u8; CHUNK];
    let mut spare = Spare::default();
    let (blocks, packed) = (Pool::default(), Pool::default());
    let read = AtomicU64::new(0);
    let ctx = EntryContext {
        job,
        blocks: &blocks,
        packed: &packed,
        read: &read,
    };
    let mut index = 0u64;
    while let Some(e) = central.next_entry().map_err(|e| inp(read_error(e)))? {
        job.cancel.check().map_err(|i| inp(i.into()))?;
        let this = index;
        index += 1;
        let d = job.survey.decide(&e);
        match d.action {
            Action::Drop => {
                counts.dropped += 1;
                continue;
            }
            Action::DropRoot => {
                counts.root_entries += 1;
                continue;
            }
            _ => {}
        }
        let local = input.local_header(&e).map_err(|e| inp(read_error(e)))?;
        let replaced = if d.action == Action::Descriptor {
            job.descriptor
        } else {
            None
        };
        if let Some(bytes) = replaced {
            let mut c = flate2::Compress::new(flate2::Compression::new(settings.level), false);
            let mut deflated = Vec::new();
            deflate::compress_block(&mut c, bytes, &[], true, &mut deflated)
                .map_err(|e| out(io::Error::other(format!("deflate failed: {e}"))))?;
            z.begin_stream(meta_for(&e, &d, local.extra, Some(settings.level)))
                .map_err(out)?;
            z.data(&deflated).map_err(out)?;
            z.end(Sizes {
                crc: crc32fast::hash(bytes),
                compressed: deflated.len() as u64,
                uncompressed: bytes.len() as u64,
            })
            .map_err(out)?;
            counts.rewritten += 1;
        } else if d.action == Action::Fix {
            let entry = XmlEntry {
                e: &e,
                d: &d,
                local_extra: local.extra,
            };
            let (report, s, compressed, cpu) = fix_entry(&ctx, entry, input, &mut z, progress)?;
            if this == job.survey.entities_index {
                sniffed = s;
            }
            counts.xml += 1;
            xml.push((d.out_display(&e).to_owned(), report, compressed, cpu));
        } else {
            let sizes = Sizes {
                crc: e.crc,
                compressed: e.compressed_size,
                uncompressed: e.size,
            };
            z.begin_copy(meta_for(&e, &d, local.extra, None), sizes)
                .map_err(out)?;
            let checked = read_data(
                input,
                &e,
                settings.check_copies,
                &mut buf,
                &mut spare,
                job.cancel,
                &mut |bytes| z.data(bytes),
            );
            match checked {
                Ok(Checked::Yes) => {}
                Ok(Checked::No) => unchecked += u64::from(!e.is_dir() && settings.check_copies),
                Err(DataError::Read(r)) => return Err(inp(read_error(r))),
                Err(DataError::Fault(f)) => return Err(inp(fault_error(e.display(), f))),
                Err(DataError::Sink(err)) => return Err(out(err)),
                Err(DataError::Interrupted) => return Err(inp(Error::Interrupted)),
            }
            z.end(sizes).map_err(out)?;
            counts.copied += 1;
            if e.is_dir() {
                counts.directories += 1;
            } else if is_attachment(d.out_display(&e)) {
                counts.attachments += 1;
            }
            read.fetch_add(e.size, Ordering::Relaxed);
        }
        counts.output += 1;
        if counts.output.is_multiple_of(PROGRESS_EVERY) {
            progress(read.load(Ordering::Relaxed));
        }
    }
    let (w, digest, zip64) = z.finish(job.comment).map_err(out)?;
    let file = w.into_file().map_err(out)?;
    let output_bytes = file.metadata().map_err(out)?.len();
    Ok(Outcome {
        xml,
        sniffed,
        counts,
        digest,
        zip64,
        output_bytes,
        unchecked,
    })
}

fn is_attachment(name: &str) -> bool {
    name.starts_with("attachments/") || name.starts_with("data/attachments/")
}

/// The output metadata of an entry.
pub(super) fn meta_for(
    src: &CentralEntry,
    d: &Decision,
    local_extra: Vec<u8>,
    stream_level: Option<u32>,
) -> EntryMeta {
    let (local_extra, central_extra) = if d.renamed() {
        (
            extra::renamed(&local_extra, d.out_name(src), d.out_display(src)),
            extra::renamed(&src.central_extra, d.out_name(src), d.out_display(src)),
        )
    } else {
        (local_extra, src.central_extra.to_vec())
    };
    let mut meta = EntryMeta {
        name: d.out_name(src).to_vec(),
        version_made_by: src.version_made_by,
        version_needed: src.version_needed,
        flags: src.flags,
        method: src.method,
        time: src.time,
        date: src.date,
        internal_attr: src.internal_attr,
        external_attr: src.external_attr,
        local_extra,
        central_extra,
        comment: src.comment.to_vec(),
    };
    if let Some(level) = stream_level {
        meta.method = DEFLATED;
        meta.flags = (src.flags & FLAG_UTF8) | deflate::level_flags(level);
        meta.version_needed = deflate_version(20);
    }
    meta
}
