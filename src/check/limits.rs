//! `check`'s view of the cloud's size limits on Jira rows: text values over
//! 32,767 characters (attribute values and element text, by `Entity.field`)
//! and project keys over 10 characters.
//!
//! Cheap and bounded: an attribute's characters are counted only when its
//! bytes exceed the limit (fewer bytes cannot hold more characters), and
//! element text is counted piece by piece into one number per open element,
//! never kept.

use crate::check::memberships::Rows;
use crate::xml::rules::StartTag;
use std::collections::BTreeMap;

/// The most characters a cloud text field holds (descriptions, comments,
/// text custom fields): Atlassian's Jira Cloud migration guide, "text fields
/// hold at most 32,767 characters"; longer values are refused when edited.
pub(crate) const MAX_TEXT_CHARS: u64 = 32_767;

/// The longest project key the cloud allows: Atlassian's Jira Cloud
/// migration guide, "project keys at most 10 characters".
pub(crate) const MAX_PROJECT_KEY: usize = 10;

/// How many `Entity.field` names are told apart; the rest are counted as one.
const MAX_FIELDS: usize = 100;

/// The name under which fields past [`MAX_FIELDS`] are counted.
pub(crate) const OTHER_FIELDS: &str = "(other fields)";

/// An element open inside a row, and the characters of its text so far.
#[derive(Debug)]
struct Open {
    name: Vec<u8>,
    chars: u64,
    in_ref: bool,
}

/// The limits audit.
#[derive(Debug, Default)]
pub(crate) struct LimitsAudit {
    /// Values over [`MAX_TEXT_CHARS`], by `Entity.field`.
    pub(crate) long_texts: BTreeMap<String, Rows>,
    /// Projects whose key is over [`MAX_PROJECT_KEY`] characters.
    pub(crate) long_keys: Rows,
    /// The row being read: its entity name and id (buffers reused).
    row: Vec<u8>,
    row_id: Vec<u8>,
    /// Elements open inside the row.
    open: Vec<Open>,
}

/// Counts the characters of XML text: UTF-8 non-continuation bytes, a
/// reference such as `&amp;` counting as one when `escaped`. `in_ref` says
/// whether a reference is open, and carries it across pieces.
pub(crate) fn count_chars(piece: &[u8], escaped: bool, in_ref: &mut bool) -> u64 {
    let mut n = bytecount::num_chars(piece) as u64;
    if !escaped {
        return n;
    }
    let mut at = 0;
    loop {
        if *in_ref {
            match memchr::memchr(b';', &piece[at..]) {
                Some(k) => {
                    n = n.saturating_sub(k as u64 + 1);
                    at += k + 1;
                    *in_ref = false;
                }
                None => return n.saturating_sub((piece.len() - at) as u64),
            }
        }
        match memchr::memchr(b'&', &piece[at..]) {
            // The `&` stays, as the one character the reference stands for.
            Some(k) => {
                at += k + 1;
                *in_ref = true;
            }
            None => return n,
        }
    }
}

impl LimitsAudit {
    /// A Jira row (an element at depth 1).
    pub(crate) fn row(&mut self, tag: &StartTag<'_>) {
        self.open.clear();
        self.row.clear();
        self.row.extend_from_slice(tag.name());
        self.row_id.clear();
        if let Some(id) = tag.attr(b"id") {
            self.row_id.extend_from_slice(&id);
        }
        // A value has at most as many characters as bytes, so only a tag
        // longer than the limit can hold a value over it.
        if tag.raw.len() as u64 > MAX_TEXT_CHARS {
            for (name, range) in tag.attributes() {
                if range.len() as u64 > MAX_TEXT_CHARS {
                    let chars = count_chars(&tag.value(range), true, &mut false);
                    if chars > MAX_TEXT_CHARS {
                        let field = String::from_utf8_lossy(name).into_owned();
                        self.long_text(&field, chars);
                    }
                }
            }
        }
        if tag.name() == b"Project"
            && let Some((_, range)) = tag.attributes().find(|(n, _)| *n == b"key")
        {
            let key = crate::xml::rules::unescape(&tag.value(range));
            if key.chars().count() > MAX_PROJECT_KEY {
                let id = String::from_utf8_lossy(&self.row_id).into_owned();
                self.long_keys
                    .add_example(|| format!("Project id={id} key={key}"));
            }
        }
    }

    /// An element opening inside the current row.
    pub(crate) fn open(&mut self, name: &[u8]) {
        self.open.push(Open {
            name: name.to_vec(),
            chars: 0,
            in_ref: false,
        });
    }

    /// A piece of the innermost open element's text.
    pub(crate) fn text(&mut self, piece: &[u8], escaped: bool) {
        if let Some(o) = self.open.last_mut() {
            o.chars += count_chars(piece, escaped, &mut o.in_ref);
        }
    }

    /// The end of a text run (a CDATA section ends any reference).
    pub(crate) fn text_end(&mut self) {
        if let Some(o) = self.open.last_mut() {
            o.in_ref = false;
        }
    }

    /// The innermost open element closing.
    pub(crate) fn close(&mut self) {
        if let Some(o) = self.open.pop()
            && o.chars > MAX_TEXT_CHARS
        {
            let field = String::from_utf8_lossy(&o.name).into_owned();
            self.long_text(&field, o.chars);
        }
    }

    fn long_text(&mut self, field: &str, chars: u64) {
        let entity = String::from_utf8_lossy(&self.row);
        let mut key = format!("{entity}.{field}");
        if !self.long_texts.contains_key(&key) && self.long_texts.len() >= MAX_FIELDS {
            key = OTHER_FIELDS.to_string();
        }
        let id = String::from_utf8_lossy(&self.row_id).into_owned();
        self.long_texts
            .entry(key)
            .or_default()
            .add_example(|| format!("{entity} id={id} ({chars} characters)"));
    }
}

#[cfg(test)]
mod tests {
    use super::count_chars;

    #[test]
    fn characters_not_bytes_and_references_as_one() {
        assert_eq!(count_chars("é€😀a".as_bytes(), true, &mut false), 4);
        assert_eq!(count_chars(b"a &amp; b &#233;", true, &mut false), 7);
        assert_eq!(count_chars(b"&amp;", false, &mut false), 5);
        // A reference split across pieces.
        let mut open = false;
        let n = count_chars(b"x &am", true, &mut open) + count_chars(b"p; y", true, &mut open);
        assert_eq!(n, 5);
        assert!(!open);
    }
}
