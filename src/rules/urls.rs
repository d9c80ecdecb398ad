//! Link remapping: `--map-url FROM=TO` parsing and the matcher that rewrites
//! links to the old server wherever they appear (attribute values, text,
//! CDATA, comments), streaming across input pieces.
//!
//! Matching: FROM is scheme + host + optional port + optional path prefix.
//! `http` and `https` match alike; the host matches case-insensitively; a port
//! matches only itself (`:80` for http and `:443` for https equal no port);
//! the path prefix matches exactly and only at a segment boundary. Never
//! rewritten: another port on the same host, a longer host, a longer path
//! segment, a match preceded by a letter, digit, `.`, `+` or `-`.
//!
//! The search looks for `://` and then decides by host, so any number of
//! mappings costs about the same as one.

use crate::error::Error;
use crate::report::{LinkReport, MappingCount};
use crate::rules::fnv::FnvMap;
use crate::sink::Sink;

/// Longest host name looked at; longer runs are not links (which bounds what
/// is held back between pieces).
const MAX_HOST: usize = 255;

/// At most this many distinct unmapped hosts are listed in the report.
const MAX_OTHER_HOSTS: usize = 200;

/// One `FROM=TO` link mapping.
///
/// ```
/// use backup_fix::UrlMapping;
/// let m = UrlMapping::parse("http://jira.corp:8080/jira=https://acme.atlassian.net")?;
/// assert_eq!(m.from(), "http://jira.corp:8080/jira");
/// assert_eq!(m.to(), "https://acme.atlassian.net");
/// # Ok::<(), backup_fix::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UrlMapping {
    from_text: String,
    host: String,
    port: Option<u16>,
    path: String,
    to: String,
}

/// A parsed `scheme://host[:port][/path]`.
struct Endpoint {
    https: bool,
    host: String,
    port: Option<u16>,
    path: String,
}

/// Letters, digits, `.` and `-`: written without branches, so that a block
/// of bytes is classified at once.
#[inline(always)]
fn is_host_byte(b: u8) -> bool {
    ((b | 0x20).wrapping_sub(b'a') < 26) | (b.wrapping_sub(b'0') < 10) | (b == b'.') | (b == b'-')
}

fn bad_mapping(spec: &str, why: &str) -> Error {
    Error::BadUrlMapping {
        spec: spec.to_string(),
        why: why.to_string(),
    }
}

fn parse_endpoint(spec: &str, url: &str) -> Result<Endpoint, Error> {
    let lower = url.to_ascii_lowercase();
    let (https, rest) = if let Some(r) = lower.strip_prefix("https://") {
        (true, &url[url.len() - r.len()..])
    } else if let Some(r) = lower.strip_prefix("http://") {
        (false, &url[url.len() - r.len()..])
    } else {
        return Err(bad_mapping(
            spec,
            "URLs must start with http:// or https://",
        ));
    };
    let host_end = rest
        .bytes()
        .position(|b| !is_host_byte(b))
        .unwrap_or(rest.len());
    let host = rest[..host_end].to_ascii_lowercase();
    if host.is_empty() || host.starts_with(['.', '-']) || host.ends_with(['.', '-']) {
        return Err(bad_mapping(
            spec,
            "a host name is required after the scheme",
        ));
    }
    let mut rest = &rest[host_end..];
    let mut port = None;
    if let Some(r) = rest.strip_prefix(':') {
        let end = r
            .bytes()
            .position(|b| !b.is_ascii_digit())
            .unwrap_or(r.len());
        let p: u16 = r[..end]
            .parse()
            .map_err(|_| bad_mapping(spec, "the port must be a number from 1 to 65535"))?;
        let default = if https { 443 } else { 80 };
        port = (p != default).then_some(p);
        rest = &r[end..];
    }
    if !rest.is_empty() && !rest.starts_with('/') {
        return Err(bad_mapping(
            spec,
            "after the host and port only a path starting with / may follow",
        ));
    }
    if rest.contains(['?', '#']) {
        return Err(bad_mapping(
            spec,
            "a query (?) or fragment (#) cannot be part of a mapping",
        ));
    }
    Ok(Endpoint {
        https,
        host,
        port,
        path: rest.trim_end_matches('/').to_string(),
    })
}

