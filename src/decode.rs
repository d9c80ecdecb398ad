//! The input's character encoding: byte-order marks, the XML declaration's
//! `encoding`, transcoding of non-UTF-8 input to UTF-8 (with the declaration
//! rewritten to match), then the character-level [`Sanitizer`].
//!
//! UTF-8 input (declared, implied or marked by a BOM) is passed through
//! without copying once the first bytes have been looked at.

use crate::chars::is_forbidden_control;
use crate::error::Error;
use crate::location::Location;
use crate::report::EncodingReport;
use crate::sanitize::Sanitizer;
use crate::sink::{CharChange, CleanSink, Sink};
use encoding_rs::{DecoderResult, Encoding, UTF_16BE, UTF_16LE};

/// How many bytes to look at for the XML declaration before giving up on it.
const SNIFF_LIMIT: usize = 1024;
/// Size of the transcoding output buffer.
const TRANSCODE_CHUNK: usize = 64 * 1024;

/// The encodings the decoder reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Charset {
    Utf8,
    /// ISO-8859-1 proper: every byte is the code point of the same value
    /// (unlike windows-1252, which the WHATWG labels map it to).
    Latin1,
    Other(&'static Encoding),
}

enum Mode {
    /// Collecting the first bytes.
    Sniff(Vec<u8>),
    Utf8,
    Latin1,
    Transcode(Box<encoding_rs::Decoder>),
}

/// Decodes the input to UTF-8 and repairs it at the character level.
pub(crate) struct Decoder {
    mode: Mode,
    sanitizer: Sanitizer,
    /// UTF-8 bytes produced so far for the sanitizer (transcoding only).
    scratch: Vec<u8>,
    pub(crate) report: EncodingReport,
}

impl Default for Decoder {
    fn default() -> Self {
        Self {
            mode: Mode::Sniff(Vec::new()),
            sanitizer: Sanitizer::default(),
            scratch: Vec::new(),
            report: EncodingReport::default(),
        }
    }
}

/// Maps an encoding name as Java writers spell it to a charset.
fn charset_for_label(label: &str) -> Option<(Charset, bool)> {
    // The bool says whether the declaration must be rewritten even for UTF-8 output.
    let l = label.trim().to_ascii_lowercase();
    Some(match l.as_str() {
        "utf-8" | "utf8" => (Charset::Utf8, false),
        "us-ascii" | "ascii" | "iso646-us" | "ansi_x3.4-1968" => (Charset::Utf8, true),
        "iso-8859-1" | "iso8859-1" | "iso8859_1" | "iso_8859-1" | "iso_8859_1" | "latin1"
        | "latin-1" | "l1" | "8859_1" | "cp819" | "ibm819" | "iso-ir-100" => {
            (Charset::Latin1, true)
        }
        "cp1252" => (Charset::Other(encoding_rs::WINDOWS_1252), true),
        "sjis" | "ms932" | "windows-31j" => (Charset::Other(encoding_rs::SHIFT_JIS), true),
        "utf-16" | "utf16" | "unicode" => (Charset::Other(UTF_16BE), true),
        "utf-16le" | "unicodelittleunmarked" => (Charset::Other(UTF_16LE), true),
        "utf-16be" | "unicodebigunmarked" => (Charset::Other(UTF_16BE), true),
        _ => {
            let enc = Encoding::for_label(l.as_bytes())?;
            if enc == encoding_rs::REPLACEMENT || enc == encoding_rs::X_USER_DEFINED {
                return None;
            }
            if enc == encoding_rs::UTF_8 {
                (Charset::Utf8, false)
            } else {
                (Charset::Other(enc), true)
            }
        }
    })
}

/// Finds the `encoding` pseudo-attribute's value in a declaration at the
/// start of `head` (ASCII-compatible bytes). Returns the value's byte range.
pub(crate) fn declared_encoding(head: &[u8]) -> Option<std::ops::Range<usize>> {
    let start = usize::from(head.starts_with(b"\xEF\xBB\xBF")) * 3;
    let decl = head.get(start..)?;
    if !decl.starts_with(b"<?xml") || !decl.get(5).is_some_and(|b| b.is_ascii_whitespace()) {
        return None;
    }
    let end = memchr::memmem::find(decl, b"?>")?;
    let body = &decl[..end];
    let at = memchr::memmem::find(body, b"encoding")?;
    let mut k = at + b"encoding".len();
    while body.get(k).is_some_and(|b| b.is_ascii_whitespace()) {
        k += 1;
    }
    if body.get(k) != Some(&b'=') {
        return None;
    }
    k += 1;
    while body.get(k).is_some_and(|b| b.is_ascii_whitespace()) {
        k += 1;
    }
    let quote = *body.get(k).filter(|q| **q == b'"' || **q == b'\'')?;
    let vstart = k + 1;
    let vlen = memchr::memchr(quote, &body[vstart..])?;
    Some(start + vstart..start + vstart + vlen)
}

