//! One entry of the input archive as its central directory records it, read
//! raw so that everything a copy must keep (name bytes, flags, timestamps,
//! attributes, extra fields, comment) is at hand; and the local header that
//! precedes each entry's data.

use crate::archive::error::ArchiveError;
use std::io::{self, BufReader, Read, Seek, SeekFrom};

/// Signature of a local file header.
pub(crate) const LOCAL_SIG: u32 = 0x0403_4b50;
/// Signature of a central directory header.
pub(crate) const CENTRAL_SIG: u32 = 0x0201_4b50;
/// Extra field id of the zip64 extended information.
pub(crate) const ZIP64_EXTRA: u16 = 0x0001;
/// Extra field id of the Info-ZIP Unicode path.
pub(crate) const UNICODE_PATH_EXTRA: u16 = 0x7075;
/// General purpose flag: the entry is encrypted.
pub(crate) const FLAG_ENCRYPTED: u16 = 0x0001;
/// General purpose flag: sizes and CRC follow the data in a data descriptor.
pub(crate) const FLAG_DATA_DESCRIPTOR: u16 = 0x0008;
/// General purpose flag: strong encryption.
pub(crate) const FLAG_STRONG_ENCRYPTION: u16 = 0x0040;
/// General purpose flag: the name and comment are UTF-8.
pub(crate) const FLAG_UTF8: u16 = 0x0800;
/// Compression method: stored.
pub(crate) const METHOD_STORED: u16 = 0;
/// Compression method: deflate.
pub(crate) const METHOD_DEFLATE: u16 = 8;
/// Compression method: AES-encrypted (WinZip).
pub(crate) const METHOD_AES: u16 = 99;
/// Size of the fixed part of a local file header.
pub(crate) const LOCAL_HEADER_LEN: u64 = 30;

/// An entry as the central directory describes it.
#[derive(Clone, Debug)]
pub(crate) struct SourceEntry {
    /// The name as stored.
    pub name: Box<[u8]>,
    /// The decoded name when it differs from the stored bytes (CP437 names,
    /// Info-ZIP Unicode paths); most names are UTF-8 and not held twice.
    display: Option<Box<str>>,
    pub version_made_by: u16,
    pub version_needed: u16,
    pub flags: u16,
    pub method: u16,
    pub time: u16,
    pub date: u16,
    pub crc: u32,
    pub compressed_size: u64,
    pub size: u64,
    pub internal_attr: u16,
    pub external_attr: u32,
    /// Where the local header starts in the input file.
    pub header_offset: u64,
    /// The central extra fields, without the zip64 field (rewritten on output).
    pub central_extra: Box<[u8]>,
    /// The entry comment as stored.
    pub comment: Box<[u8]>,
}

impl SourceEntry {
    /// The name decoded for people and for path checks.
    pub fn display(&self) -> &str {
        match &self.display {
            Some(d) => d,
            // Without an override the stored name is this UTF-8 text.
            None => std::str::from_utf8(&self.name).unwrap_or_default(),
        }
    }

    /// A deflated file entry of this UTF-8 name, otherwise empty.
    #[cfg(test)]
    pub fn named(name: &str) -> SourceEntry {
        SourceEntry {
            name: name.as_bytes().into(),
            display: None,
            version_made_by: 20,
            version_needed: 20,
            flags: 0,
            method: 8,
            time: 0,
            date: 0,
            crc: 0,
            compressed_size: 0,
            size: 0,
            internal_attr: 0,
            external_attr: 0,
            header_offset: 0,
            central_extra: Box::default(),
            comment: Box::default(),
        }
    }

    /// Sets the decoded name, held only when it differs from the stored bytes.
    pub fn set_display(&mut self, display: String) {
        self.display = (display.as_bytes() != &*self.name).then(|| display.into_boxed_str());
    }

    /// A directory entry (its name ends in a slash).
    pub fn is_dir(&self) -> bool {
        self.name.ends_with(b"/") || self.name.ends_with(b"\\")
    }

    /// Whether the entry is encrypted.
    pub fn encrypted(&self) -> bool {
        self.flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION) != 0 || self.method == METHOD_AES
    }
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

