//! XML 1.0 character rules: which characters a document may contain, which may
//! start or continue a name, and what counts as white space.

/// True for code points XML 1.0 allows in a document (`Char` production).
pub(crate) fn is_xml_char(cp: u32) -> bool {
    matches!(cp, 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
}

/// True for the bytes that, raw, XML 1.0 forbids: C0 controls except tab, LF, CR.
#[inline]
pub(crate) fn is_forbidden_control(b: u8) -> bool {
    b < 0x20 && b != b'\t' && b != b'\n' && b != b'\r'
}

/// True for XML white space (`S` production).
#[inline]
pub(crate) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

const fn ascii_table(start: bool) -> [bool; 256] {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphabetic()
            || c == b':'
            || c == b'_'
            || (!start && (c.is_ascii_digit() || c == b'-' || c == b'.'));
        b += 1;
    }
    t
}

/// True for the ASCII bytes that may continue a name, as [`NAME_CHAR`] says,
/// written without branches so that a block of bytes is classified at once.
#[inline(always)]
pub(crate) fn is_ascii_name_byte(c: u8) -> bool {
    let lower = c | 0x20;
    (lower.wrapping_sub(b'a') < 26)
        | (c.wrapping_sub(b'0') < 11) // digits and ':'
        | (c == b'-')
        | (c == b'.')
        | (c == b'_')
}

/// ASCII bytes that may start a name (non-ASCII characters: [`is_name_start`]).
pub(crate) static NAME_START: [bool; 256] = ascii_table(true);
/// ASCII bytes that may continue a name (non-ASCII characters: [`is_name_char`]).
pub(crate) static NAME_CHAR: [bool; 256] = ascii_table(false);

/// XML 1.0 (fifth edition) `NameStartChar`.
pub(crate) fn is_name_start(c: char) -> bool {
    matches!(c as u32,
        0x3A | 0x41..=0x5A | 0x5F | 0x61..=0x7A | 0xC0..=0xD6 | 0xD8..=0xF6 | 0xF8..=0x2FF
        | 0x370..=0x37D | 0x37F..=0x1FFF | 0x200C..=0x200D | 0x2070..=0x218F
        | 0x2C00..=0x2FEF | 0x3001..=0xD7FF | 0xF900..=0xFDCF | 0xFDF0..=0xFFFD
        | 0x10000..=0xEFFFF)
}

/// XML 1.0 (fifth edition) `NameChar`.
pub(crate) fn is_name_char(c: char) -> bool {
    is_name_start(c)
        || matches!(c as u32, 0x2D | 0x2E | 0x30..=0x39 | 0xB7 | 0x300..=0x36F | 0x203F..=0x2040)
}

/// Decodes the character starting at `bytes[0]`, which must be valid UTF-8
/// (the sanitizer guarantees it for everything the scanner sees).
pub(crate) fn char_at(bytes: &[u8]) -> Option<(char, usize)> {
    let len = match bytes.first()? {
        b if *b < 0x80 => 1,
        b if *b >= 0xF0 => 4,
        b if *b >= 0xE0 => 3,
        _ => 2,
    };
    let s = std::str::from_utf8(bytes.get(..len)?).ok()?;
    s.chars().next().map(|c| (c, len))
}

/// How to show a character in a message: `'x'` for printable ASCII, `U+XXXX` otherwise.
pub(crate) fn describe_char(bytes: &[u8]) -> String {
    match char_at(bytes) {
        Some((c, _)) if c.is_ascii_graphic() => format!("'{c}'"),
        Some((c, _)) => format!("U+{:04X}", c as u32),
        None => "(end of input)".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_chars_are_the_char_production() {
        assert!(is_xml_char(0x9) && is_xml_char(0x1F600));
        assert!(!is_xml_char(0x1C) && !is_xml_char(0xFFFE) && !is_xml_char(0xD800));
    }

    #[test]
    fn forbidden_controls_are_exactly_the_c0_set_minus_tab_lf_cr() {
        let forbidden: Vec<u8> = (0u8..=0x7f).filter(|&b| is_forbidden_control(b)).collect();
        let expected: Vec<u8> = (0u8..0x20).filter(|b| ![9, 10, 13].contains(b)).collect();
        assert_eq!(forbidden, expected);
        for b in 0u8..0x20 {
            assert_eq!(is_forbidden_control(b), !is_xml_char(u32::from(b)));
        }
    }

    #[test]
    fn name_tables_agree_with_the_char_predicates_on_ascii() {
        for b in 0u8..0x80 {
            assert_eq!(NAME_START[b as usize], is_name_start(b as char), "{b}");
            assert_eq!(NAME_CHAR[b as usize], is_name_char(b as char), "{b}");
        }
        for b in 0u8..=0xFF {
            assert_eq!(is_ascii_name_byte(b), NAME_CHAR[b as usize], "{b}");
        }
    }

    #[test]
    fn describes_characters_for_messages() {
        assert_eq!(describe_char(b"<"), "'<'");
        assert_eq!(describe_char(&[0x1c]), "U+001C");
        assert_eq!(describe_char("é".as_bytes()), "U+00E9");
    }
}