/// `head` without the raw characters the sanitizer will remove (C0 controls,
/// U+FFFE, U+FFFF), for reading the declaration.
fn without_forbidden(head: &[u8]) -> Vec<u8> {
    let mut probe = Vec::with_capacity(head.len());
    let mut i = 0;
    while i < head.len() {
        if head[i..].starts_with(b"\xEF\xBF\xBE") || head[i..].starts_with(b"\xEF\xBF\xBF") {
            i += 3;
            continue;
        }
        if !is_forbidden_control(head[i]) {
            probe.push(head[i]);
        }
        i += 1;
    }
    probe
}

/// True when `head` holds enough to decide the encoding: the byte-order mark
/// and, if the text starts with an XML declaration, all of it.
fn sniff_complete(head: &[u8]) -> bool {
    if head.len() >= SNIFF_LIMIT {
        return true;
    }
    if head.len() < 4 {
        return false;
    }
    // UTF-16, with or without a byte-order mark: look for the declaration's end in UTF-16.
    let utf16 = if head.starts_with(b"\xFF\xFE") || head.starts_with(b"<\0?\0") {
        Some((true, usize::from(head[0] == 0xFF) * 2))
    } else if head.starts_with(b"\xFE\xFF") || head.starts_with(b"\0<\0?") {
        Some((false, usize::from(head[0] == 0xFE) * 2))
    } else {
        None
    };
    if let Some((little, bom)) = utf16 {
        let body = &head[bom..];
        let (open, close): (&[u8], &[u8]) = if little {
            (b"<\0?\0x\0m\0l\0", b"?\0>\0")
        } else {
            (b"\0<\0?\0x\0m\0l", b"\0?\0>")
        };
        if body.len() < open.len() {
            return false;
        }
        return !body.starts_with(open) || memchr::memmem::find(body, close).is_some();
    }
    if head.ends_with(b"\xEF") || head.ends_with(b"\xEF\xBF") {
        // Perhaps the start of a U+FFFE or U+FFFF, which will be removed.
        return false;
    }
    let probe = without_forbidden(&head[..head.len().min(SNIFF_LIMIT)]);
    let body = probe.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&probe);
    if body.len() < 5 {
        return false;
    }
    !body.starts_with(b"<?xml") || memchr::memmem::find(body, b"?>").is_some()
}

impl Decoder {
    /// Decodes and repairs the next input bytes.
    pub(crate) fn write<D: CleanSink, S: Sink>(
        &mut self,
        input: &[u8],
        ds: &mut D,
        out: &mut S,
    ) -> Result<(), Error> {
        match &mut self.mode {
            Mode::Utf8 => self.sanitizer.write(input, ds, out),
            Mode::Sniff(head) => {
                head.extend_from_slice(input);
                if !sniff_complete(head) {
                    return Ok(());
                }
                let head = std::mem::take(head);
                self.start(head, ds, out)
            }
            Mode::Latin1 | Mode::Transcode(_) => self.transcode(input, false, ds, out),
        }
    }

    /// Flushes everything at end of input.
    pub(crate) fn finish<D: CleanSink, S: Sink>(
        &mut self,
        ds: &mut D,
        out: &mut S,
    ) -> Result<(), Error> {
        if let Mode::Sniff(head) = &mut self.mode {
            let head = std::mem::take(head);
            self.start(head, ds, out)?;
        }
        if matches!(self.mode, Mode::Latin1 | Mode::Transcode(_)) {
            self.transcode(&[], true, ds, out)?;
        }
        self.sanitizer.finish(ds, out)
    }

