//! Lexing of the bounded units of XML markup, each over one contiguous byte
//! slice: names, references, start tags, end tags, processing instructions,
//! the XML declaration; and resumable end-finders for units split across chunks.
//!
//! Every function reports `Incomplete` when the slice ends before the unit
//! does, and an error with the byte index where the unit is malformed.

use crate::bytescan;
use crate::chars::{
    NAME_CHAR, NAME_START, char_at, describe_char, is_ascii_name_byte, is_name_char, is_name_start,
    is_space, is_xml_char,
};
use crate::error::Malformed;
use memchr::memchr;
use std::ops::Range;

/// Why lexing stopped short.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    /// The slice ends before the unit does.
    Incomplete,
    /// The unit is malformed at this index.
    Bad(usize, Malformed),
}

fn unexpected(b: &[u8], at: usize, context: &'static str) -> Stop {
    Stop::Bad(
        at,
        Malformed::UnexpectedChar {
            ch: describe_char(&b[at..]),
            context,
        },
    )
}

/// Scans a name starting at `b[k]`; returns the index after it.
/// `context` names where a bad first character was found.
#[inline]
pub(crate) fn scan_name(b: &[u8], k: usize, context: &'static str) -> Result<usize, Stop> {
    let first = *b.get(k).ok_or(Stop::Incomplete)?;
    if first >= 0x80 || !NAME_START[first as usize] {
        return scan_name_slow(b, k, context);
    }
    match bytescan::find_from(b, k + 1, |c| !is_ascii_name_byte(c)) {
        Some(end) if b[end] < 0x80 => Ok(end),
        Some(end) => scan_name_rest(b, end),
        None => Err(Stop::Incomplete),
    }
}

/// [`scan_name`] when the first character is not an ASCII name start.
#[cold]
fn scan_name_slow(b: &[u8], k: usize, context: &'static str) -> Result<usize, Stop> {
    match char_at(&b[k..]) {
        Some((c, n)) if c as u32 >= 0x80 && is_name_start(c) => scan_name_rest(b, k + n),
        _ => Err(unexpected(b, k, context)),
    }
}

/// Continues a name at `b[k]`, allowing non-ASCII name characters.
#[cold]
fn scan_name_rest(b: &[u8], mut k: usize) -> Result<usize, Stop> {
    loop {
        while k < b.len() && b[k] < 0x80 && NAME_CHAR[b[k] as usize] {
            k += 1;
        }
        if k == b.len() {
            return Err(Stop::Incomplete);
        }
        if b[k] < 0x80 {
            return Ok(k);
        }
        match char_at(&b[k..]) {
            Some((c, n)) if is_name_char(c) => k += n,
            _ => return Ok(k),
        }
    }
}

/// The index of the first byte at or after `k` that is not XML white space.
#[inline(always)]
pub(crate) fn skip_space(b: &[u8], k: usize) -> usize {
    // White space is at most b' ': most calls see a name or quote at once.
    match b.get(k) {
        Some(&c) if c > b' ' => k,
        _ => skip_space_run(b, k),
    }
}

fn skip_space_run(b: &[u8], mut k: usize) -> usize {
    while k < b.len() && is_space(b[k]) {
        k += 1;
    }
    k
}

/// What a reference turned out to be.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Reference {
    /// A valid reference ending before this index.
    Valid(usize),
    /// A character reference to a forbidden code point, ending before `end`.
    /// Out-of-range numbers are reported as U+110000.
    Forbidden { end: usize, code_point: u32 },
}

/// Longest reference looked at before calling it malformed.
pub(crate) const MAX_REFERENCE: usize = 64;

/// The error for a malformed reference at `b[k]`, quoting what could be part of it.
fn bad_reference(b: &[u8], k: usize) -> Stop {
    let run = b[k + 1..]
        .iter()
        .take(16)
        .take_while(|&&c| c == b'#' || (c < 0x80 && NAME_CHAR[c as usize]))
        .count();
    let mut end = k + 1 + run;
    if b.get(end) == Some(&b';') {
        end += 1;
    }
    Stop::Bad(
        k,
        Malformed::BadReference(String::from_utf8_lossy(&b[k..end]).into_owned()),
    )
}