/// The extra fields of `extra` as `(id, data)`, or `None` when the lengths do not add up.
pub(crate) fn extra_fields(extra: &[u8]) -> Option<Vec<(u16, &[u8])>> {
    let mut fields = Vec::new();
    let mut rest = extra;
    while !rest.is_empty() {
        if rest.len() < 4 {
            return None;
        }
        let id = u16_at(rest, 0);
        let len = usize::from(u16_at(rest, 2));
        let data = rest.get(4..4 + len)?;
        fields.push((id, data));
        rest = &rest[4 + len..];
    }
    Some(fields)
}

/// `extra` without the fields whose id is in `drop`. Malformed extra data is dropped whole.
pub(crate) fn strip_extra(extra: &[u8], drop: &[u16]) -> Vec<u8> {
    let Some(fields) = extra_fields(extra) else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(extra.len());
    for (id, data) in fields {
        if !drop.contains(&id) {
            push_extra(&mut out, id, data);
        }
    }
    out
}

/// Appends one extra field.
pub(crate) fn push_extra(out: &mut Vec<u8>, id: u16, data: &[u8]) {
    out.extend_from_slice(&id.to_le_bytes());
    // Extra field data is at most 64 KiB by construction (it came from one).
    out.extend_from_slice(&(data.len() as u16).to_le_bytes());
    out.extend_from_slice(data);
}

/// CP437 characters 0x80..=0xFF, the code page of zip names without the UTF-8 flag.
const CP437_HIGH: &str = "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u{a0}";

/// Decodes a stored name: UTF-8 when flagged (or when it is valid UTF-8 and
/// not plain CP437 text), CP437 otherwise.
pub(crate) fn decode_name(raw: &[u8], utf8_flag: bool) -> String {
    if utf8_flag || raw.is_ascii() {
        return String::from_utf8_lossy(raw).into_owned();
    }
    if let Ok(s) = std::str::from_utf8(raw) {
        // Many tools write UTF-8 without setting the flag.
        return s.to_owned();
    }
    raw.iter()
        .map(|&b| {
            if b < 0x80 {
                char::from(b)
            } else {
                CP437_HIGH
                    .chars()
                    .nth(usize::from(b - 0x80))
                    .unwrap_or('\u{FFFD}')
            }
        })
        .collect()
}

fn damaged(detail: impl Into<String>) -> ArchiveError {
    ArchiveError::Damaged {
        detail: detail.into(),
    }
}

/// Reads the central directory records starting at `start` until the first
/// non-record. `archive_offset` is the size of data prepended to the archive
/// (added to local header offsets).
pub(crate) fn read_central_directory<R: Read + Seek>(
    reader: &mut R,
    start: u64,
    archive_offset: u64,
    expected_at_least: usize,
) -> Result<Vec<SourceEntry>, ArchiveError> {
    // The count comes from the input: reserve for it only within reason.
    let mut entries = Vec::with_capacity(expected_at_least.min(1 << 16));
    each_central_record(reader, start, archive_offset, |e| {
        entries.push(e);
        Ok(())
    })?;
    if entries.len() < expected_at_least {
        return Err(damaged(format!(
            "the central directory lists {expected_at_least} entries but only {} records could be read",
            entries.len()
        )));
    }
    // Every entry is held until the end: no room to spare.
    entries.shrink_to_fit();
    Ok(entries)
}

