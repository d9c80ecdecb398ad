//! The planner: walks the entry list once, in the stable order, and cuts it
//! into zips by exact on-disk size.
//!
//! Rules, in order of precedence:
//! 1. No zip exceeds `max_size` (headers, central directory and end records
//!    included), except an oversize zip holding one file larger than the
//!    limit when that is allowed.
//! 2. Avatars and logos come first, so they land in the first zip.
//! 3. An issue directory is never split (unless the issue alone is larger
//!    than the limit, which is split between its files with a warning).
//! 4. Every zip but the last reaches `min_size` where the data allows: a zip
//!    is closed early only when the next issue does not fit in what is left.
//! 5. A project stays whole when it fits in the current zip, or when it fits
//!    in a new one and the current zip has already reached `min_size`;
//!    otherwise it fills the current zip and continues in the next, split
//!    at issue boundaries.

use crate::error::SplitError;
use crate::media::order::{Group, place};
use crate::media::record::{ListReader, ProjectTotal, Record};
use crate::split::options::SplitOptions;
use crate::zip::format::end_len;
use std::path::Path;

/// The part of a project that one zip holds.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ProjectSpan {
    /// The project key (the directory name under `data/attachments/`).
    pub key: String,
    /// Whether the whole project is in this zip.
    pub whole: bool,
    /// First issue key in this zip, in the stable order (`None` if it holds no issue directory).
    pub first_issue: Option<String>,
    /// Last issue key in this zip.
    pub last_issue: Option<String>,
    /// Entries of the project in this zip.
    pub entries: u64,
    /// Uncompressed bytes of the project in this zip.
    pub bytes: u64,
}

impl ProjectSpan {
    /// `KEY` for a whole project, `KEY (KEY-1..KEY-40)` for part of one.
    pub fn label(&self) -> String {
        match (&self.whole, &self.first_issue, &self.last_issue) {
            (true, _, _) => self.key.clone(),
            (false, Some(a), Some(b)) if a == b => format!("{} ({a})", self.key),
            (false, Some(a), Some(b)) => format!("{} ({a}..{b})", self.key),
            _ => format!("{} (part)", self.key),
        }
    }
}

/// One zip of the plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedZip {
    /// Position in the import order, from 1.
    pub order: usize,
    /// File name (`media-001.zip`).
    pub name: String,
    /// Size on disk in bytes: exact when storing; with compression an upper
    /// bound (the zip as if every entry were stored).
    pub size: u64,
    /// Number of entries.
    pub entries: u64,
    /// Uncompressed bytes of its entries.
    pub bytes: u64,
    /// Whether it holds `data/avatars/`.
    pub avatars: bool,
    /// Whether it holds `logos/`.
    pub logos: bool,
    /// Files directly in `data/attachments/`, outside any project.
    pub loose_files: u64,
    /// Whether it holds a single file larger than `max_size` (`--allow-oversize`).
    pub oversize: bool,
    /// The projects it holds, in order.
    pub projects: Vec<ProjectSpan>,
    /// Position of its first record in the entry list.
    pub(crate) start: u64,
}

impl PlannedZip {
    /// The file name of zip number `order`.
    pub fn file_name(order: usize) -> String {
        format!("media-{order:03}.zip")
    }
}

/// Running exact size of a zip.
#[derive(Clone, Copy, Debug, Default)]
struct Sizer {
    local: u64,
    central: u64,
    entries: u64,
}

impl Sizer {
    fn with(mut self, recs: &[(u64, Record)]) -> Sizer {
        for (_, r) in recs {
            let layout = r.layout();
            self.central += layout.central_len(self.local);
            self.local += layout.local_len() + r.data_len();
            self.entries += 1;
        }
        self
    }

    fn with_total(mut self, t: &ProjectTotal) -> Sizer {
        self.local += t.local;
        self.central += t.central_max;
        self.entries += t.entries;
        self
    }

    fn total(&self) -> u64 {
        self.local + self.central + end_len(self.entries, self.local, self.central)
    }
}

/// The result of planning.
pub(crate) struct Packed {
    pub zips: Vec<PlannedZip>,
    pub warnings: Vec<String>,
}

struct Packer<'a> {
    options: &'a SplitOptions,
    totals: &'a [ProjectTotal],
    zips: Vec<PlannedZip>,
    cur: Option<(PlannedZip, Sizer)>,
    oversize: Vec<(String, u64)>,
    warnings: Vec<String>,
}

