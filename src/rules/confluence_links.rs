//! Confluence links that survive migration. Page ids change in the cloud and
//! short links (`/x/PywS`) stop working, so links in page bodies (storage
//! format) to pages and attachments of this export become internal links:
//!
//! ```text
//! <a href="http://wiki.corp/x/OYAB">notes</a>
//!   -> <ac:link><ri:page ri:space-key="ENG" ri:content-title="Release Notes"/><ac:link-body>notes</ac:link-body></ac:link>
//! ```
//!
//! Links to pages that are not in the export become full URLs on the old
//! server (`FROM/pages/viewpage.action?pageId=N`), which link remapping then
//! rewrites like any other link. The export's [`PageIndex`] comes from a first
//! pass; the rewriting streams over page bodies, holding back only an
//! unfinished tag or link.

use crate::report::ConfluenceLinkReport;
use crate::rules::fnv::FnvMap;
use crate::rules::objects::{Object, ObjectReader};
use crate::rules::urls::{LinkRewriter, UrlMapping};
use std::collections::HashSet;

/// Decodes a short-link code (`/x/<code>`) to a page id: `-` and `_` stand
/// for `/` and `+`, the code is right-padded with `A` to 11 characters, and
/// the Base64 decodes to the id as a little-endian 64-bit integer.
pub(crate) fn decode_short_code(code: &str) -> Option<u64> {
    if code.is_empty() || code.len() > 11 {
        return None;
    }
    let mut bits: u128 = 0;
    let mut n = 0;
    for c in code.bytes().chain(std::iter::repeat(b'A')).take(11) {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'/' => 63,
            b'_' | b'+' => 62,
            _ => return None,
        };
        bits = (bits << 6) | u128::from(v);
        n += 6;
    }
    // 66 bits: the last 2 are padding; the first 64 are 8 bytes, little-endian.
    let bytes = (bits >> (n - 64)) as u64;
    Some(u64::from_le_bytes(bytes.to_be_bytes()))
}

/// The short-link code of a page id (the inverse of [`decode_short_code`]).
#[cfg(test)]
pub(crate) fn encode_short_code(id: u64) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    let bits = u128::from(u64::from_be_bytes(id.to_le_bytes())) << 2;
    let mut code: String = (0..11)
        .rev()
        .map(|i| ALPHABET[((bits >> (i * 6)) & 63) as usize] as char)
        .collect();
    while code.ends_with('A') {
        code.pop();
    }
    code
}

/// What an export holds, for turning links into internal links.
#[derive(Debug, Default)]
pub(crate) struct PageIndex {
    spaces: FnvMap<u64, String>,
    /// Page id -> (space id, title); current versions only.
    pages: FnvMap<u64, (u64, String)>,
    /// (lower-case space key, title) -> page id.
    by_title: FnvMap<(String, String), u64>,
    /// (page id, file name) of attachments.
    attachments: HashSet<(u64, String)>,
    /// Body id -> the page (or other content) it belongs to.
    bodies: FnvMap<u64, u64>,
}

/// The classes the index reads.
pub(crate) const INDEX_CLASSES: &[&str] =
    &["Page", "BlogPost", "Space", "Attachment", "BodyContent"];

impl PageIndex {
    /// Notes one object from the first pass.
    pub(crate) fn add(&mut self, o: &Object) {
        let Some(id) = o.id_num() else {
            return;
        };
        match o.class.as_str() {
            "Space" => {
                if let Some(key) = o.prop("key") {
                    self.spaces.insert(id, key.to_string());
                }
            }
            "Page" | "BlogPost" => {
                let current = o.prop("originalVersionId").is_none()
                    && o.prop("originalVersion").is_none()
                    && o.prop("contentStatus").is_none_or(|s| s == "current");
                if let (true, Some(space), Some(title)) = (current, o.num("space"), o.prop("title"))
                {
                    self.pages.insert(id, (space, title.to_string()));
                }
            }
            "Attachment" => {
                let page = o.num("containerContent").or_else(|| o.num("content"));
                let file = o.prop("title").or_else(|| o.prop("fileName"));
                if let (Some(page), Some(file)) = (page, file) {
                    self.attachments.insert((page, file.to_string()));
                }
            }
            "BodyContent" => {
                if let Some(content) = o.num("content") {
                    self.bodies.insert(id, content);
                }
            }
            _ => {}
        }
    }

