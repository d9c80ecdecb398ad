//! Where a link to the old server points: a page or attachment of the
//! export, the full URL of a page that is not in it, or nothing known.

use crate::report::ConfluenceLinkReport;
use crate::rules::confluence_links::page_index::PageIndex;
use crate::rules::confluence_links::short_code::decode_short_code;

/// Where a link points.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Target {
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

/// Where the rest of an old-server URL (after the mapping's FROM) points,
/// counting decoded and unknown short links in `report`.
pub(super) fn target(
    from: &str,
    rest: &str,
    index: &PageIndex,
    report: &mut ConfluenceLinkReport,
) -> Target {
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
    match segments.as_slice() {
        ["x", code] => match decode_short_code(code) {
            Some(id) => {
                report.short_links_expanded += 1;
                page_target(id, anchor, index)
            }
            None => {
                report.unknown_codes += 1;
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
                Ok(page) if index.has_attachment(page, &file) => Target::Attachment { page, file },
                _ => Target::Unknown,
            }
        }
        _ => Target::Unknown,
    }
}