impl UrlMapping {
    /// Parses `FROM=TO`.
    pub fn parse(spec: &str) -> Result<Self, Error> {
        let (from, to) = spec.split_once('=').ok_or_else(|| {
            bad_mapping(
                spec,
                "expected FROM=TO, e.g. http://jira.corp:8080=https://acme.atlassian.net",
            )
        })?;
        Self::new(from, to).map_err(|e| match e {
            Error::BadUrlMapping { why, .. } => bad_mapping(spec, &why),
            e => e,
        })
    }

    /// A mapping from the old server's URL `from` to the new site's URL `to`.
    pub fn new(from: &str, to: &str) -> Result<Self, Error> {
        let spec = format!("{from}={to}");
        let f = parse_endpoint(&spec, from.trim())?;
        let to = to.trim().trim_end_matches('/');
        parse_endpoint(&spec, to)?;
        if to.bytes().any(|b| {
            b.is_ascii_whitespace()
                || b.is_ascii_control()
                || matches!(b, b'"' | b'\'' | b'<' | b'>' | b'&' | b']' | b'\\')
                || b >= 0x80
        }) || to.contains("--")
            || to.ends_with('-')
        {
            return Err(bad_mapping(
                &spec,
                "TO must be a plain URL (no spaces, quotes, <, >, &, ], \\, --, or non-ASCII characters)",
            ));
        }
        let scheme = if f.https { "https" } else { "http" };
        let port = f.port.map(|p| format!(":{p}")).unwrap_or_default();
        Ok(Self {
            from_text: format!("{scheme}://{}{port}{}", f.host, f.path),
            host: f.host,
            port: f.port,
            path: f.path,
            to: to.to_string(),
        })
    }

    /// FROM, normalised (lower-case host, default port and trailing `/` dropped).
    pub fn from(&self) -> &str {
        &self.from_text
    }

    /// TO, as given (trailing `/` dropped).
    pub fn to(&self) -> &str {
        &self.to
    }
}

/// The outcome of looking at one `://`.
enum Decision {
    /// Not enough bytes to decide; the candidate starts here.
    NeedMore(usize),
    /// Replace `start..end` with mapping `idx`'s TO.
    Replace {
        start: usize,
        end: usize,
        idx: usize,
    },
    /// Nothing to do; continue after this index.
    Skip(usize),
}

/// Unmapped hosts looked at before the map.
const RECENT_OTHERS: usize = 4;

/// Rewrites links to the old servers.
pub(crate) struct LinkRewriter {
    maps: Vec<UrlMapping>,
    /// (lower-case host, range of `order` holding its mappings, longest FROM first).
    hosts: Vec<(Vec<u8>, usize, usize)>,
    order: Vec<usize>,
    counts: Vec<u64>,
    /// Unmapped hosts (lower case, with port), each with its place in `other_counts`.
    other_hosts: FnvMap<Vec<u8>, usize>,
    other_counts: Vec<u64>,
    other_hosts_truncated: bool,
    /// Bytes held back from the end of the previous piece of the current node.
    carry: Vec<u8>,
    /// The byte before `carry` (or before the next piece), within the node.
    prev: Option<u8>,
    scratch: Vec<u8>,
    host: Vec<u8>,
    /// The unmapped hosts counted last (lower case, most recent first) with
    /// their place in `other_counts`: links to a few hosts alternate.
    recent_others: Vec<(Vec<u8>, usize)>,
}

/// Where the first `://` at or after `from` in `b` is.
pub(crate) fn scheme_separator_from(b: &[u8], from: usize) -> Option<usize> {
    let rest = b.get(from..)?;
    scheme_separator().find(rest).map(|k| from + k)
}

/// The searcher for `://`, built once.
fn scheme_separator() -> &'static memchr::memmem::Finder<'static> {
    static FINDER: std::sync::OnceLock<memchr::memmem::Finder<'static>> =
        std::sync::OnceLock::new();
    FINDER.get_or_init(|| memchr::memmem::Finder::new(b"://"))
}

/// Whether `a` and `b` are equal ignoring ASCII case: byte for byte first
/// (links are mostly written in lower case), then case-insensitively.
#[inline(always)]
fn same_ignoring_case(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && (a == b || a.eq_ignore_ascii_case(b))
}