    /// Decides the encoding from the first bytes and processes them.
    fn start<D: CleanSink, S: Sink>(
        &mut self,
        head: Vec<u8>,
        ds: &mut D,
        out: &mut S,
    ) -> Result<(), Error> {
        let bom_charset = if head.starts_with(b"\xEF\xBB\xBF") {
            Some(("UTF-8 (byte-order mark)", Charset::Utf8))
        } else if head.starts_with(b"\xFF\xFE\x00\x00") || head.starts_with(b"\x00\x00\xFE\xFF") {
            return Err(unsupported("UTF-32"));
        } else if head.starts_with(b"\xFE\xFF") {
            Some(("UTF-16BE (byte-order mark)", Charset::Other(UTF_16BE)))
        } else if head.starts_with(b"\xFF\xFE") {
            Some(("UTF-16LE (byte-order mark)", Charset::Other(UTF_16LE)))
        } else if head.starts_with(b"<\0?\0") {
            Some(("UTF-16LE", Charset::Other(UTF_16LE)))
        } else if head.starts_with(b"\0<\0?") {
            Some(("UTF-16BE", Charset::Other(UTF_16BE)))
        } else if head.starts_with(b"\x4C\x6F\xA7\x94") {
            return Err(unsupported("EBCDIC"));
        } else {
            None
        };
        let (charset, rewrite) = match bom_charset {
            Some((name, cs)) => {
                self.report.declared = Some(name.to_string());
                (cs, cs != Charset::Utf8)
            }
            None => {
                // Read the declaration as the sanitizer will leave it.
                let probe = without_forbidden(&head[..head.len().min(SNIFF_LIMIT)]);
                match declared_encoding(&probe) {
                    Some(range) => {
                        let label = String::from_utf8_lossy(&probe[range]).into_owned();
                        let (cs, rewrite) =
                            charset_for_label(&label).ok_or_else(|| unsupported(&label))?;
                        self.report.declared = Some(label);
                        (cs, rewrite)
                    }
                    None => (Charset::Utf8, false),
                }
            }
        };
        if rewrite {
            ds.rewrite_declaration();
        }
        match charset {
            Charset::Utf8 => {
                self.mode = Mode::Utf8;
                self.sanitizer.write(&head, ds, out)
            }
            Charset::Latin1 => {
                self.report.transcoded_from = Some("ISO-8859-1".into());
                self.mode = Mode::Latin1;
                self.transcode(&head, false, ds, out)
            }
            Charset::Other(enc) => {
                self.report.transcoded_from = Some(enc.name().to_string());
                // The BOM, if any, is consumed by the decoder.
                self.mode = Mode::Transcode(Box::new(enc.new_decoder()));
                self.transcode(&head, false, ds, out)
            }
        }
    }

    /// Transcodes more input and passes it to the sanitizer.
    fn transcode<D: CleanSink, S: Sink>(
        &mut self,
        input: &[u8],
        last: bool,
        ds: &mut D,
        out: &mut S,
    ) -> Result<(), Error> {
        let sanitizer = &mut self.sanitizer;
        decode_chunk(
            &mut self.mode,
            &mut self.scratch,
            input,
            last,
            |d| match d {
                Decoded::Text(t) => sanitizer.write(t, ds, out),
                Decoded::Malformed => {
                    ds.changed(CharChange::InvalidEncoded, sanitizer.offset())?;
                    sanitizer.write(REPLACEMENT, ds, out)
                }
            },
        )
    }
}

const REPLACEMENT: &[u8] = "\u{FFFD}".as_bytes();

/// A piece of transcoder output.
enum Decoded<'a> {
    /// Decoded UTF-8 text, whole characters only.
    Text(&'a [u8]),
    /// A byte sequence invalid in the source encoding (to be replaced by U+FFFD).
    Malformed,
}

/// Decodes `input` in the transcoding `mode`, handing the results to `f`.
fn decode_chunk(
    mode: &mut Mode,
    scratch: &mut Vec<u8>,
    input: &[u8],
    last: bool,
    mut f: impl FnMut(Decoded<'_>) -> Result<(), Error>,
) -> Result<(), Error> {
    match mode {
        Mode::Latin1 => {
            for part in input.chunks(TRANSCODE_CHUNK / 2) {
                scratch.clear();
                for &b in part {
                    if b < 0x80 {
                        scratch.push(b);
                    } else {
                        scratch.extend_from_slice(&[0xC0 | (b >> 6), 0x80 | (b & 0x3F)]);
                    }
                }
                f(Decoded::Text(scratch))?;
            }
            Ok(())
        }
        Mode::Transcode(dec) => {
            scratch.resize(TRANSCODE_CHUNK, 0);
            let mut pos = 0;
            loop {
                let (res, read, written) =
                    dec.decode_to_utf8_without_replacement(&input[pos..], scratch, last);
                pos += read;
                if written > 0 {
                    f(Decoded::Text(&scratch[..written]))?;
                }
                match res {
                    DecoderResult::InputEmpty => return Ok(()),
                    DecoderResult::OutputFull => {}
                    DecoderResult::Malformed(_, _) => f(Decoded::Malformed)?,
                }
            }
        }
        Mode::Sniff(_) | Mode::Utf8 => f(Decoded::Text(input)),
    }
}

fn unsupported(label: &str) -> Error {
    Error::UnsupportedEncoding {
        label: label.to_string(),
        location: Location {
            line: 1,
            column: 1,
            offset: 0,
        },
    }
}
