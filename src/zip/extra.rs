//! Extra fields of zip headers: splitting them, dropping or adding one, and
//! reading the ones the format depends on (zip64 sizes and offset, the
//! extended timestamp, the Info-ZIP Unicode path).

#[cfg(test)]
use crate::zip::format::UT_EXTRA;
use crate::zip::format::{MARK32, UNICODE_PATH_EXTRA, ZIP64_EXTRA, le16, le32, le64};

/// The extra fields of `extra` as `(id, data)`, or `None` when the lengths do not add up.
pub(crate) fn fields(extra: &[u8]) -> Option<Vec<(u16, &[u8])>> {
    let mut out = Vec::new();
    let mut rest = extra;
    while !rest.is_empty() {
        if rest.len() < 4 {
            return None;
        }
        let id = le16(rest, 0);
        let len = usize::from(le16(rest, 2));
        let data = rest.get(4..4 + len)?;
        out.push((id, data));
        rest = &rest[4 + len..];
    }
    Some(out)
}

/// `extra` without the fields whose id is in `drop`. Malformed extra data is dropped whole.
pub(crate) fn strip(extra: &[u8], drop: &[u16]) -> Vec<u8> {
    let Some(all) = fields(extra) else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(extra.len());
    for (id, data) in all {
        if !drop.contains(&id) {
            push(&mut out, id, data);
        }
    }
    out
}

/// Appends one extra field.
pub(crate) fn push(out: &mut Vec<u8>, id: u16, data: &[u8]) {
    out.extend_from_slice(&id.to_le_bytes());
    // Extra field data is at most 64 KiB by construction (it came from one,
    // or is a fixed-size field).
    out.extend_from_slice(&(data.len() as u16).to_le_bytes());
    out.extend_from_slice(data);
}

/// Replaces each of `size`, `compressed` and `offset` that holds the 32-bit
/// marker by the next 64-bit value of a zip64 field's `data`, in that order.
/// Returns false when the field is too short for the values it must hold.
pub(crate) fn apply_zip64(
    data: &[u8],
    size: &mut u64,
    compressed: &mut u64,
    offset: &mut u64,
) -> bool {
    let mut at = 0;
    for v in [size, compressed, offset] {
        if *v == MARK32 {
            if data.len() < at + 8 {
                return false;
            }
            *v = le64(data, at);
            at += 8;
        }
    }
    true
}

/// The modification time of an extended timestamp field's `data`, if it holds one.
pub(crate) fn ut_mtime(data: &[u8]) -> Option<i64> {
    (data.len() >= 5 && data[0] & 1 == 1).then(|| i64::from(le32(data, 1)))
}

/// The name an Info-ZIP Unicode path field's `data` gives for the stored
/// name `stored`, when the field is well-formed and was made for that name.
pub(crate) fn unicode_path<'a>(data: &'a [u8], stored: &[u8]) -> Option<&'a str> {
    if data.len() < 5 || data[0] != 1 || le32(data, 1) != crc32fast::hash(stored) {
        return None;
    }
    std::str::from_utf8(&data[5..]).ok()
}

/// The extra fields of a renamed entry: an Info-ZIP Unicode path field is
/// rewritten for the new name (its CRC covers the stored name).
pub(crate) fn renamed(extra: &[u8], new_name: &[u8], new_display: &str) -> Vec<u8> {
    let Some(all) = fields(extra) else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(extra.len());
    for (id, data) in all {
        if id == UNICODE_PATH_EXTRA {
            let mut field = Vec::with_capacity(5 + new_display.len());
            field.push(1);
            field.extend_from_slice(&crc32fast::hash(new_name).to_le_bytes());
            field.extend_from_slice(new_display.as_bytes());
            if field.len() <= usize::from(u16::MAX) {
                push(&mut out, id, &field);
            }
        } else {
            push(&mut out, id, data);
        }
    }
    out
}

/// Ids whose meaning the layer owns (rewritten on output, never copied).
pub(crate) const OWNED: [u16; 1] = [ZIP64_EXTRA];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_split_stripped_and_renamed() {
        let mut extra = Vec::new();
        push(&mut extra, UT_EXTRA, &[1, 2, 3, 4, 5]);
        push(&mut extra, ZIP64_EXTRA, &[0; 16]);
        push(&mut extra, 0x7875, &[1, 4, 0, 0, 0, 0, 4, 0, 0, 0, 0]);
        let all = fields(&extra).unwrap();
        assert_eq!(
            all.iter().map(|f| f.0).collect::<Vec<_>>(),
            [UT_EXTRA, 1, 0x7875]
        );
        assert_eq!(strip(&extra, &OWNED).len(), extra.len() - 20);
        assert!(fields(&[1, 0, 9, 0, 1]).is_none());
        assert!(strip(&[1, 0, 9, 0, 1], &[]).is_empty());
        assert_eq!(ut_mtime(&[1, 2, 3, 4, 5]), Some(0x0504_0302));
        assert_eq!(ut_mtime(&[0, 2, 3, 4, 5]), None);
    }

    #[test]
    fn zip64_values_replace_only_marked_fields() {
        let mut data = Vec::new();
        data.extend_from_slice(&(5u64 << 32).to_le_bytes());
        data.extend_from_slice(&(6u64 << 32).to_le_bytes());
        let (mut s, mut c, mut o) = (MARK32, 7, MARK32);
        assert!(apply_zip64(&data, &mut s, &mut c, &mut o));
        assert_eq!((s, c, o), (5 << 32, 7, 6 << 32));
        let (mut s, mut c, mut o) = (MARK32, MARK32, MARK32);
        assert!(
            !apply_zip64(&data, &mut s, &mut c, &mut o),
            "too short for three"
        );
    }

    #[test]
    fn a_unicode_path_counts_only_for_its_own_name() {
        let mut data = vec![1];
        data.extend_from_slice(&crc32fast::hash(b"M\x84rz").to_le_bytes());
        data.extend_from_slice("Märze".as_bytes());
        assert_eq!(unicode_path(&data, b"M\x84rz"), Some("Märze"));
        assert_eq!(unicode_path(&data, b"other"), None);
        let mut extra = Vec::new();
        push(&mut extra, UNICODE_PATH_EXTRA, &data);
        let moved = renamed(&extra, b"x", "x");
        let (_, field) = fields(&moved).unwrap()[0];
        assert_eq!(unicode_path(field, b"x"), Some("x"));
    }
}
