//! The stable order of a media tree and where each path belongs in the Jira
//! layout (group, project, issue).
//!
//! Order: `data/avatars/`, then `logos/`, then `data/attachments/`; inside a
//! group, paths compare component by component in natural order, so
//! `PROJ-2` comes before `PROJ-10` and bucket `20000` before `100000`. A
//! directory walk that sorts each listing with [`natural_cmp`] visits paths
//! in exactly this order, and so does a sorted zip.

use std::cmp::Ordering;

/// The prefix of attachment paths in a media zip.
pub(crate) const ATTACHMENTS: &str = "data/attachments/";
/// The prefix of avatar paths.
pub(crate) const AVATARS: &str = "data/avatars/";
/// The prefix of logo paths.
pub(crate) const LOGOS: &str = "logos/";

/// The top-level parts of a media zip, in import order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Group {
    /// `data/avatars/...`
    Avatars,
    /// `logos/...`
    Logos,
    /// `data/attachments/...`
    Attachments,
}

impl Group {
    /// The group a stored name belongs to, if any.
    pub(crate) fn of(name: &str) -> Option<Group> {
        if name.starts_with(ATTACHMENTS) {
            Some(Group::Attachments)
        } else if name.starts_with(AVATARS) {
            Some(Group::Avatars)
        } else if name.starts_with(LOGOS) {
            Some(Group::Logos)
        } else {
            None
        }
    }

    /// The stored-name prefix of the group.
    pub(crate) fn prefix(self) -> &'static str {
        match self {
            Group::Avatars => AVATARS,
            Group::Logos => LOGOS,
            Group::Attachments => ATTACHMENTS,
        }
    }
}

/// Where a stored name sits in the Jira layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Place<'a> {
    /// Its group.
    pub group: Group,
    /// The project key (attachments only; `None` for a file directly in `data/attachments/`).
    pub project: Option<&'a str>,
    /// The issue key: the issue directory the entry is in, if any.
    pub issue: Option<&'a str>,
}

/// Classifies a stored name (`None` when it is outside the three groups).
///
/// `data/attachments/P/10000/P-1/10100` and the bucket-less
/// `data/attachments/P/P-1/10100` are both in project `P`, issue `P-1`;
/// thumbnails (`.../P-1/thumbs/_thumb_10100.png`) belong to their issue. A
/// directory entry ends in `/`.
pub(crate) fn place(name: &str) -> Option<Place<'_>> {
    let group = Group::of(name)?;
    if group != Group::Attachments {
        return Some(Place {
            group,
            project: None,
            issue: None,
        });
    }
    let rest = &name[ATTACHMENTS.len()..];
    let is_dir = rest.ends_with('/');
    let mut parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
    if !is_dir {
        // The last component is the file itself.
        parts.pop();
    }
    let Some((&project, dirs)) = parts.split_first() else {
        return Some(Place {
            group,
            project: None,
            issue: None,
        });
    };
    let issue = match dirs {
        [] => None,
        [bucket, issue, ..] if is_bucket(bucket) => Some(*issue),
        [bucket] if is_bucket(bucket) => None,
        [issue, ..] => Some(*issue),
    };
    Some(Place {
        group,
        project: Some(project),
        issue,
    })
}

/// A bucket directory (`10000`, `20000`, ...) is all digits; issue keys are not.
fn is_bucket(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Natural order of two names: runs of digits compare by value, the rest by
/// bytes; names equal in that order fall back to plain byte order, so the
/// order is total.
///
/// ```text
/// PROJ-2 < PROJ-10 < PROJ-100,  10000 < 20000 < 100000
/// ```
pub(crate) fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    loop {
        match (x.first(), y.first()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(c), Some(d)) if c.is_ascii_digit() && d.is_ascii_digit() => {
                let (nx, rx) = split_digits(x);
                let (ny, ry) = split_digits(y);
                let (tx, ty) = (trim_zeros(nx), trim_zeros(ny));
                let ord = tx.len().cmp(&ty.len()).then_with(|| tx.cmp(ty));
                if ord != Ordering::Equal {
                    return ord;
                }
                x = rx;
                y = ry;
            }
            (Some(c), Some(d)) => {
                if c != d {
                    return c.cmp(d);
                }
                x = &x[1..];
                y = &y[1..];
            }
        }
    }
}