    /// Builds the title lookup once everything is read.
    pub(crate) fn finish(&mut self) {
        for (id, (space, title)) in &self.pages {
            if let Some(key) = self.spaces.get(space) {
                self.by_title
                    .insert((key.to_lowercase(), title.clone()), *id);
            }
        }
    }

    /// A page's space key and title.
    fn page(&self, id: u64) -> Option<(&str, &str)> {
        let (space, title) = self.pages.get(&id)?;
        Some((self.spaces.get(space)?.as_str(), title.as_str()))
    }

    /// The page (or other content) a body belongs to.
    pub(crate) fn body_page(&self, body: u64) -> Option<u64> {
        self.bodies.get(&body).copied()
    }

    fn find(&self, key: &str, title: &str) -> Option<u64> {
        self.by_title
            .get(&(key.to_lowercase(), title.to_string()))
            .copied()
    }
}

/// Reads the index in a first pass.
#[derive(Debug)]
pub(crate) struct IndexBuilder {
    reader: ObjectReader,
    pub(crate) index: PageIndex,
}

impl Default for IndexBuilder {
    fn default() -> Self {
        Self {
            reader: ObjectReader::new(INDEX_CLASSES, &["body"]),
            index: PageIndex::default(),
        }
    }
}

impl IndexBuilder {
    pub(crate) fn start_tag(&mut self, tag: &crate::xml::rules::StartTag<'_>, depth: usize) {
        self.reader.start_tag(tag, depth);
    }

    pub(crate) fn end_tag(&mut self, depth_after: usize) {
        if let Some(o) = self.reader.end_tag(depth_after) {
            self.index.add(&o);
        }
    }

    pub(crate) fn text(&mut self, piece: &[u8]) {
        self.reader.text(piece);
    }

    pub(crate) fn finish(mut self) -> PageIndex {
        self.index.finish();
        self.index
    }
}

/// Where a link points.
#[derive(Debug, PartialEq, Eq)]
enum Target {
    Page {
        id: u64,
        anchor: Option<String>,
    },
    Attachment {
        page: u64,
        file: String,
    },
    /// A page that is not in the export: the full URL to write instead.
    Url(String),
    Unknown,
}