/// Calls `each` with every central directory record from `start` on, in
/// order, holding one record at a time; returns how many there were.
pub(crate) fn each_central_record<R: Read + Seek>(
    reader: &mut R,
    start: u64,
    archive_offset: u64,
    mut each: impl FnMut(SourceEntry) -> Result<(), ArchiveError>,
) -> Result<usize, ArchiveError> {
    let io = |e: io::Error| damaged(format!("cannot read the central directory: {e}"));
    reader.seek(SeekFrom::Start(start)).map_err(io)?;
    let mut r = BufReader::with_capacity(256 << 10, reader);
    let mut count = 0usize;
    let mut fixed = [0u8; 46];
    loop {
        let mut sig = [0u8; 4];
        match r.read_exact(&mut sig) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(io(e)),
        }
        if u32::from_le_bytes(sig) != CENTRAL_SIG {
            break;
        }
        fixed[..4].copy_from_slice(&sig);
        r.read_exact(&mut fixed[4..]).map_err(|e| {
            damaged(format!(
                "central directory record {} is cut short: {e}",
                count + 1
            ))
        })?;
        let name_len = usize::from(u16_at(&fixed, 28));
        let extra_len = usize::from(u16_at(&fixed, 30));
        let comment_len = usize::from(u16_at(&fixed, 32));
        let mut var = vec![0u8; name_len + extra_len + comment_len];
        r.read_exact(&mut var).map_err(|e| {
            damaged(format!(
                "central directory record {} is cut short: {e}",
                count + 1
            ))
        })?;
        let comment = var.split_off(name_len + extra_len);
        let extra = var.split_off(name_len);
        let name = var;
        let flags = u16_at(&fixed, 8);
        let mut size = u64::from(u32_at(&fixed, 24));
        let mut compressed_size = u64::from(u32_at(&fixed, 20));
        let mut header_offset = u64::from(u32_at(&fixed, 42));
        let mut unicode_path = None;
        let display_raw = decode_name(&name, flags & FLAG_UTF8 != 0);
        let Some(fields) = extra_fields(&extra) else {
            return Err(ArchiveError::CorruptEntry {
                entry: display_raw,
                detail: "its extra fields in the central directory are malformed".into(),
            });
        };
        for (id, data) in &fields {
            match *id {
                ZIP64_EXTRA => {
                    let mut at = 0;
                    let mut take = |v: &mut u64| -> Result<(), ArchiveError> {
                        if *v == 0xFFFF_FFFF {
                            if data.len() < at + 8 {
                                return Err(ArchiveError::CorruptEntry {
                                    entry: display_raw.clone(),
                                    detail: "its zip64 extra field is too short".into(),
                                });
                            }
                            *v = u64_at(data, at);
                            at += 8;
                        }
                        Ok(())
                    };
                    take(&mut size)?;
                    take(&mut compressed_size)?;
                    take(&mut header_offset)?;
                }
                UNICODE_PATH_EXTRA if data.len() >= 5 && data[0] == 1 => {
                    if u32_at(data, 1) == crc32fast::hash(&name)
                        && let Ok(s) = std::str::from_utf8(&data[5..])
                    {
                        unicode_path = Some(s.to_owned());
                    }
                }
                _ => {}
            }
        }
        // The Info-ZIP Unicode path wins when it matches the stored name.
        let display = unicode_path.unwrap_or(display_raw);
        let header_offset = header_offset.checked_add(archive_offset).ok_or_else(|| {
            ArchiveError::CorruptEntry {
                entry: display.clone(),
                detail: "its local header offset is out of range".into(),
            }
        })?;
        count += 1;
        let mut entry = SourceEntry {
            name: name.into_boxed_slice(),
            display: None,
            version_made_by: u16_at(&fixed, 4),
            version_needed: u16_at(&fixed, 6),
            flags,
            method: u16_at(&fixed, 10),
            time: u16_at(&fixed, 12),
            date: u16_at(&fixed, 14),
            crc: u32_at(&fixed, 16),
            compressed_size,
            size,
            internal_attr: u16_at(&fixed, 36),
            external_attr: u32_at(&fixed, 38),
            header_offset,
            central_extra: strip_extra(&extra, &[ZIP64_EXTRA]).into_boxed_slice(),
            comment: comment.into_boxed_slice(),
        };
        entry.set_display(display);
        each(entry)?;
    }
    Ok(count)
}

/// What the local header of an entry says, as far as copying needs it.
#[derive(Clone, Debug)]
pub(crate) struct LocalHeader {
    /// Where the entry's data starts.
    pub data_start: u64,
    /// The local extra fields, without the zip64 field.
    pub extra: Vec<u8>,
}