/// Lexes the reference at `b[k] == b'&'`. Undeclared entity names are errors
/// unless `any_entity` (the document has an internal DTD subset).
pub(crate) fn reference(b: &[u8], k: usize, any_entity: bool) -> Result<Reference, Stop> {
    let limit = (k + MAX_REFERENCE).min(b.len());
    let semi = memchr(b';', &b[k..limit]).map(|d| k + d);
    let Some(semi) = semi else {
        // A ';' may still come, unless something that cannot be in a
        // reference has been seen already.
        let body = &b[k + 1..limit];
        let plausible = body
            .iter()
            .all(|&c| c == b'#' || c >= 0x80 || NAME_CHAR[c as usize]);
        return if plausible && limit == b.len() && b.len() - k < MAX_REFERENCE {
            Err(Stop::Incomplete)
        } else {
            Err(bad_reference(b, k))
        };
    };
    let body = &b[k + 1..semi];
    if let Some(num) = body.strip_prefix(b"#") {
        let (digits, radix) = match num.strip_prefix(b"x") {
            Some(hex) => (hex, 16),
            None => (num, 10),
        };
        if digits.is_empty() {
            return Err(bad_reference(b, k));
        }
        let mut value: u32 = 0;
        for &d in digits {
            let v = match (d as char).to_digit(radix) {
                Some(v) => v,
                None => return Err(bad_reference(b, k)),
            };
            value = value.saturating_mul(radix).saturating_add(v).min(0x11_0000);
        }
        return Ok(if is_xml_char(value) {
            Reference::Valid(semi + 1)
        } else {
            Reference::Forbidden {
                end: semi + 1,
                code_point: value,
            }
        });
    }
    match scan_name(&b[..semi + 1], k + 1, "in an entity reference") {
        Ok(end) if end == semi => {}
        _ => return Err(bad_reference(b, k)),
    }
    if matches!(body, b"amp" | b"lt" | b"gt" | b"quot" | b"apos") || any_entity {
        Ok(Reference::Valid(semi + 1))
    } else {
        Err(Stop::Bad(
            k,
            Malformed::UndeclaredEntity(String::from_utf8_lossy(body).into_owned()),
        ))
    }
}

/// An attribute of a start tag: byte ranges of its name and raw value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AttrSpan {
    pub(crate) name: Range<usize>,
    pub(crate) value: Range<usize>,
}

/// A forbidden character reference found in an attribute value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RemovedRef {
    pub(crate) range: Range<usize>,
    pub(crate) code_point: u32,
}

/// A lexed start tag.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct StartTagEnd {
    /// Index after the closing `>`.
    pub(crate) end: usize,
    /// Index after the element name.
    pub(crate) name_end: usize,
    /// `<x/>`.
    pub(crate) empty: bool,
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Cheap 2-bit filter for duplicate attribute names: a name sets two of 128
/// bits chosen from its length and first and last bytes; only when both bits
/// were already set are the names compared.
#[inline(always)]
fn name_bits(name: &[u8]) -> u128 {
    let len = name.len() as u32;
    let first = u32::from(name[0]);
    let last = u32::from(name[name.len() - 1]);
    (1u128 << ((len * 7 + first) & 127)) | (1u128 << ((len * 3 + last * 5 + 64) & 127))
}

/// Index of the first byte in `b[k..]` that is the quote `q`, `&` or `<`.
///
/// Each quote has its own search, with constant bytes to compare against.
#[inline]
fn value_stop(b: &[u8], k: usize, q: u8) -> Option<usize> {
    if q == b'"' {
        bytescan::find_from(b, k, |c| (c == b'"') | (c == b'&') | (c == b'<'))
    } else {
        bytescan::find_from(b, k, |c| (c == b'\'') | (c == b'&') | (c == b'<'))
    }
}

/// The attribute names of recent start tags, by element name: rows of one
/// entity repeat the same names in the same order, so a name is usually
/// recognised by one comparison with the name the last such tag had at that
/// place, instead of a scan byte by byte. Only names a full scan accepted are
/// stored, and a stored name matches only when `=` follows it (not a name
/// character), so the result is what the scan would give.
#[derive(Debug, Default)]
pub(crate) struct NameCache {
    slots: Vec<Shape>,
    /// The slot of the element lexed last with stored names.
    recent: usize,
}

/// One element's attribute names, as the last start tag of it had them.
#[derive(Debug, Default)]
struct Shape {
    element: Vec<u8>,
    /// The element name as a pattern, to recognise it without a scan.
    element_pattern: ElementPattern,
    /// Each name followed by `=`, as a pattern of at most 16 bytes.
    names: Vec<NamePattern>,
}

/// `name=` as two masked words, compared without a loop. A name too long
/// for 16 bytes has `len == 0` and never matches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct NamePattern {
    words: [u64; 2],
    masks: [u64; 2],
    /// Length of the name (without the `=`).
    len: usize,
}

impl NamePattern {
    fn new(name: &[u8]) -> Self {
        let mut bytes = [0u8; 16];
        let mut mask = [0u8; 16];
        if name.len() >= 16 {
            return Self::default();
        }
        bytes[..name.len()].copy_from_slice(name);
        bytes[name.len()] = b'=';
        mask[..=name.len()].fill(0xFF);
        let word = |a: &[u8; 16], i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&a[i * 8..i * 8 + 8]);
            u64::from_le_bytes(w)
        };
        Self {
            words: [word(&bytes, 0), word(&bytes, 1)],
            masks: [word(&mask, 0), word(&mask, 1)],
            len: name.len(),
        }
    }

    /// [`NamePattern::new`] of the name at `b[start..start + len]`, read
    /// straight from the input when `=` follows it there and 16 bytes are
    /// at hand: words built byte by byte on the stack and read back whole
    /// stall the processor (a store cannot be forwarded to a wider load).
    #[inline]
    fn from_input(b: &[u8], start: usize, len: usize) -> Self {
        let n = len + 1;
        match b.get(start..start + 16) {
            Some(window) if n <= 16 && window[len] == b'=' => {
                let (lo, hi) = words16(window);
                let masks = [low_bytes_mask(n), low_bytes_mask(n.saturating_sub(8))];
                Self {
                    words: [lo & masks[0], hi & masks[1]],
                    masks,
                    len,
                }
            }
            _ => Self::new(&b[start..start + len]),
        }
    }

    /// The end of the name if `b[k..]` starts with `name=`.
    #[inline]
    fn matches(&self, b: &[u8], k: usize) -> Option<usize> {
        let (lo, hi) = words16(b.get(k..k + 16)?);
        let (lo, hi) = (lo & self.masks[0], hi & self.masks[1]);
        (self.len > 0 && lo == self.words[0] && hi == self.words[1]).then_some(k + self.len)
    }
}