impl Packer<'_> {
    fn cur_sizer(&self) -> Sizer {
        self.cur.as_ref().map(|c| c.1).unwrap_or_default()
    }

    fn is_empty(&self) -> bool {
        self.cur.is_none()
    }

    fn close(&mut self, next: Option<(&str, u64)>) {
        let Some((mut zip, sizer)) = self.cur.take() else {
            return;
        };
        zip.order = self.zips.len() + 1;
        zip.name = PlannedZip::file_name(zip.order);
        zip.size = sizer.total();
        if let Some((what, size)) = next
            && zip.size < self.options.min_size
        {
            self.warnings.push(format!(
                "{} is {} bytes, below --min-size ({}): the next {what} ({size} bytes with headers) did not fit in what was left",
                zip.name, zip.size, self.options.min_size
            ));
        }
        self.zips.push(zip);
    }

    fn add(&mut self, recs: &[(u64, Record)]) {
        let sizer = self.cur_sizer().with(recs);
        let (zip, s) = self.cur.get_or_insert_with(|| {
            (
                PlannedZip {
                    order: 0,
                    name: String::new(),
                    size: 0,
                    entries: 0,
                    bytes: 0,
                    avatars: false,
                    logos: false,
                    loose_files: 0,
                    oversize: false,
                    projects: Vec::new(),
                    start: recs.first().map_or(0, |r| r.0),
                },
                Sizer::default(),
            )
        });
        *s = sizer;
        for (_, r) in recs {
            zip.entries += 1;
            zip.bytes += r.size;
            let Some(p) = place(&r.name) else { continue };
            match (p.group, p.project) {
                (Group::Avatars, _) => zip.avatars = true,
                (Group::Logos, _) => zip.logos = true,
                (Group::Attachments, None) => zip.loose_files += 1,
                (Group::Attachments, Some(key)) => {
                    if zip.projects.last().is_none_or(|s| s.key != key) {
                        zip.projects.push(ProjectSpan {
                            key: key.to_owned(),
                            whole: false,
                            first_issue: None,
                            last_issue: None,
                            entries: 0,
                            bytes: 0,
                        });
                    }
                    if let Some(span) = zip.projects.last_mut() {
                        span.entries += 1;
                        span.bytes += r.size;
                        if let Some(issue) = p.issue {
                            if span.first_issue.is_none() {
                                span.first_issue = Some(issue.to_owned());
                            }
                            if span.last_issue.as_deref() != Some(issue) {
                                span.last_issue = Some(issue.to_owned());
                            }
                        }
                    }
                }
            }
        }
    }

    fn fits(&self, sizer: Sizer) -> bool {
        sizer.total() <= self.options.max_size
    }

    /// Called before the first unit of a project.
    fn start_project(&mut self, total: &ProjectTotal) {
        if self.is_empty() || self.fits(self.cur_sizer().with_total(total)) {
            return;
        }
        let fits_alone = self.fits(Sizer::default().with_total(total));
        if fits_alone && self.cur_sizer().total() >= self.options.min_size {
            self.close(None);
        }
    }

    fn place_unit(&mut self, unit: &[(u64, Record)], what: &str) {
        if self.fits(self.cur_sizer().with(unit)) {
            self.add(unit);
            return;
        }
        let alone = Sizer::default().with(unit).total();
        self.close(Some((what, alone)));
        if self.fits(Sizer::default().with(unit)) {
            self.add(unit);
            return;
        }
        if unit.len() > 1 {
            self.warnings.push(format!(
                "{what} is {alone} bytes with headers, larger than --max-size ({}): it is split between its files",
                self.options.max_size
            ));
            for one in unit {
                let name = one.1.name.clone();
                self.place_unit(std::slice::from_ref(one), &name);
            }
            return;
        }
        let Some((_, rec)) = unit.first() else { return };
        if self.options.allow_oversize {
            self.add(unit);
            if let Some((zip, _)) = &mut self.cur {
                zip.oversize = true;
            }
            self.close(None);
            if let Some(zip) = self.zips.last() {
                self.warnings.push(format!(
                    "{} is {} bytes, larger than --max-size ({}): it is alone in {} ({} bytes), which is over the limit",
                    rec.name, rec.size, self.options.max_size, zip.name, zip.size
                ));
            }
        } else if self.oversize.len() < 20 {
            self.oversize.push((rec.name.clone(), rec.size));
        }
    }
}

/// Unit key: records with the same key go in the same zip.
fn unit_key(rec: &Record) -> Option<(String, String)> {
    let p = place(&rec.name)?;
    match (p.project, p.issue) {
        (Some(project), Some(issue)) => Some((project.to_owned(), issue.to_owned())),
        _ => None,
    }
}

/// Plans zips over the entry list at `list`.
pub(crate) fn pack(
    list: &Path,
    totals: &[ProjectTotal],
    options: &SplitOptions,
) -> Result<Packed, SplitError> {
    let mut packer = Packer {
        options,
        totals,
        zips: Vec::new(),
        cur: None,
        oversize: Vec::new(),
        warnings: Vec::new(),
    };
    let mut reader = ListReader::open(list, 0)?;
    let mut unit: Vec<(u64, Record)> = Vec::new();
    let mut project: Option<Option<String>> = None;
    let mut total_index = 0usize;
    loop {
        let pos = reader.pos();
        let next = reader.next_record()?;
        let boundary = match (&next, unit.first()) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(n), Some(u)) => {
                let key = unit_key(n);
                key.is_none() || key != unit_key(&u.1)
            }
        };
        if boundary {
            let what = match unit_key(&unit[0].1) {
                Some((_, issue)) => format!("issue {issue}"),
                None => unit[0].1.name.clone(),
            };
            packer.place_unit(&unit, &what);
            unit.clear();
        }
        let Some(rec) = next else { break };
        let key = place(&rec.name).and_then(|p| p.project).map(str::to_owned);
        if project.as_ref() != Some(&key) {
            if project.is_some() {
                total_index += 1;
            }
            project = Some(key.clone());
            if key.is_some()
                && let Some(total) = packer.totals.get(total_index)
            {
                packer.start_project(total);
            }
        }
        unit.push((pos, rec));
    }
    packer.close(None);
    if !packer.oversize.is_empty() {
        return Err(SplitError::Oversize {
            files: packer.oversize,
            max_size: options.max_size,
        });
    }
    let mut zips = packer.zips;
    for zip in &mut zips {
        for span in &mut zip.projects {
            span.whole = totals
                .iter()
                .any(|t| t.key.as_deref() == Some(span.key.as_str()) && t.entries == span.entries);
        }
    }
    Ok(Packed {
        zips,
        warnings: packer.warnings,
    })
}
