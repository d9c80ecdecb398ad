//! Entry names: how stored bytes decode (UTF-8 when flagged or valid, CP437
//! otherwise, the Info-ZIP Unicode path when it matches), and the one policy
//! `fix`, `check` and `split` apply to them: which names are kept, which
//! harmless ones are dropped with a note, and which are refused.

/// CP437 characters 0x80..=0xFF, the code page of zip names without the UTF-8 flag.
const CP437_HIGH: &str = "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u{a0}";

/// Decodes a stored name: UTF-8 when flagged (or when it is valid UTF-8 and
/// not plain CP437 text), CP437 otherwise.
pub(crate) fn decode(raw: &[u8], utf8_flag: bool) -> String {
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

/// What the policy says of one entry's name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// An ordinary name: the entry is kept.
    Keep,
    /// A directory entry for the archive's root itself (`/`, `./`): it holds
    /// nothing, Confluence writes one in its site backups, and importers
    /// ignore it. The entry is dropped and the report says so.
    DropRoot,
    /// A name no importer or unzip should act on; the reason says why.
    Refuse(&'static str),
}

/// Whether a directory entry of this decoded name stands for the archive's
/// root itself (`/`, `./`, `.\\`).
pub(crate) fn is_root(display: &str) -> bool {
    (display.ends_with('/') || display.ends_with('\\'))
        && display.bytes().all(|b| matches!(b, b'/' | b'\\' | b'.'))
        && display.split(['/', '\\']).all(|c| c.is_empty() || c == ".")
}

/// Judges an entry by its decoded name `display` and its stored bytes `raw`
/// (both are checked: a tool may read either). Backslashes count as
/// separators, as Windows tools write and read them.
pub(crate) fn judge(display: &str, raw: &[u8]) -> Verdict {
    let is_dir = raw.ends_with(b"/") || raw.ends_with(b"\\");
    if is_dir && display.split(['/', '\\']).all(|c| c.is_empty() || c == ".") {
        return Verdict::DropRoot;
    }
    if let Some(why) = unsafe_name(display) {
        return Verdict::Refuse(why);
    }
    if display.as_bytes() != raw
        && let Some(why) = unsafe_name(&String::from_utf8_lossy(raw))
    {
        return Verdict::Refuse(why);
    }
    Verdict::Keep
}

/// Why a name is unsafe to write or extract, if it is.
fn unsafe_name(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("it is empty");
    }
    let b = name.as_bytes();
    if memchr::memchr(0, b).is_some() {
        return Some("it contains a NUL character");
    }
    if name.starts_with('/') || name.starts_with('\\') {
        return Some("it is an absolute path");
    }
    if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
        return Some("it starts with a drive letter");
    }
    // Most names hold no "..": look for one before splitting.
    if memchr::memmem::find(b, b"..").is_some() && name.split(['/', '\\']).any(|c| c == "..") {
        return Some("it contains a '..' component");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(name: &str) -> Verdict {
        judge(name, name.as_bytes())
    }

    #[test]
    fn root_entries_are_dropped_and_unsafe_names_refused() {
        for keep in [
            "entities.xml",
            "data/attachments/A/1",
            "a..b/c",
            "attachments/",
            "./x",
        ] {
            assert_eq!(of(keep), Verdict::Keep, "{keep}");
        }
        for root in ["/", "./", "//", ".\\", "\\"] {
            assert_eq!(of(root), Verdict::DropRoot, "{root}");
        }
        for (bad, why) in [
            ("../etc/passwd", "'..'"),
            ("a/../../b", "'..'"),
            ("a\\..\\b", "'..'"),
            ("/etc/passwd", "absolute"),
            ("/abs/dir/", "absolute"),
            ("\\x", "absolute"),
            ("C:/x", "drive"),
            ("c:x", "drive"),
            ("", "empty"),
            ("a\0b", "NUL"),
        ] {
            match of(bad) {
                Verdict::Refuse(reason) => assert!(reason.contains(why), "{bad}: {reason}"),
                v => panic!("{bad:?} was {v:?}"),
            }
        }
        // The stored bytes count as much as the decoded name.
        assert!(matches!(judge("fine", b"/abs"), Verdict::Refuse(_)));
    }

    #[test]
    fn names_decode_as_utf8_or_cp437() {
        assert_eq!(decode(b"caf\xc3\xa9", true), "café");
        assert_eq!(decode(b"caf\xc3\xa9", false), "café");
        assert_eq!(decode(b"M\x84rz", false), "März");
        assert_eq!(decode(b"\xff", false), "\u{a0}");
    }
}