/// The two little-endian words of a 16-byte window (or zeros for a shorter one).
#[inline(always)]
fn words16(window: &[u8]) -> (u64, u64) {
    match (
        window.first_chunk::<8>(),
        window.get(8..).and_then(|w| w.first_chunk::<8>()),
    ) {
        (Some(lo), Some(hi)) => (u64::from_le_bytes(*lo), u64::from_le_bytes(*hi)),
        _ => (0, 0),
    }
}

/// A word whose `n` low bytes (at most 8) are all ones.
#[inline(always)]
fn low_bytes_mask(n: usize) -> u64 {
    if n >= 8 {
        u64::MAX
    } else {
        (1u64 << (8 * n)) - 1
    }
}

/// An element name of at most 32 bytes as four masked words; a longer one
/// has `len == 0` and never matches.
#[derive(Clone, Copy, Debug, Default)]
struct ElementPattern {
    words: [u64; 4],
    masks: [u64; 4],
    len: usize,
}

impl ElementPattern {
    fn new(name: &[u8]) -> Self {
        if name.len() > 32 {
            return Self::default();
        }
        let mut bytes = [0u8; 32];
        let mut mask = [0u8; 32];
        bytes[..name.len()].copy_from_slice(name);
        mask[..name.len()].fill(0xFF);
        let word = |a: &[u8; 32], i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&a[i * 8..i * 8 + 8]);
            u64::from_le_bytes(w)
        };
        Self {
            words: std::array::from_fn(|i| word(&bytes, i)),
            masks: std::array::from_fn(|i| word(&mask, i)),
            len: name.len(),
        }
    }

    /// The end of the name if `b[k..]` starts with it, followed by white
    /// space, `>` or `/` (none of them a name character).
    #[inline]
    fn matches(&self, b: &[u8], k: usize) -> Option<usize> {
        let window = b.get(k..k + 33)?;
        let mut diff = 0;
        for i in 0..4 {
            let mut w = [0u8; 8];
            w.copy_from_slice(&window[i * 8..i * 8 + 8]);
            diff |= (u64::from_le_bytes(w) & self.masks[i]) ^ self.words[i];
        }
        let end = k + self.len;
        let after = window[self.len];
        (self.len > 0 && diff == 0 && (is_space(after) | (after == b'>') | (after == b'/')))
            .then_some(end)
    }
}

/// Slots of the [`NameCache`]: enough for the entities that interleave.
const NAME_CACHE_SLOTS: usize = 16;

impl NameCache {
    fn slot(element: &[u8]) -> usize {
        let first = element.first().copied().unwrap_or(0) as usize;
        let last = element.last().copied().unwrap_or(0) as usize;
        (element.len() * 7 + first * 3 + last) % NAME_CACHE_SLOTS
    }

    /// The names stored for `element`, if any.
    fn names(&self, element: &[u8]) -> Option<&Shape> {
        self.slots
            .get(Self::slot(element))
            .filter(|s| s.element == element)
    }

    /// Stores the names of a tag that lexed completely.
    fn store(&mut self, b: &[u8], element: &[u8], attrs: &[AttrSpan]) {
        if self.slots.is_empty() {
            self.slots.resize_with(NAME_CACHE_SLOTS, Shape::default);
        }
        self.recent = Self::slot(element);
        let shape = &mut self.slots[self.recent];
        shape.element.clear();
        shape.element.extend_from_slice(element);
        shape.element_pattern = ElementPattern::new(element);
        shape.names.clear();
        shape.names.extend(
            attrs
                .iter()
                .map(|a| NamePattern::from_input(b, a.name.start, a.name.len())),
        );
    }
}

impl Shape {
    /// The end of the `i`-th stored name if `b[k..]` starts with it and `=`.
    #[inline]
    fn matches(&self, i: usize, b: &[u8], k: usize) -> Option<usize> {
        self.names.get(i)?.matches(b, k)
    }
}

/// Lexes the start tag at `b[j] == b'<'`, filling `attrs` and `removed`;
/// `names` speeds up the attribute names and learns this tag's.
pub(crate) fn start_tag(
    b: &[u8],
    j: usize,
    any_entity: bool,
    attrs: &mut Vec<AttrSpan>,
    removed: &mut Vec<RemovedRef>,
    names: &mut NameCache,
) -> Result<StartTagEnd, Stop> {
    let (end, as_stored) = lex_start_tag(b, j, any_entity, attrs, removed, names)?;
    if as_stored {
        names.recent = NameCache::slot(&b[j + 1..end.name_end]);
    } else if !attrs.is_empty() {
        names.store(b, &b[j + 1..end.name_end], attrs);
    }
    Ok(end)
}