/// Whether the 4 bytes before `c` in `b` are `http` in any case: setting
/// bit 0x20 maps exactly `H`, `T`, `P` to `h`, `t`, `p` and no other byte.
#[inline(always)]
fn http_before(b: &[u8], c: usize) -> bool {
    c.checked_sub(4)
        .and_then(|s| b.get(s..c))
        .and_then(|w| w.first_chunk::<4>())
        .is_some_and(|w| u32::from_le_bytes(*w) | 0x2020_2020 == u32::from_le_bytes(*b"http"))
}

fn preceded_ok(b: Option<u8>) -> bool {
    !matches!(b, Some(c) if c.is_ascii_alphanumeric() || c == b'.' || c == b'+' || c == b'-')
}

fn boundary(b: u8) -> bool {
    matches!(
        b,
        b'/' | b'?' | b'#' | b'"' | b'\'' | b'<' | b'>' | b'&' | b']' | b')'
    ) || b.is_ascii_whitespace()
}

impl LinkRewriter {
    pub(crate) fn new(maps: Vec<UrlMapping>) -> Self {
        let mut order: Vec<usize> = (0..maps.len()).collect();
        // Grouped by host; within a host, the longest FROM first, so it wins.
        order.sort_by(|&a, &b| {
            maps[a]
                .host
                .cmp(&maps[b].host)
                .then(maps[b].path.len().cmp(&maps[a].path.len()))
        });
        let mut hosts: Vec<(Vec<u8>, usize, usize)> = Vec::new();
        for (k, &i) in order.iter().enumerate() {
            let host = maps[i].host.as_bytes();
            match hosts.last_mut() {
                Some(last) if last.0 == host => last.2 = k + 1,
                _ => hosts.push((host.to_vec(), k, k + 1)),
            }
        }
        Self {
            counts: vec![0; maps.len()],
            maps,
            hosts,
            order,
            other_hosts: FnvMap::default(),
            other_counts: Vec::new(),
            other_hosts_truncated: false,
            carry: Vec::new(),
            prev: None,
            scratch: Vec::new(),
            host: Vec::new(),
            recent_others: Vec::new(),
        }
    }

    /// Adds a mapping (for `--cloud-url`, once the backup's base URL is known).
    pub(crate) fn add(&mut self, m: UrlMapping) {
        let mut maps = std::mem::take(&mut self.maps);
        let counts = std::mem::take(&mut self.counts);
        let others = std::mem::take(&mut self.other_hosts);
        let other_counts = std::mem::take(&mut self.other_counts);
        let truncated = self.other_hosts_truncated;
        maps.push(m);
        *self = Self::new(maps);
        self.counts[..counts.len()].copy_from_slice(&counts);
        self.other_hosts = others;
        self.other_counts = other_counts;
        self.other_hosts_truncated = truncated;
    }

    /// If `url` (a whole value) starts with a mapping's FROM, the end of the
    /// matched prefix and the mapping's index.
    pub(crate) fn prefix(&mut self, url: &[u8]) -> Option<(usize, usize)> {
        let c = memchr::memmem::find(url, b"://")?;
        match self.decide(url, c, None, true) {
            Decision::Replace { start: 0, end, idx } => Some((end, idx)),
            _ => None,
        }
    }

    /// What was rewritten, per mapping, and which other hosts were seen.
    pub(crate) fn report(&self) -> LinkReport {
        LinkReport {
            mappings: self
                .maps
                .iter()
                .zip(&self.counts)
                .map(|(m, &count)| MappingCount {
                    from: m.from_text.clone(),
                    to: m.to.clone(),
                    count,
                })
                .collect(),
            other_hosts: self
                .other_hosts
                .iter()
                .map(|(h, &i)| {
                    (
                        String::from_utf8_lossy(h).into_owned(),
                        self.other_counts[i],
                    )
                })
                .collect(),
            other_hosts_truncated: self.other_hosts_truncated,
        }
    }

