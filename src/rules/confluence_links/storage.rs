//! Rewriting of storage-format page bodies, streaming: `<a href>` and bare
//! links to pages and attachments of the export become internal links,
//! links to other pages full URLs; only an unfinished tag or link is held.

use crate::report::ConfluenceLinkReport;
use crate::rules::confluence_links::page_index::PageIndex;
use crate::rules::confluence_links::resolve::{self, Target};
use crate::rules::urls::{LinkRewriter, UrlMapping};

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
        Some(resolve::target(
            self.maps[idx].from(),
            &url[prefix_end..],
            index,
            &mut self.report,
        ))
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