/// Reads the local header of `entry` and checks it is where the directory
/// says and that the data fits in the file.
pub(crate) fn read_local_header<R: Read + Seek>(
    reader: &mut R,
    entry: &SourceEntry,
    file_len: u64,
) -> Result<LocalHeader, ArchiveError> {
    let corrupt = |detail: String| ArchiveError::CorruptEntry {
        entry: entry.display().to_owned(),
        detail,
    };
    let at = entry.header_offset;
    if at.saturating_add(LOCAL_HEADER_LEN) > file_len {
        return Err(corrupt(format!(
            "the central directory puts its local header at byte {at}, past the end of the {file_len}-byte file (bad offsets or a truncated archive)"
        )));
    }
    let mut fixed = [0u8; LOCAL_HEADER_LEN as usize];
    reader
        .seek(SeekFrom::Start(at))
        .and_then(|_| reader.read_exact(&mut fixed))
        .map_err(|e| corrupt(format!("cannot read its local header at byte {at}: {e}")))?;
    if u32_at(&fixed, 0) != LOCAL_SIG {
        return Err(corrupt(format!(
            "there is no local header at byte {at} where the central directory puts it (bad offsets)"
        )));
    }
    let name_len = u64::from(u16_at(&fixed, 26));
    let extra_len = usize::from(u16_at(&fixed, 28));
    reader
        .seek(SeekFrom::Current(name_len as i64))
        .map_err(|e| corrupt(format!("cannot read its local header at byte {at}: {e}")))?;
    let mut extra = vec![0u8; extra_len];
    reader
        .read_exact(&mut extra)
        .map_err(|e| corrupt(format!("cannot read its local header at byte {at}: {e}")))?;
    let data_start = at + LOCAL_HEADER_LEN + name_len + extra_len as u64;
    let end = data_start.checked_add(entry.compressed_size);
    if end.is_none_or(|end| end > file_len) {
        return Err(corrupt(format!(
            "its {} bytes of data starting at byte {data_start} run past the end of the {file_len}-byte file (a truncated archive)",
            entry.compressed_size
        )));
    }
    Ok(LocalHeader {
        data_start,
        extra: strip_extra(&extra, &[ZIP64_EXTRA]),
    })
}

/// Why a name is unsafe to write or extract, if it is.
pub(crate) fn unsafe_name(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("it is empty");
    }
    if name.contains('\0') {
        return Some("it contains a NUL character");
    }
    if name.starts_with('/') || name.starts_with('\\') {
        return Some("it is an absolute path");
    }
    let b = name.as_bytes();
    if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
        return Some("it starts with a drive letter");
    }
    if name.split(['/', '\\']).any(|c| c == "..") {
        return Some("it contains a '..' component");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_names_are_caught() {
        assert_eq!(unsafe_name("entities.xml"), None);
        assert_eq!(unsafe_name("data/attachments/A/1"), None);
        assert_eq!(unsafe_name("a..b/c"), None);
        assert!(unsafe_name("../etc/passwd").is_some());
        assert!(unsafe_name("a/../../b").is_some());
        assert!(unsafe_name("a\\..\\b").is_some());
        assert!(unsafe_name("/etc/passwd").is_some());
        assert!(unsafe_name("\\x").is_some());
        assert!(unsafe_name("C:/x").is_some());
        assert!(unsafe_name("").is_some());
    }

    #[test]
    fn names_decode_as_utf8_or_cp437() {
        assert_eq!(decode_name(b"caf\xc3\xa9", true), "café");
        assert_eq!(decode_name(b"caf\xc3\xa9", false), "café");
        assert_eq!(decode_name(b"M\x84rz", false), "März");
        assert_eq!(decode_name(b"\xff", false), "\u{a0}");
    }

    #[test]
    fn a_decoded_name_is_held_only_when_it_differs_from_the_bytes() {
        let mut e = SourceEntry::named("data/café.png");
        e.set_display(decode_name(&e.name, true));
        assert_eq!(e.display(), "data/café.png");
        assert!(e.display.is_none(), "a UTF-8 name is not held twice");
        let mut e = SourceEntry::named("");
        e.name = b"M\x84rz.txt"[..].into();
        e.set_display(decode_name(&e.name, false));
        assert_eq!(e.display(), "März.txt");
        assert_eq!(
            &*e.name, b"M\x84rz.txt",
            "the stored bytes stay as they were"
        );
    }

    #[test]
    fn extra_fields_are_split_and_stripped() {
        let mut extra = Vec::new();
        push_extra(&mut extra, 0x5455, &[1, 2, 3, 4, 5]);
        push_extra(&mut extra, ZIP64_EXTRA, &[0; 16]);
        push_extra(&mut extra, 0x7875, &[1, 4, 0, 0, 0, 0, 4, 0, 0, 0, 0]);
        let fields = extra_fields(&extra).unwrap();
        assert_eq!(
            fields.iter().map(|f| f.0).collect::<Vec<_>>(),
            [0x5455, 1, 0x7875]
        );
        let stripped = strip_extra(&extra, &[ZIP64_EXTRA]);
        assert_eq!(stripped.len(), extra.len() - 20);
        assert!(extra_fields(&[1, 0, 9, 0, 1]).is_none());
        assert!(strip_extra(&[1, 0, 9, 0, 1], &[]).is_empty());
    }
}