    /// Counts a link to a host (with port) no mapping covers.
    fn other_host(&mut self, host_and_port: &[u8]) {
        // Links to a few hosts come in runs: look at those first, unhashed.
        if let Some(at) = self
            .recent_others
            .iter()
            .position(|(h, _)| same_ignoring_case(h, host_and_port))
        {
            self.other_counts[self.recent_others[at].1] += 1;
            // Move it to the front (a swap: the order only speeds the search).
            self.recent_others.swap(0, at);
            return;
        }
        let key = if host_and_port.iter().any(u8::is_ascii_uppercase) {
            self.host.clear();
            self.host
                .extend(host_and_port.iter().map(u8::to_ascii_lowercase));
            self.host.as_slice()
        } else {
            host_and_port
        };
        let index = if let Some(&i) = self.other_hosts.get(key) {
            i
        } else if self.other_hosts.len() < MAX_OTHER_HOSTS {
            self.other_counts.push(0);
            self.other_hosts
                .insert(key.to_vec(), self.other_counts.len() - 1);
            self.other_counts.len() - 1
        } else {
            self.other_hosts_truncated = true;
            return;
        };
        self.other_counts[index] += 1;
        if self.recent_others.len() < RECENT_OTHERS {
            self.recent_others.push((Vec::new(), 0));
        }
        self.recent_others.rotate_right(1);
        let (recent, i) = &mut self.recent_others[0];
        recent.clear();
        recent.extend_from_slice(key);
        *i = index;
    }

    /// Decides the candidate whose `://` is at `c`. `end_final`: the end of
    /// `b` is the end of the value.
    fn decide(&mut self, b: &[u8], c: usize, prev: Option<u8>, end_final: bool) -> Decision {
        let start = if c >= 5 && b[c - 1] | 0x20 == b's' && http_before(b, c - 1) {
            c - 5
        } else if http_before(b, c) {
            c - 4
        } else {
            return Decision::Skip(c + 3);
        };
        let before = if start > 0 { Some(b[start - 1]) } else { prev };
        let h = c + 3;
        let host_window = &b[..b.len().min(h + MAX_HOST + 1)];
        let he = crate::bytescan::find_from(host_window, h, |c| !is_host_byte(c))
            .unwrap_or(host_window.len());
        if he - h > MAX_HOST {
            // Not a host name: DNS names are at most 253 bytes.
            return Decision::Skip(he);
        }
        let need_more = |at: usize| !end_final && at >= b.len();
        if need_more(he) {
            return Decision::NeedMore(start);
        }
        let mut q = he;
        let mut port: Option<u16> = None;
        if b.get(he) == Some(&b':') {
            let mut pe = he + 1;
            let mut value: u32 = 0;
            while pe < b.len() && b[pe].is_ascii_digit() {
                value = value * 10 + u32::from(b[pe] - b'0');
                pe += 1;
                if pe - he > 6 {
                    return Decision::Skip(pe);
                }
            }
            if need_more(pe) {
                return Decision::NeedMore(start);
            }
            let default = if c - start == 5 { 443 } else { 80 };
            if pe > he + 1 {
                match u16::try_from(value) {
                    Ok(p) => port = (p != default).then_some(p),
                    Err(_) => return Decision::Skip(pe),
                }
            }
            q = pe;
        }
        let host = &b[h..he];
        if host.is_empty() {
            return Decision::Skip(h);
        }
        // Few mappings: find the host by a short scan (lengths mostly differ).
        let found = self
            .hosts
            .iter()
            .find(|(name, _, _)| same_ignoring_case(name, host))
            .map(|&(_, first, last)| (first, last));
        let Some((first, last)) = found else {
            if preceded_ok(before) {
                self.other_host(&b[h..q]);
            }
            return Decision::Skip(q.max(h));
        };
        if !preceded_ok(before) {
            return Decision::Skip(q.max(h));
        }
        let mut waiting = false;
        for k in first..last {
            let idx = self.order[k];
            let m = &self.maps[idx];
            if m.port != port {
                continue;
            }
            let end = q + m.path.len();
            if need_more(end) {
                // Not enough bytes to compare the path or see what follows it.
                if b[q..].starts_with(&m.path.as_bytes()[..b.len() - q]) {
                    waiting = true;
                }
                continue;
            }
            if &b[q..end] != m.path.as_bytes() {
                continue;
            }
            let replace = match b.get(end) {
                None if end_final => true,
                None => {
                    waiting = true;
                    continue;
                }
                Some(&next) => boundary(next),
            };
            if replace {
                // A longer FROM that is still undecided takes precedence.
                if waiting {
                    return Decision::NeedMore(start);
                }
                return Decision::Replace { start, end, idx };
            }
        }
        if waiting {
            return Decision::NeedMore(start);
        }
        self.other_host(&b[h..q]);
        Decision::Skip(q)
    }