fn percent_decode(s: &str, plus_is_space: bool) -> String {
    let b = s.as_bytes();
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' if plus_is_space => out.push(b' '),
            b'%' => {
                match (
                    b.get(i + 1).copied().and_then(hex),
                    b.get(i + 2).copied().and_then(hex),
                ) {
                    (Some(h), Some(l)) => {
                        out.push(h * 16 + l);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Escapes text for an attribute value (also `>`, so that no `]]>` can form).
fn escape_attr(s: &str, out: &mut Vec<u8>) {
    for c in s.bytes() {
        match c {
            b'&' => out.extend_from_slice(b"&amp;"),
            b'<' => out.extend_from_slice(b"&lt;"),
            b'>' => out.extend_from_slice(b"&gt;"),
            b'"' => out.extend_from_slice(b"&quot;"),
            _ => out.push(c),
        }
    }
}

/// Largest markup or link held back between pieces; beyond it, bytes pass unchanged.
const MAX_HELD: usize = 64 << 10;

/// Elements inside which bare URLs are left alone.
const NO_CONVERT: &[&[u8]] = &[
    b"a",
    b"ac:link",
    b"ac:parameter",
    b"ac:plain-text-body",
    b"ac:plain-text-link-body",
    b"code",
    b"pre",
];

/// Rewrites links in one storage-format page body, streaming.
pub(crate) struct StorageLinks {
    /// Matches old-server prefixes (a private copy: its counts are not reported).
    matcher: LinkRewriter,
    maps: Vec<UrlMapping>,
    pub(crate) report: ConfluenceLinkReport,
    keep: usize,
    /// Bytes held back: an unfinished tag or link.
    held: Vec<u8>,
    /// An `<a>` was converted: its `</a>` closes the `<ac:link>`.
    converting: bool,
    /// Depth of elements inside which bare URLs stay.
    no_convert: u32,
    /// Inside a storage-format CDATA section (code macros).
    in_cdata: bool,
    /// The page the body belongs to.
    page: Option<u64>,
}

impl StorageLinks {
    pub(crate) fn new(maps: Vec<UrlMapping>, keep: usize) -> Self {
        Self {
            matcher: LinkRewriter::new(maps.clone()),
            maps,
            report: ConfluenceLinkReport::default(),
            keep,
            held: Vec::new(),
            converting: false,
            no_convert: 0,
            in_cdata: false,
            page: None,
        }
    }

    /// A new body begins, belonging to `page`.
    pub(crate) fn start_body(&mut self, page: Option<u64>) {
        self.page = page;
        self.held.clear();
        self.converting = false;
        self.no_convert = 0;
        self.in_cdata = false;
    }

    /// Where an old-server URL points, or `None` if it is not one.
    fn resolve(&mut self, url: &str, index: &PageIndex) -> Option<Target> {
        let (prefix_end, idx) = self.matcher.prefix(url.as_bytes())?;
        let from = self.maps[idx].from().to_string();
        let rest = &url[prefix_end..];
        let (path, anchor) = match rest.split_once('#') {
            Some((p, a)) => (p, Some(percent_decode(a, false))),
            None => (rest, None),
        };
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        let page_target = |id: u64, anchor: Option<String>, index: &PageIndex| {
            if index.page(id).is_some() {
                Target::Page { id, anchor }
            } else {
                let mut u = format!("{from}/pages/viewpage.action?pageId={id}");
                if let Some(a) = &anchor {
                    u.push('#');
                    u.push_str(a);
                }
                Target::Url(u)
            }
        };
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        Some(match segments.as_slice() {
            ["x", code] => match decode_short_code(code) {
                Some(id) => {
                    self.report.short_links_expanded += 1;
                    page_target(id, anchor, index)
                }
                None => {
                    self.report.unknown_codes += 1;
                    Target::Unknown
                }
            },
            ["pages", "viewpage.action"] => {
                let id = query
                    .split('&')
                    .filter_map(|kv| kv.strip_prefix("amp;").or(Some(kv)))
                    .find_map(|kv| kv.strip_prefix("pageId="))
                    .and_then(|v| v.parse().ok());
                match id {
                    Some(id) => page_target(id, anchor, index),
                    None => Target::Unknown,
                }
            }
            ["display", key, title] => {
                let title = percent_decode(title, true);
                match index.find(&percent_decode(key, true), &title) {
                    Some(id) => Target::Page { id, anchor },
                    None => Target::Unknown,
                }
            }
            ["spaces", _, "pages", id, ..] => match id.parse() {
                Ok(id) => page_target(id, anchor, index),
                Err(_) => Target::Unknown,
            },
            ["download", "attachments", page, file] => {
                let file = percent_decode(file, false);
                match page.parse::<u64>() {
                    Ok(page) if index.attachments.contains(&(page, file.clone())) => {
                        Target::Attachment { page, file }
                    }
                    _ => Target::Unknown,
                }
            }
            _ => Target::Unknown,
        })
    }

    /// Writes the opening of an internal link for `target`.
    fn open_link(&self, target: &Target, index: &PageIndex, out: &mut Vec<u8>) {
        let page_ref = |id: u64, out: &mut Vec<u8>| {
            if let Some((key, title)) = index.page(id) {
                out.extend_from_slice(b"<ri:page ri:space-key=\"");
                escape_attr(key, out);
                out.extend_from_slice(b"\" ri:content-title=\"");
                escape_attr(title, out);
                out.extend_from_slice(b"\"/>");
            }
        };
        match target {
            Target::Page { id, anchor } => {
                out.extend_from_slice(b"<ac:link");
                if let Some(a) = anchor {
                    out.extend_from_slice(b" ac:anchor=\"");
                    escape_attr(a, out);
                    out.push(b'"');
                }
                out.push(b'>');
                page_ref(*id, out);
            }
            Target::Attachment { page, file } => {
                out.extend_from_slice(b"<ac:link><ri:attachment ri:filename=\"");
                escape_attr(file, out);
                out.extend_from_slice(b"\">");
                if Some(*page) != self.page {
                    page_ref(*page, out);
                }
                out.extend_from_slice(b"</ri:attachment>");
            }
            Target::Url(_) | Target::Unknown => {}
        }
    }

    fn counted(&mut self, target: &Target, written: &str, became: &[u8]) {
        match target {
            Target::Page { .. } => self.report.made_internal += 1,
            Target::Attachment { .. } => self.report.attachments_linked += 1,
            Target::Url(_) => self.report.left_as_urls += 1,
            Target::Unknown => return,
        }
        if self.report.examples.len() < self.keep {
            self.report.examples.push((
                self.page,
                written.to_string(),
                String::from_utf8_lossy(became).into_owned(),
            ));
        }
    }

    /// Processes a start or end tag `t` (whole, from `<` to `>`).
    fn tag(&mut self, t: &[u8], index: &PageIndex, out: &mut Vec<u8>) {
        if t.starts_with(b"</") {
            let name = t[2..t.len() - 1].trim_ascii();
            if name == b"a" && self.converting {
                self.converting = false;
                out.extend_from_slice(b"</ac:link-body></ac:link>");
                self.no_convert = self.no_convert.saturating_sub(1);
                return;
            }
            if NO_CONVERT.contains(&name) {
                self.no_convert = self.no_convert.saturating_sub(1);
            }
            out.extend_from_slice(t);
            return;
        }
        let name_end = t[1..]
            .iter()
            .position(|&c| c.is_ascii_whitespace() || c == b'/' || c == b'>')
            .map_or(t.len(), |p| p + 1);
        let name = &t[1..name_end];
        let self_closing = t.ends_with(b"/>");
        if name == b"a"
            && !self_closing
            && !self.converting
            && self.no_convert == 0
            && let Some(href) = attribute(t, b"href")
        {
            let url = crate::xml::rules::unescape(href.as_bytes());
            match self.resolve(&url, index) {
                Some(target @ (Target::Page { .. } | Target::Attachment { .. })) => {
                    let start = out.len();
                    self.open_link(&target, index, out);
                    out.extend_from_slice(b"<ac:link-body>");
                    self.converting = true;
                    self.no_convert += 1;
                    let became = out[start..].to_vec();
                    self.counted(&target, &url, &became);
                    return;
                }
                Some(Target::Url(u)) => {
                    let mut escaped = Vec::new();
                    escape_attr(&u, &mut escaped);
                    let rewritten = replace_attribute(t, b"href", &escaped);
                    self.counted(&Target::Url(u.clone()), &url, u.as_bytes());
                    out.extend_from_slice(&rewritten);
                    self.no_convert += 1;
                    return;
                }
                _ => {}
            }
        }
        if NO_CONVERT.contains(&name) && !self_closing {
            self.no_convert += 1;
        }
        out.extend_from_slice(t);
    }

    /// Text between tags: bare links to old-server pages become links.
    /// Returns how much of `t` was handled (the rest may be an unfinished link).
    fn text_run(&mut self, t: &[u8], last: bool, index: &PageIndex, out: &mut Vec<u8>) -> usize {
        if self.no_convert > 0 || self.converting {
            out.extend_from_slice(t);
            return t.len();
        }
        let mut emitted = 0;
        let mut search = 0;
        while let Some(d) = memchr::memmem::find(&t[search..], b"://") {
            let c = search + d;
            let start = if c >= 5 && t[c - 5..c].eq_ignore_ascii_case(b"https") {
                c - 5
            } else if c >= 4 && t[c - 4..c].eq_ignore_ascii_case(b"http") {
                c - 4
            } else {
                search = c + 3;
                continue;
            };
            let end = t[c..]
                .iter()
                .position(|&b| b.is_ascii_whitespace() || matches!(b, b'"' | b'\'' | b'<' | b'>'))
                .map(|p| c + p);
            let end = match end {
                Some(e) => e,
                None if last => t.len(),
                None => {
                    // The link may continue in the next piece.
                    out.extend_from_slice(&t[emitted..start]);
                    return start;
                }
            };
            // Punctuation after a bare link ends a sentence, not the link.
            let end = start
                + t[start..end]
                    .iter()
                    .rposition(|c| !matches!(c, b'.' | b',' | b';' | b':' | b'!' | b'?' | b')'))
                    .map_or(0, |p| p + 1);
            let raw = &t[start..end];
            let url = crate::xml::rules::unescape(raw);
            if start > 0 && t[start - 1].is_ascii_alphanumeric() {
                search = end;
                continue;
            }
            match self.resolve(&url, index) {
                Some(target @ (Target::Page { .. } | Target::Attachment { .. })) => {
                    out.extend_from_slice(&t[emitted..start]);
                    let at = out.len();
                    self.open_link(&target, index, out);
                    out.extend_from_slice(b"</ac:link>");
                    let became = out[at..].to_vec();
                    self.counted(&target, &url, &became);
                    emitted = end;
                }
                Some(Target::Url(u)) => {
                    out.extend_from_slice(&t[emitted..start]);
                    escape_attr(&u, out);
                    self.counted(&Target::Url(u.clone()), &url, u.as_bytes());
                    emitted = end;
                }
                _ => {}
            }
            search = end;
        }
        if !last {
            // A scheme whose "://" has not arrived yet starts in the last 7 bytes.
            let tail = t.len().saturating_sub(7).max(emitted);
            if let Some(p) = t[tail..].iter().position(|&x| x == b'h' || x == b'H') {
                out.extend_from_slice(&t[emitted..tail + p]);
                return tail + p;
            }
        }
        out.extend_from_slice(&t[emitted..]);
        t.len()
    }

    /// Processes `b` (held bytes and new input); returns how many were handled.
    fn process(&mut self, b: &[u8], last: bool, index: &PageIndex, out: &mut Vec<u8>) -> usize {
        let mut i = 0;
        while i < b.len() {
            if self.in_cdata {
                // Confluence writes a nested "]]>" as "]] >".
                match memchr::memmem::find(&b[i..], b"]] >") {
                    Some(d) => {
                        out.extend_from_slice(&b[i..i + d + 4]);
                        i += d + 4;
                        self.in_cdata = false;
                        continue;
                    }
                    None => {
                        let keep = if last { 0 } else { 3.min(b.len() - i) };
                        out.extend_from_slice(&b[i..b.len() - keep]);
                        return b.len() - keep;
                    }
                }
            }
            let next = memchr::memchr(b'<', &b[i..]).map_or(b.len(), |d| i + d);
            if next > i {
                let done = self.text_run(&b[i..next], last || next < b.len(), index, out);
                if done < next - i {
                    return i + done;
                }
                i = next;
                continue;
            }
            // A tag, a comment or CDATA: needs to be whole.
            if b[i..].starts_with(b"<![CDATA[") {
                out.extend_from_slice(b"<![CDATA[");
                i += 9;
                self.in_cdata = true;
                continue;
            }
            if !last && b.len() - i < 9 && b"<![CDATA[".starts_with(&b[i..]) {
                return i;
            }
            match tag_end(&b[i..]) {
                Some(n) => {
                    self.tag(&b[i..i + n], index, out);
                    i += n;
                }
                None if last || b.len() - i > MAX_HELD => {
                    out.extend_from_slice(&b[i..]);
                    return b.len();
                }
                None => return i,
            }
        }
        b.len()
    }

    /// A piece of the body; writes what is decided to `out`.
    pub(crate) fn text(&mut self, piece: &[u8], index: &PageIndex, out: &mut Vec<u8>) {
        let mut buf = std::mem::take(&mut self.held);
        buf.extend_from_slice(piece);
        let done = self.process(&buf, false, index, out);
        buf.drain(..done);
        if buf.len() > MAX_HELD {
            out.extend_from_slice(&buf);
            buf.clear();
        }
        self.held = buf;
    }

    /// The end of the body.
    pub(crate) fn text_end(&mut self, index: &PageIndex, out: &mut Vec<u8>) {
        let buf = std::mem::take(&mut self.held);
        self.process(&buf, true, index, out);
        if self.converting {
            // An <a> that never closed: close what was opened.
            out.extend_from_slice(b"</ac:link-body></ac:link>");
            self.converting = false;
        }
    }
}

/// Length of the tag at `b[0] == b'<'` up to and including its `>`, quotes respected.
fn tag_end(b: &[u8]) -> Option<usize> {
    let mut quote = 0u8;
    for (k, &c) in b.iter().enumerate().skip(1) {
        if quote != 0 {
            if c == quote {
                quote = 0;
            }
        } else if c == b'"' || c == b'\'' {
            quote = c;
        } else if c == b'>' {
            return Some(k + 1);
        }
    }
    None
}

/// The raw value of attribute `name` in tag `t`.
fn attribute<'a>(t: &'a [u8], name: &[u8]) -> Option<&'a str> {
    let (start, end) = attribute_range(t, name)?;
    std::str::from_utf8(&t[start..end]).ok()
}

fn attribute_range(t: &[u8], name: &[u8]) -> Option<(usize, usize)> {
    let mut k = 0;
    while let Some(d) = memchr::memmem::find(&t[k..], name) {
        let at = k + d;
        k = at + name.len();
        if !t
            .get(at.wrapping_sub(1))
            .is_some_and(|c| c.is_ascii_whitespace())
        {
            continue;
        }
        let mut j = k;
        while t.get(j).is_some_and(u8::is_ascii_whitespace) {
            j += 1;
        }
        if t.get(j) != Some(&b'=') {
            continue;
        }
        j += 1;
        while t.get(j).is_some_and(u8::is_ascii_whitespace) {
            j += 1;
        }
        let q = *t.get(j)?;
        if q != b'"' && q != b'\'' {
            continue;
        }
        let end = memchr::memchr(q, &t[j + 1..])?;
        return Some((j + 1, j + 1 + end));
    }
    None
}

fn replace_attribute(t: &[u8], name: &[u8], value: &[u8]) -> Vec<u8> {
    match attribute_range(t, name) {
        Some((s, e)) => [&t[..s], value, &t[e..]].concat(),
        None => t.to_vec(),
    }
}

/// Runs pieces through a [`StorageLinks`] (for tests).
#[cfg(test)]
fn rewrite_all(links: &mut StorageLinks, index: &PageIndex, pieces: &[&[u8]]) -> String {
    let mut out = Vec::new();
    for p in pieces {
        links.text(p, index, &mut out);
    }
    links.text_end(index, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_codes_decode_as_the_domain_notes_say() {
        assert_eq!(decode_short_code("2EkGOQ"), Some(956_713_432));
        assert_eq!(decode_short_code("OYAB"), Some(98_361));
        assert_eq!(encode_short_code(98_361), "OYAB");
        assert_eq!(encode_short_code(956_713_432), "2EkGOQ");
        for id in [1u64, 65_536, 98_361, 123_456_789, u64::from(u32::MAX) + 7] {
            assert_eq!(decode_short_code(&encode_short_code(id)), Some(id), "{id}");
        }
        assert_eq!(decode_short_code("not*valid"), None);
        assert_eq!(decode_short_code(""), None);
    }

    fn index() -> PageIndex {
        let mut ix = PageIndex::default();
        let obj = |class: &str, id: &str, props: &[(&str, &str)]| Object {
            class: class.into(),
            id: id.into(),
            props: props
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Object::default()
        };
        ix.add(&obj("Space", "1", &[("key", "ENG")]));
        ix.add(&obj(
            "Page",
            "98361",
            &[
                ("space", "1"),
                ("title", "Release Notes"),
                ("contentStatus", "current"),
            ],
        ));
        ix.add(&obj(
            "Page",
            "98362",
            &[("space", "1"), ("title", "A & B <x>")],
        ));
        ix.add(&obj(
            "Page",
            "7",
            &[
                ("space", "1"),
                ("title", "Release Notes"),
                ("originalVersionId", "98361"),
            ],
        ));
        ix.add(&obj(
            "Attachment",
            "5",
            &[("containerContent", "98361"), ("title", "plan v2.pdf")],
        ));
        ix.finish();
        ix
    }

    fn run(body: &str) -> (String, ConfluenceLinkReport) {
        let ix = index();
        let maps = vec![
            UrlMapping::parse("http://wiki.corp:8090=https://acme.atlassian.net/wiki").unwrap(),
        ];
        let mut links = StorageLinks::new(maps.clone(), 5);
        links.start_body(Some(98362));
        let whole = rewrite_all(&mut links, &ix, &[body.as_bytes()]);
        let report = links.report.clone();
        // Any split gives the same result.
        for size in [1, 2, 3, 5, 8, 13] {
            let mut again = StorageLinks::new(maps.clone(), 5);
            again.start_body(Some(98362));
            let pieces: Vec<&[u8]> = body.as_bytes().chunks(size).collect();
            assert_eq!(
                rewrite_all(&mut again, &ix, &pieces),
                whole,
                "pieces of {size}"
            );
        }
        (whole, report)
    }

    #[test]
    fn anchors_to_pages_in_the_export_become_internal_links() {
        let (out, r) =
            run("<p>See <a href=\"http://wiki.corp:8090/x/OYAB\">the <b>notes</b></a>.</p>");
        assert_eq!(
            out,
            "<p>See <ac:link><ri:page ri:space-key=\"ENG\" ri:content-title=\"Release Notes\"/><ac:link-body>the <b>notes</b></ac:link-body></ac:link>.</p>"
        );
        assert_eq!((r.short_links_expanded, r.made_internal), (1, 1));
        let (out, _) = run(
            "<a href=\"http://wiki.corp:8090/pages/viewpage.action?spaceKey=X&amp;pageId=98361#Known-issues\">x</a>",
        );
        assert_eq!(
            out,
            "<ac:link ac:anchor=\"Known-issues\"><ri:page ri:space-key=\"ENG\" ri:content-title=\"Release Notes\"/><ac:link-body>x</ac:link-body></ac:link>"
        );
        let (out, _) = run("<a href=\"https://WIKI.corp:8090/display/ENG/Release+Notes\">r</a>");
        assert!(
            out.starts_with(
                "<ac:link><ri:page ri:space-key=\"ENG\" ri:content-title=\"Release Notes\"/>"
            ),
            "{out}"
        );
        let (out, _) = run("<a href=\"http://wiki.corp:8090/spaces/ENG/pages/98362/A+B\">t</a>");
        assert!(
            out.contains("ri:content-title=\"A &amp; B &lt;x&gt;\""),
            "{out}"
        );
    }

    #[test]
    fn bare_links_become_links_and_unknown_pages_full_urls() {
        let (out, r) = run(
            "<p>go http://wiki.corp:8090/x/OYAB now, or http://wiki.corp:8090/x/2EkGOQ#top</p>",
        );
        assert_eq!(
            out,
            "<p>go <ac:link><ri:page ri:space-key=\"ENG\" ri:content-title=\"Release Notes\"/></ac:link> now, or http://wiki.corp:8090/pages/viewpage.action?pageId=956713432#top</p>"
        );
        assert_eq!(
            (r.made_internal, r.left_as_urls, r.short_links_expanded),
            (1, 1, 2)
        );
        let (out, r) = run("<a href=\"http://wiki.corp:8090/x/2EkGOQ\">gone</a>");
        assert_eq!(
            out,
            "<a href=\"http://wiki.corp:8090/pages/viewpage.action?pageId=956713432\">gone</a>"
        );
        assert_eq!(r.left_as_urls, 1);
    }

    #[test]
    fn attachment_links_name_the_page_only_when_it_is_another() {
        let (out, r) = run(
            "<a href=\"http://wiki.corp:8090/download/attachments/98361/plan%20v2.pdf?version=1\">plan</a>",
        );
        assert_eq!(
            out,
            "<ac:link><ri:attachment ri:filename=\"plan v2.pdf\"><ri:page ri:space-key=\"ENG\" ri:content-title=\"Release Notes\"/></ri:attachment><ac:link-body>plan</ac:link-body></ac:link>"
        );
        assert_eq!(r.attachments_linked, 1);
    }

    #[test]
    fn other_hosts_code_and_escaped_cdata_stay() {
        for body in [
            "<p>http://wiki.corp:8091/x/OYAB and http://other.corp/x/OYAB</p>",
            "<ac:structured-macro ac:name=\"code\"><ac:plain-text-body><![CDATA[curl http://wiki.corp:8090/x/OYAB]] ></ac:plain-text-body></ac:structured-macro>",
            "<p><code>http://wiki.corp:8090/x/OYAB</code></p>",
            "<p>http://wiki.corp:8090/x/not*code here</p>",
        ] {
            assert_eq!(run(body).0, body, "{body}");
        }
        let (out, r) = run("<p>http://wiki.corp:8090/x/!!</p>");
        assert_eq!(out, "<p>http://wiki.corp:8090/x/!!</p>");
        assert_eq!(r.unknown_codes, 1);
    }
}