fn lex_start_tag(
    b: &[u8],
    j: usize,
    any_entity: bool,
    attrs: &mut Vec<AttrSpan>,
    removed: &mut Vec<RemovedRef>,
    names: &NameCache,
) -> Result<(StartTagEnd, bool), Stop> {
    attrs.clear();
    removed.clear();
    // Rows of one entity come together: most names are the last one's.
    let recent = names.slots.get(names.recent);
    let (name_end, known) = match recent.and_then(|s| s.element_pattern.matches(b, j + 1)) {
        Some(name_end) => (name_end, recent),
        None => {
            let name_end = scan_name(b, j + 1, "at the start of an element name")?;
            (name_end, names.names(&b[j + 1..name_end]))
        }
    };
    let mut k = name_end;
    let mut seen: u128 = 0;
    // While every name so far is the stored one at its place, the names are
    // distinct (they were checked when stored).
    let mut as_stored = known.is_some();
    loop {
        let after_value = k;
        // The usual case in rows of one entity: one space, then the name
        // the last such tag had at this place, and its '='.
        let fast = match known {
            Some(shape) if as_stored && b.get(k) == Some(&b' ') => {
                shape.matches(attrs.len(), b, k + 1)
            }
            _ => None,
        };
        let (an_start, an_end) = match fast {
            Some(an_end) => {
                let an_start = k + 1;
                k = skip_space(b, an_end + 1);
                (an_start, an_end)
            }
            None => {
                k = skip_space(b, k);
                let c = *b.get(k).ok_or(Stop::Incomplete)?;
                // All names were the stored ones, and as many.
                let same =
                    || as_stored && known.is_some_and(|shape| shape.names.len() == attrs.len());
                if c == b'>' {
                    let end = StartTagEnd {
                        end: k + 1,
                        name_end,
                        empty: false,
                    };
                    return Ok((end, same()));
                }
                if c == b'/' {
                    return match b.get(k + 1) {
                        None => Err(Stop::Incomplete),
                        Some(b'>') => {
                            let end = StartTagEnd {
                                end: k + 2,
                                name_end,
                                empty: true,
                            };
                            Ok((end, same()))
                        }
                        Some(_) => Err(unexpected(b, k + 1, "after '/' in a start tag")),
                    };
                }
                if k == after_value {
                    return Err(if attrs.is_empty() {
                        unexpected(b, k, "in an element name")
                    } else {
                        Stop::Bad(k, Malformed::MissingWhitespace(lossy(&b[j + 1..name_end])))
                    });
                }
                let an_start = k;
                let stored = match known {
                    Some(shape) if as_stored => shape.matches(attrs.len(), b, k),
                    _ => None,
                };
                let an_end = match stored {
                    Some(an_end) => {
                        k = skip_space(b, an_end + 1);
                        an_end
                    }
                    None => {
                        if as_stored {
                            // The names so far were distinct; from here on, check.
                            as_stored = false;
                            seen = attrs
                                .iter()
                                .fold(0, |bits, a| bits | name_bits(&b[a.name.clone()]));
                        }
                        k = scan_name(b, k, "in a start tag")?;
                        let an_end = k;
                        k = skip_space(b, k);
                        match b.get(k) {
                            None => return Err(Stop::Incomplete),
                            Some(b'=') => k = skip_space(b, k + 1),
                            Some(_) => {
                                return Err(Stop::Bad(
                                    k,
                                    Malformed::ExpectedEquals(lossy(&b[an_start..an_end])),
                                ));
                            }
                        }
                        an_end
                    }
                };
                (an_start, an_end)
            }
        };
        let q = *b.get(k).ok_or(Stop::Incomplete)?;
        if q != b'"' && q != b'\'' {
            return Err(Stop::Bad(
                k,
                Malformed::ExpectedQuote(lossy(&b[an_start..an_end])),
            ));
        }
        k += 1;
        let v_start = k;
        loop {
            k = value_stop(b, k, q).ok_or(Stop::Incomplete)?;
            match b[k] {
                c if c == q => break,
                b'<' => {
                    return Err(Stop::Bad(
                        k,
                        Malformed::LtInAttributeValue(lossy(&b[an_start..an_end])),
                    ));
                }
                _ => match reference(b, k, any_entity)? {
                    Reference::Valid(end) => k = end,
                    Reference::Forbidden { end, code_point } => {
                        removed.push(RemovedRef {
                            range: k..end,
                            code_point,
                        });
                        k = end;
                    }
                },
            }
        }
        if !as_stored {
            let name = &b[an_start..an_end];
            let bits = name_bits(name);
            if seen & bits == bits && attrs.iter().any(|a| &b[a.name.clone()] == name) {
                return Err(Stop::Bad(
                    an_start,
                    Malformed::DuplicateAttribute {
                        element: lossy(&b[j + 1..name_end]),
                        attr: lossy(name),
                    },
                ));
            }
            seen |= bits;
        }
        attrs.push(AttrSpan {
            name: an_start..an_end,
            value: v_start..k,
        });
        k += 1;
    }
}

/// Lexes the end tag at `b[j..]` (`</`); returns (index after `>`, name range).
pub(crate) fn end_tag(b: &[u8], j: usize) -> Result<(usize, Range<usize>), Stop> {
    let name_end = scan_name(b, j + 2, "at the start of an end tag's name")?;
    let k = skip_space(b, name_end);
    match b.get(k) {
        None => Err(Stop::Incomplete),
        Some(b'>') => Ok((k + 1, j + 2..name_end)),
        Some(_) => Err(unexpected(b, k, "in an end tag")),
    }
}