    /// Rewrites `b`, writing what is decided to `out`; returns how many bytes
    /// of `b` were written (the rest must wait for more input; all of them
    /// when `end_final`). When `lazy`, returns `None` having written nothing
    /// if nothing in `b` changes or needs holding back.
    fn process(
        &mut self,
        b: &[u8],
        prev: Option<u8>,
        end_final: bool,
        out: &mut impl Sink,
        lazy: bool,
    ) -> Option<usize> {
        let mut emitted = 0;
        let mut wrote = false;
        let mut search = 0;
        for c in scheme_separator().find_iter(b) {
            if c < search {
                continue;
            }
            match self.decide(b, c, prev, end_final) {
                Decision::NeedMore(start) => {
                    let start = start.max(emitted);
                    out.put(&b[emitted..start]);
                    return Some(start);
                }
                Decision::Replace { start, end, idx } => {
                    out.put(&b[emitted..start]);
                    out.put(self.maps[idx].to.as_bytes());
                    self.counts[idx] += 1;
                    wrote = true;
                    emitted = end;
                    search = end;
                }
                Decision::Skip(next) => search = next.max(c + 3),
            }
        }
        let keep_from = if end_final {
            b.len()
        } else {
            // A scheme whose "://" has not arrived yet starts in the last 7 bytes.
            let tail = b.len().saturating_sub(7).max(emitted);
            b[tail..]
                .iter()
                .position(|&x| x == b'h' || x == b'H')
                .map_or(b.len(), |p| tail + p)
        };
        if lazy && !wrote && keep_from == b.len() {
            return None;
        }
        out.put(&b[emitted..keep_from]);
        Some(keep_from)
    }

    /// Whether no bytes of the current node are held back (so that a node
    /// of only whitespace would pass without changing anything).
    #[inline(always)]
    pub(crate) fn holds_nothing(&self) -> bool {
        self.carry.is_empty() && self.prev.is_none()
    }

    /// A piece of a text node, CDATA section or comment. Returns false, having
    /// written nothing, when the piece passes unchanged.
    #[inline]
    pub(crate) fn text<S: Sink>(&mut self, piece: &[u8], out: &mut S) -> bool {
        if piece.is_empty() {
            return false;
        }
        // The indentation between rows: nothing to rewrite or to hold back
        // (decided inline, as most pieces are such).
        if self.carry.is_empty() && piece.len() <= 64 && piece.iter().all(u8::is_ascii_whitespace) {
            self.prev = piece.last().copied();
            return false;
        }
        self.text_with_content(piece, out)
    }

    /// [`LinkRewriter::text`] for a piece that is not only indentation.
    #[inline(never)]
    fn text_with_content<S: Sink>(&mut self, piece: &[u8], out: &mut S) -> bool {
        let joined;
        let (buf, lazy): (&[u8], bool) = if self.carry.is_empty() {
            (piece, true)
        } else {
            let mut j = std::mem::take(&mut self.carry);
            j.extend_from_slice(piece);
            joined = j;
            (&joined, false)
        };
        let Some(done) = self.process(buf, self.prev, false, out, lazy) else {
            self.prev = piece.last().copied();
            return false;
        };
        if done > 0 {
            self.prev = Some(buf[done - 1]);
        }
        self.carry.clear();
        self.carry.extend_from_slice(&buf[done..]);
        true
    }

    /// The end of a text node, CDATA section or comment: flushes what was held back.
    pub(crate) fn text_end<S: Sink>(&mut self, out: &mut S) {
        if !self.carry.is_empty() {
            let carry = std::mem::take(&mut self.carry);
            self.process(&carry, self.prev, true, out, false);
        }
        self.prev = None;
    }