fn split_digits(s: &[u8]) -> (&[u8], &[u8]) {
    let n = s.iter().take_while(|b| b.is_ascii_digit()).count();
    s.split_at(n)
}

fn trim_zeros(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|&&b| b == b'0').count();
    &s[n..]
}

/// The stable order of two stored names: group first, then component by
/// component in [`natural_cmp`] order (a directory before what it contains).
pub(crate) fn name_cmp(a: &str, b: &str) -> Ordering {
    let rank = |n: &str| Group::of(n).map_or(3, |g| g as u8);
    rank(a).cmp(&rank(b)).then_with(|| {
        let mut x = a.split('/').filter(|p| !p.is_empty());
        let mut y = b.split('/').filter(|p| !p.is_empty());
        loop {
            match (x.next(), y.next()) {
                (None, None) => return a.cmp(b),
                (None, Some(_)) => return Ordering::Less,
                (Some(_), None) => return Ordering::Greater,
                (Some(p), Some(q)) => {
                    let ord = natural_cmp(p, q);
                    if ord != Ordering::Equal {
                        return ord;
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_keys_sort_by_number() {
        let mut keys = vec!["P-10", "P-2", "P-1", "P-100", "P-02", "Q-1", "P-9"];
        keys.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(keys, ["P-1", "P-02", "P-2", "P-9", "P-10", "P-100", "Q-1"]);
        let mut buckets = vec!["100000", "20000", "10000"];
        buckets.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(buckets, ["10000", "20000", "100000"]);
    }

    #[test]
    fn places_follow_the_jira_layout() {
        let p = place("data/attachments/P/10000/P-1/10100").unwrap();
        assert_eq!((p.project, p.issue), (Some("P"), Some("P-1")));
        let p = place("data/attachments/P/10000/P-1/thumbs/_thumb_10100.png").unwrap();
        assert_eq!(p.issue, Some("P-1"));
        let p = place("data/attachments/P/P-7/10100").unwrap();
        assert_eq!(p.issue, Some("P-7"));
        let p = place("data/attachments/P/10000/P-3/").unwrap();
        assert_eq!(p.issue, Some("P-3"));
        let p = place("data/attachments/P/10000/").unwrap();
        assert_eq!((p.project, p.issue), (Some("P"), None));
        let p = place("data/attachments/P/stray.txt").unwrap();
        assert_eq!((p.project, p.issue), (Some("P"), None));
        let p = place("data/attachments/loose").unwrap();
        assert_eq!(p.project, None);
        assert_eq!(place("logos/x.png").unwrap().group, Group::Logos);
        assert_eq!(place("data/avatars/1.png").unwrap().group, Group::Avatars);
        assert!(place("dbconfig.xml").is_none());
    }

    #[test]
    fn names_order_groups_then_components() {
        let mut names = vec![
            "data/attachments/P/10000/P-10/1",
            "logos/a.png",
            "data/attachments/P/10000/P-2/1",
            "data/attachments/P/10000/P-2/",
            "data/avatars/9.png",
            "data/attachments/P/10000/P-2/thumbs/t",
            "data/attachments/P/20000/P-10001/1",
            "data/attachments/P-X/1",
        ];
        names.sort_by(|a, b| name_cmp(a, b));
        assert_eq!(
            names,
            [
                "data/avatars/9.png",
                "logos/a.png",
                "data/attachments/P/10000/P-2/",
                "data/attachments/P/10000/P-2/1",
                "data/attachments/P/10000/P-2/thumbs/t",
                "data/attachments/P/10000/P-10/1",
                "data/attachments/P/20000/P-10001/1",
                "data/attachments/P-X/1",
            ]
        );
    }
}