/// Lexes the processing instruction at `b[j..]` (`<?`); returns the index
/// after `?>` and the target's range.
pub(crate) fn processing_instruction(b: &[u8], j: usize) -> Result<(usize, Range<usize>), Stop> {
    let target_end = match scan_name(b, j + 2, "at the start of a processing instruction") {
        Err(Stop::Bad(at, _)) => {
            return Err(Stop::Bad(
                at,
                Malformed::ExpectedName("after '<?' (a processing instruction needs a target)"),
            ));
        }
        r => r?,
    };
    let target = j + 2..target_end;
    // After the target: white space, or the end `?>` right away.
    let after = *b.get(target_end).ok_or(Stop::Incomplete)?;
    if !is_space(after) {
        return match (after, b.get(target_end + 1)) {
            (b'?', None) => Err(Stop::Incomplete),
            (b'?', Some(b'>')) => Ok((target_end + 2, target)),
            _ => Err(unexpected(
                b,
                target_end,
                "after a processing instruction's target",
            )),
        };
    }
    let close = memchr::memmem::find(&b[target_end..], b"?>").ok_or(Stop::Incomplete)?;
    Ok((target_end + close + 2, target))
}

/// Checks the XML declaration `decl` (from `<?xml` to `?>` inclusive).
pub(crate) fn xml_declaration(decl: &[u8]) -> Result<(), Malformed> {
    let body = &decl[5..decl.len() - 2];
    let mut k = 0;
    let mut seen: Vec<&[u8]> = Vec::new();
    loop {
        let before = k;
        k = skip_space(body, k);
        if k == body.len() {
            break;
        }
        if k == before {
            return Err(Malformed::BadXmlDeclaration(
                "white space is required between its parts",
            ));
        }
        let name_end = k + body[k..]
            .iter()
            .take_while(|c| c.is_ascii_alphabetic())
            .count();
        let name = &body[k..name_end];
        k = skip_space(body, name_end);
        if body.get(k) != Some(&b'=') {
            return Err(Malformed::BadXmlDeclaration(
                "expected version=\"1.0\", encoding=\"...\" or standalone=\"yes|no\"",
            ));
        }
        k = skip_space(body, k + 1);
        let q = match body.get(k) {
            Some(&q @ (b'"' | b'\'')) => q,
            _ => return Err(Malformed::BadXmlDeclaration("values must be quoted")),
        };
        let v_len = memchr(q, &body[k + 1..])
            .ok_or(Malformed::BadXmlDeclaration("a quoted value is not closed"))?;
        let value = &body[k + 1..k + 1 + v_len];
        k += v_len + 2;
        let expected_next = match seen.last() {
            None => &[b"version".as_slice()][..],
            Some(&b"version") => &[b"encoding".as_slice(), b"standalone"][..],
            Some(&b"encoding") => &[b"standalone".as_slice()][..],
            Some(_) => &[][..],
        };
        if !expected_next.contains(&name) {
            return Err(Malformed::BadXmlDeclaration(if seen.is_empty() {
                "the version is required and must come first"
            } else {
                "parts must be version, encoding, standalone, in that order, once each"
            }));
        }
        let ok = match name {
            b"version" => value.starts_with(b"1.") && value.len() > 2,
            b"encoding" => value.first().is_some_and(u8::is_ascii_alphabetic),
            _ => value == b"yes" || value == b"no",
        };
        if !ok {
            return Err(Malformed::BadXmlDeclaration("a value is not allowed"));
        }
        seen.push(name);
    }
    if seen.is_empty() {
        return Err(Malformed::BadXmlDeclaration(
            "the version is required and must come first",
        ));
    }
    Ok(())
}

/// Resumable search for the `>` that ends a tag split across chunks.
///
/// Stops early (reporting the unit complete) at a `<`, which cannot appear in
/// a tag, so that a broken tag is reported where it breaks rather than after
/// the memory limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct TagEndFinder {
    /// The open quote, or 0.
    quote: u8,
    /// End tags have no quoted parts.
    end_tag: bool,
}

impl TagEndFinder {
    pub(crate) fn new(end_tag: bool) -> Self {
        Self { quote: 0, end_tag }
    }

    /// Index after the byte that completes the unit, if `b` contains it.
    ///
    /// Attribute values (most of a tag's bytes) and end tags are skipped
    /// with `memchr2`: a tag that forbidden characters split into many
    /// pieces is searched as fast as one that arrives whole.
    pub(crate) fn find(&mut self, b: &[u8]) -> Option<usize> {
        let mut k = 0;
        while k < b.len() {
            if self.quote != 0 {
                k += memchr::memchr2(self.quote, b'<', &b[k..])?;
                if b[k] == b'<' {
                    return Some(k + 1);
                }
                self.quote = 0;
            } else if self.end_tag {
                return memchr::memchr2(b'>', b'<', &b[k..]).map(|j| k + j + 1);
            } else {
                match b[k] {
                    b'>' | b'<' => return Some(k + 1),
                    c @ (b'"' | b'\'') => self.quote = c,
                    _ => {}
                }
            }
            k += 1;
        }
        None
    }
}