    /// Rewrites a whole value (an attribute's); `None` when unchanged. The
    /// bytes are the rewriter's until the next call.
    pub(crate) fn value(&mut self, v: &[u8]) -> Option<&[u8]> {
        let mut out = std::mem::take(&mut self.scratch);
        out.clear();
        let changed = self.process(v, None, true, &mut out, true).is_some();
        self.scratch = out;
        changed.then_some(self.scratch.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheme_separator_is_found_as_a_substring_search_finds_it() {
        let cases: [&[u8]; 9] = [
            b"<a href=\"http://x\"/>",
            b"://",
            b"a:/b//c://d",
            b":/:/://",
            b"x:///y",
            b"//://",
            b"12:30:00 /> http:/ https://h",
            b"",
            b"::://",
        ];
        for b in cases {
            for from in 0..=b.len() {
                let want = memchr::memmem::find(&b[from..], b"://").map(|k| from + k);
                assert_eq!(
                    scheme_separator_from(b, from),
                    want,
                    "{:?} from {from}",
                    String::from_utf8_lossy(b)
                );
            }
        }
    }

    /// The scheme test before `://` agrees with a case-insensitive
    /// comparison for every byte at every place, in every case of `http`.
    #[test]
    fn http_before_is_a_case_insensitive_comparison() {
        for case in 0..16u8 {
            let word: Vec<u8> = b"http"
                .iter()
                .enumerate()
                .map(|(i, &c)| {
                    if case >> i & 1 == 1 {
                        c.to_ascii_uppercase()
                    } else {
                        c
                    }
                })
                .collect();
            for at in 0..4 {
                for byte in 0..=255u8 {
                    let mut b = word.clone();
                    b[at] = byte;
                    b.extend_from_slice(b"://");
                    assert_eq!(
                        http_before(&b, 4),
                        b[..4].eq_ignore_ascii_case(b"http"),
                        "{b:?}"
                    );
                    assert!(!http_before(&b, 3));
                }
            }
        }
    }

    #[test]
    fn host_bytes_are_ascii_letters_digits_dot_and_dash() {
        for b in 0u8..=0xFF {
            let want = b.is_ascii_alphanumeric() || b == b'.' || b == b'-';
            assert_eq!(is_host_byte(b), want, "{b}");
        }
    }

    #[test]
    fn unmapped_hosts_are_counted_however_they_alternate() {
        let mut r = rw(&["http://jira.corp:8080=https://acme.atlassian.net"]);
        let hosts = ["a.corp", "b.corp", "C.corp", "d.corp", "e.corp", "f.corp"];
        let mut want = std::collections::BTreeMap::new();
        for round in 0..7 {
            for (i, h) in hosts.iter().enumerate().take(2 + round % 5) {
                let mut out = Vec::new();
                let text = format!("see http://{h}/x and http://jira.corp:8080/browse/A-{i}");
                r.text(text.as_bytes(), &mut out);
                r.text_end(&mut out);
                *want.entry(h.to_ascii_lowercase()).or_insert(0u64) += 1;
            }
        }
        let report = r.report();
        assert_eq!(report.other_hosts, want);
        assert_eq!(report.mappings[0].count, want.values().sum::<u64>());
    }

    fn rw(maps: &[&str]) -> LinkRewriter {
        LinkRewriter::new(maps.iter().map(|m| UrlMapping::parse(m).unwrap()).collect())
    }

    fn value(maps: &[&str], v: &str) -> String {
        let mut r = rw(maps);
        r.value(v.as_bytes())
            .map_or_else(|| v.to_string(), |b| String::from_utf8(b.to_vec()).unwrap())
    }

    /// Streams `v` in pieces of every size and checks all agree with `value`.
    fn streamed(maps: &[&str], v: &str) -> String {
        let whole = value(maps, v);
        for size in 1..=v.len().max(1) {
            let mut r = rw(maps);
            let mut out = Vec::new();
            for piece in v.as_bytes().chunks(size) {
                if !r.text(piece, &mut out) {
                    out.extend_from_slice(piece);
                }
            }
            r.text_end(&mut out);
            assert_eq!(String::from_utf8(out).unwrap(), whole, "piece size {size}");
        }
        whole
    }

    const JIRA: &str = "http://jira.corp:8080=https://acme.atlassian.net";

    #[test]
    fn between_nodes_nothing_is_held_within_one_something_may_be() {
        let mut r = rw(&["http://jira.corp:8080=https://acme.atlassian.net"]);
        let mut out = Vec::new();
        assert!(r.holds_nothing());
        // The start of a link waits for the rest of the node.
        assert!(r.text(b"see http://jira.co", &mut out));
        assert!(!r.holds_nothing());
        r.text_end(&mut out);
        assert!(r.holds_nothing());
        // The byte before the next piece is remembered within the node.
        assert!(!r.text(b"plain", &mut out));
        assert!(!r.holds_nothing());
        r.text_end(&mut out);
        assert!(r.holds_nothing());
        assert_eq!(out, b"see http://jira.co");
    }

    #[test]
    fn rewrites_the_prefix_and_keeps_the_rest_byte_for_byte() {
        assert_eq!(
            streamed(
                &[JIRA],
                "see http://jira.corp:8080/browse/X-9?focusedCommentId=1&amp;page=2 now"
            ),
            "see https://acme.atlassian.net/browse/X-9?focusedCommentId=1&amp;page=2 now"
        );
        assert_eq!(
            streamed(
                &[JIRA],
                "&quot;baseUrl&quot;:&quot;http://jira.corp:8080&quot;"
            ),
            "&quot;baseUrl&quot;:&quot;https://acme.atlassian.net&quot;"
        );
    }

    #[test]
    fn scheme_and_host_case_and_default_ports_match_alike() {
        let m = "http://wiki.corp=https://acme.atlassian.net/wiki";
        assert_eq!(
            streamed(&[m], "HTTPS://Wiki.Corp/x"),
            "https://acme.atlassian.net/wiki/x"
        );
        assert_eq!(
            streamed(&[m], "http://wiki.corp:80/x"),
            "https://acme.atlassian.net/wiki/x"
        );
        assert_eq!(
            streamed(&[m], "https://wiki.corp:443/x"),
            "https://acme.atlassian.net/wiki/x"
        );
        assert_eq!(
            streamed(&[m], "http://wiki.corp:8090/x"),
            "http://wiki.corp:8090/x"
        );
    }

    #[test]
    fn other_ports_longer_hosts_and_segments_and_bad_prefixes_are_left_alone() {
        for v in [
            "http://jira.corp:8085/browse/PLAN-1",
            "http://jira.corp/browse/X-1",
            "http://jira.corp.evil.test:8080/x",
            "http://jira.corpx:8080/x",
            "xhttp://jira.corp:8080/x",
            "svn+http://jira.corp:8080/x",
            "a.http://jira.corp:8080/x",
            "1http://jira.corp:8080/x",
        ] {
            assert_eq!(streamed(&[JIRA], v), v, "{v}");
        }
        let prefixed = "http://jira.corp:8080/jira=https://acme.atlassian.net";
        assert_eq!(
            streamed(&[prefixed], "http://jira.corp:8080/jira2/x"),
            "http://jira.corp:8080/jira2/x"
        );
        assert_eq!(
            streamed(&[prefixed], "http://jira.corp:8080/jira/x"),
            "https://acme.atlassian.net/x"
        );
        assert_eq!(
            streamed(&[prefixed], "http://jira.corp:8080/jira"),
            "https://acme.atlassian.net"
        );
        for end in [
            "?a", "#a", "\"", "'", "<", ">", "&amp;", "]", ")", " ", "\n",
        ] {
            let v = format!("http://jira.corp:8080/jira{end}");
            assert_eq!(
                streamed(&[prefixed], &v),
                format!("https://acme.atlassian.net{end}"),
                "{end:?}"
            );
        }
    }

    #[test]
    fn the_longest_from_wins() {
        let maps = [
            "http://jira.corp:8080=https://a.example.net",
            "http://jira.corp:8080/jira=https://b.example.net",
        ];
        assert_eq!(
            streamed(
                &maps,
                "http://jira.corp:8080/jira/x http://jira.corp:8080/other"
            ),
            "https://b.example.net/x https://a.example.net/other"
        );
    }

    #[test]
    fn counts_rewrites_and_lists_other_hosts() {
        let mut r = rw(&[JIRA]);
        let v = r
            .value(b"http://jira.corp:8080/a http://bamboo.corp:8085/b https://Bamboo.corp:8085/c http://jira.corp:8080")
            .unwrap()
            .to_vec();
        assert!(
            String::from_utf8(v)
                .unwrap()
                .starts_with("https://acme.atlassian.net/a")
        );
        let report = r.report();
        assert_eq!(report.mappings[0].count, 2);
        assert_eq!(report.other_hosts.get("bamboo.corp:8085"), Some(&2));
    }

    #[test]
    fn bad_mappings_are_refused_with_the_reason() {
        for bad in [
            "jira.corp=https://x.net",
            "http://jira.corp",
            "http://=https://x.net",
            "http://jira.corp:99999=https://x.net",
            "http://jira.corp/a?b=https://x.net",
            "http://jira.corp=https://x.net/a b",
            "http://jira.corp=https://x.net/]]",
            "http://jira.corp=https://x--y.net",
        ] {
            let e = UrlMapping::parse(bad).expect_err(bad);
            assert!(
                e.to_string().contains(bad.split('=').next().unwrap()),
                "{e}"
            );
        }
    }
}