/// Resumable search for the end of a DOCTYPE declaration.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct DoctypeEndFinder {
    quote: u8,
    depth: u32,
    /// Whether an internal subset (`[...]`) was seen.
    pub(crate) internal_subset: bool,
}

impl DoctypeEndFinder {
    /// Index after the closing `>`, if `b` contains it.
    pub(crate) fn find(&mut self, b: &[u8]) -> Option<usize> {
        for (k, &c) in b.iter().enumerate() {
            if self.quote != 0 {
                if c == self.quote {
                    self.quote = 0;
                }
                continue;
            }
            match c {
                b'"' | b'\'' => self.quote = c,
                b'[' => {
                    self.depth += 1;
                    self.internal_subset = true;
                }
                b']' => self.depth = self.depth.saturating_sub(1),
                b'>' if self.depth == 0 => return Some(k + 1),
                _ => {}
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_pattern_read_from_the_input_is_the_one_built_from_the_name() {
        for len in 1..=17 {
            let name: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            for after in [
                &b"=\"v\" x=\"1\"/>"[..],
                b" = \"v\"/>",
                b"=",
                b"=\"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7",
            ] {
                let mut b = b"<R ".to_vec();
                b.extend_from_slice(&name);
                b.extend_from_slice(after);
                assert_eq!(
                    NamePattern::from_input(&b, 3, len as usize),
                    NamePattern::new(&name),
                    "{len} {:?}",
                    String::from_utf8_lossy(after)
                );
            }
        }
    }

    #[test]
    fn names_end_at_the_first_non_name_char_or_report_incomplete() {
        assert_eq!(scan_name(b"abc d", 0, ""), Ok(3));
        assert_eq!(scan_name("élan=".as_bytes(), 0, ""), Ok(5));
        assert_eq!(scan_name(b"abc", 0, ""), Err(Stop::Incomplete));
        assert!(matches!(scan_name(b"1abc", 0, ""), Err(Stop::Bad(0, _))));
    }

    /// The name's end by the definition: characters while they are name characters.
    fn name_end_by_definition(b: &[u8], k: usize) -> Result<usize, Stop> {
        let mut k = k;
        loop {
            match char_at(&b[k..]) {
                Some((c, n)) if is_name_char(c) => k += n,
                Some(_) => return Ok(k),
                None if k == b.len() => return Err(Stop::Incomplete),
                // A truncated character: not a name character.
                None => return Ok(k),
            }
        }
    }

    #[test]
    fn the_name_scan_agrees_with_the_definition_for_every_byte_and_place() {
        // Every byte value at every place up to 18, followed by name
        // characters, a multi-byte character, or the end.
        for tail in [&b"xyzxyzxyz="[..], "é=".as_bytes(), b""] {
            for at in 1..18 {
                for c in 0..=255u8 {
                    let mut b = vec![b'a'; at];
                    b.push(c);
                    b.extend_from_slice(tail);
                    let Ok(text) = std::str::from_utf8(&b) else {
                        continue;
                    };
                    let want = name_end_by_definition(text.as_bytes(), 1);
                    assert_eq!(scan_name(&b, 0, ""), want, "{text:?}");
                }
            }
        }
        for c in 0x80..=0x10FFFF_u32 {
            let Some(ch) = char::from_u32(c) else {
                continue;
            };
            // Every 97th code point, and each where name-ness changes.
            let prev = char::from_u32(c - 1).unwrap_or(ch);
            if c % 97 != 0 && is_name_char(ch) == is_name_char(prev) {
                continue;
            }
            let text = format!("abcde{ch}fghijk=");
            let want = name_end_by_definition(text.as_bytes(), 1);
            assert_eq!(scan_name(text.as_bytes(), 0, ""), want, "{text:?}");
        }
    }

    #[test]
    fn references_are_classified() {
        assert_eq!(reference(b"&amp;x", 0, false), Ok(Reference::Valid(5)));
        assert_eq!(reference(b"&#x9;", 0, false), Ok(Reference::Valid(5)));
        assert_eq!(reference(b"&#x1F600;", 0, false), Ok(Reference::Valid(9)));
        assert_eq!(
            reference(b"&#1;", 0, false),
            Ok(Reference::Forbidden {
                end: 4,
                code_point: 1
            })
        );
        assert_eq!(
            reference(b"&#55296;", 0, false),
            Ok(Reference::Forbidden {
                end: 8,
                code_point: 0xD800
            })
        );
        assert_eq!(
            reference(b"&#99999999999999;", 0, false),
            Ok(Reference::Forbidden {
                end: 17,
                code_point: 0x11_0000
            })
        );
        assert_eq!(reference(b"&am", 0, false), Err(Stop::Incomplete));
        assert!(matches!(
            reference(b"&#X1F;", 0, false),
            Err(Stop::Bad(0, _))
        ));
        assert!(matches!(
            reference(b"AT&T rocks;", 2, false),
            Err(Stop::Bad(2, _))
        ));
        assert!(matches!(
            reference(b"&nbsp;", 0, false),
            Err(Stop::Bad(0, Malformed::UndeclaredEntity(_)))
        ));
        assert_eq!(reference(b"&nbsp;", 0, true), Ok(Reference::Valid(6)));
    }

    #[test]
    fn start_tags_yield_attributes_and_forbidden_refs() {
        let mut attrs = Vec::new();
        let mut removed = Vec::new();
        let b = br#"<Issue id="1" summary='a&#1;b' x = "&lt;"/>tail"#;
        let end = start_tag(
            b,
            0,
            false,
            &mut attrs,
            &mut removed,
            &mut NameCache::default(),
        )
        .unwrap();
        assert_eq!(&b[..end.end], &b[..b.len() - 4]);
        assert!(end.empty);
        assert_eq!(attrs.len(), 3);
        assert_eq!(&b[attrs[1].value.clone()], b"a&#1;b");
        assert_eq!(removed.len(), 1);
        assert_eq!(&b[removed[0].range.clone()], b"&#1;");
    }

    /// Lexes `tag` after `before` with one name cache, and alone with a
    /// fresh one: the stored names must never change the outcome.
    fn lex_warm_and_cold(before: &[&[u8]], tag: &[u8]) -> (String, String) {
        let run = |tags: &[&[u8]]| {
            let (mut a, mut r, mut names) = (Vec::new(), Vec::new(), NameCache::default());
            let mut last = String::new();
            for t in tags {
                let got = start_tag(t, 0, false, &mut a, &mut r, &mut names);
                let spans: Vec<_> = a
                    .iter()
                    .map(|s| (s.name.clone(), s.value.clone()))
                    .collect();
                last = format!("{:?} {spans:?}", got.map(|e| (e.end, e.name_end, e.empty)));
            }
            last
        };
        let mut warm: Vec<&[u8]> = before.to_vec();
        warm.push(tag);
        (run(&warm), run(&[tag]))
    }

    #[test]
    fn stored_names_never_change_what_a_tag_lexes_to() {
        let row: &[u8] = br#"<Issue id="1" summary="s" created="2014-01-01 00:00:00.0" x="1"/>"#;
        for tag in [
            // The same names: recognised from the store.
            &br#"<Issue id="2" summary="t" created="2014-01-02 00:00:00.0" x="2"/>"#[..],
            // A duplicate of a stored name, after stored names.
            br#"<Issue id="2" summary="t" id="3"/>"#,
            br#"<Issue id="2" summary="t" created="c" x="2" summary="u"/>"#,
            // Longer names that start with a stored one, or other spacing.
            br#"<Issue idx="2" summaryx="t" id="1"/>"#,
            br#"<Issue id = "2" summary="t"/>"#,
            br#"<Issue id="2"summary="t"/>"#,
            // Fewer, more and other names; a tag ending early (no 16 bytes left).
            br#"<Issue id="2"/>"#,
            br#"<Issue id="2" summary="t" created="c" x="2" y="3"/>"#,
            br#"<Issue summary="t" id="2"/>"#,
            br#"<Issue id="2" su"#,
            br#"<Issue id="2" summary="t" created="c" x="2"#,
        ] {
            let (warm, cold) = lex_warm_and_cold(&[row], tag);
            assert_eq!(warm, cold, "{}", String::from_utf8_lossy(tag));
        }
        // A name of 16 bytes or more is never stored as a pattern.
        let long: &[u8] = br#"<a averyveryverylongname="1" b="2"/>"#;
        let dup: &[u8] = br#"<a averyveryverylongname="1" averyveryverylongname="2"/>"#;
        let (warm, cold) = lex_warm_and_cold(&[long], dup);
        assert_eq!(warm, cold);
        assert!(warm.contains("DuplicateAttribute"), "{warm}");
    }

    proptest::proptest! {
        #[test]
        fn stored_names_agree_with_a_fresh_scan(
            names in proptest::collection::vec("[a-d]{1,3}", 1..6),
            others in proptest::collection::vec("[a-d]{1,3}", 1..6),
            spaces in "[ \t]{1,2}",
        ) {
            let tag = |names: &[String]| {
                let mut t = String::from("<e");
                for n in names {
                    t.push_str(&spaces);
                    t.push_str(n);
                    t.push_str("=\"v\"");
                }
                t.push_str("/>");
                t
            };
            let (first, second) = (tag(&names), tag(&others));
            let (warm, cold) = lex_warm_and_cold(&[first.as_bytes()], second.as_bytes());
            proptest::prop_assert_eq!(warm, cold);
        }
    }

    /// Lexes `tag` with `names`; the outcome and the spans, as text.
    fn lex_outcome(tag: &[u8], names: &mut NameCache) -> String {
        let (mut a, mut r) = (Vec::new(), Vec::new());
        let got = start_tag(tag, 0, false, &mut a, &mut r, names);
        let spans: Vec<_> = a
            .iter()
            .map(|s| (s.name.clone(), s.value.clone()))
            .collect();
        let refs: Vec<_> = r.iter().map(|x| (x.range.clone(), x.code_point)).collect();
        format!(
            "{:?} {spans:?} {refs:?}",
            got.map(|e| (e.end, e.name_end, e.empty))
        )
    }

    /// Pieces that tags are made of, malformed ones included.
    const TAG_PIECES: &[&str] = &[
        " ",
        "  ",
        "\t",
        "\n",
        "id",
        "summary",
        "created",
        "x",
        "é",
        "1",
        "=",
        "\"",
        "'",
        "<",
        ">",
        "/",
        "/>",
        "&amp;",
        "&#1;",
        "&#x1F600;",
        "&",
        "&nbsp;",
        ";",
        "v a",
        "\u{80}",
        // The stored names with what follows them, so that rows are common.
        " id=\"1\"",
        " summary=",
        " created=",
        " x=",
        " id= ",
        "\"v\"",
        "'v'",
        "\"2014-01-01 00:00:00.0\"",
    ];

    proptest::proptest! {
        /// Any tag (well-formed or not) after a row whose names are stored
        /// lexes as it does alone with nothing stored, and every prefix of it
        /// that ends on a character boundary lexes to "incomplete" or to what
        /// the whole tag does.
        #[test]
        fn any_tag_lexes_the_same_warm_cold_and_cut(
            pieces in proptest::collection::vec(proptest::sample::select(TAG_PIECES), 0..40),
            row in 0usize..3,
        ) {
            let rows: [&[u8]; 3] = [
                br#"<Issue id="1" summary="s" created="2014-01-01 00:00:00.0" x="1"/>"#,
                br#"<Issue id="1" summary='s'>"#,
                br#"<Issue x="&amp;" id="" summary="a&#1;b"/>"#,
            ];
            let mut tag = String::from("<Issue");
            for p in &pieces {
                tag.push_str(p);
            }
            let text = tag.as_str();
            let tag = tag.as_bytes();
            let mut warm = NameCache::default();
            lex_outcome(rows[row], &mut warm);
            let whole = lex_outcome(tag, &mut warm);
            proptest::prop_assert_eq!(&whole, &lex_outcome(tag, &mut NameCache::default()));
            // The scanner is given whole characters only.
            for cut in (1..tag.len()).filter(|&cut| text.is_char_boundary(cut)) {
                let mut names = NameCache::default();
                lex_outcome(rows[row], &mut names);
                let part = lex_outcome(&tag[..cut], &mut names);
                proptest::prop_assert!(
                    part.starts_with("Err(Incomplete)") || part == whole,
                    "{} cut at {}: {} / {}", String::from_utf8_lossy(tag), cut, part, whole
                );
            }
        }
    }

    #[test]
    fn start_tag_errors_point_at_the_fault() {
        let mut a = Vec::new();
        let mut r = Vec::new();
        let mut names = NameCache::default();
        let mut lex = |s: &[u8]| start_tag(s, 0, false, &mut a, &mut r, &mut names);
        assert!(matches!(
            lex(br#"<a x="1" x="2">"#),
            Err(Stop::Bad(9, Malformed::DuplicateAttribute { .. }))
        ));
        assert!(matches!(
            lex(br#"<a x="1"y="2">"#),
            Err(Stop::Bad(8, Malformed::MissingWhitespace(_)))
        ));
        assert!(matches!(
            lex(br#"<a x="<">"#),
            Err(Stop::Bad(6, Malformed::LtInAttributeValue(_)))
        ));
        assert!(matches!(
            lex(br#"<a x=1>"#),
            Err(Stop::Bad(5, Malformed::ExpectedQuote(_)))
        ));
        assert!(matches!(
            lex(br#"<a x>"#),
            Err(Stop::Bad(4, Malformed::ExpectedEquals(_)))
        ));
        assert_eq!(lex(br#"<a x="1"#), Err(Stop::Incomplete));
    }

    #[test]
    fn declarations_are_checked() {
        assert!(xml_declaration(br#"<?xml version="1.0" encoding="UTF-8"?>"#).is_ok());
        assert!(xml_declaration(br#"<?xml version='1.0' standalone='yes' ?>"#).is_ok());
        assert!(xml_declaration(br#"<?xml encoding="UTF-8"?>"#).is_err());
        assert!(xml_declaration(br#"<?xml version="1.0"encoding="UTF-8"?>"#).is_err());
        assert!(xml_declaration(br#"<?xml version="1.0" standalone="maybe"?>"#).is_err());
    }

    #[test]
    fn end_finders_resume_across_pieces() {
        let mut f = TagEndFinder::new(false);
        assert_eq!(f.find(br#"a x="1>"#), None);
        assert_eq!(f.find(br#"2" y='>'"#), None);
        assert_eq!(f.find(b" />rest"), Some(3));
        // A `<` ends it early, quoted or not; end tags have no quotes.
        let mut f = TagEndFinder::new(false);
        assert_eq!(f.find(br#"a x="1"#), None);
        assert_eq!(f.find(br#"2<"#), Some(2));
        let mut f = TagEndFinder::new(true);
        assert_eq!(f.find(br#"a "x"#), None);
        assert_eq!(f.find(br#"">"#), Some(2));
        let mut f = TagEndFinder::new(false);
        assert_eq!(f.find(b""), None);
        assert_eq!(f.find(b"'"), None);
        assert_eq!(f.find(b"'>"), Some(2));
        let mut d = DoctypeEndFinder::default();
        assert_eq!(d.find(b"<!DOCTYPE a [ <!ENTITY e \">\"> "), None);
        assert_eq!(d.find(b"]>x"), Some(2));
        assert!(d.internal_subset);
    }
}
