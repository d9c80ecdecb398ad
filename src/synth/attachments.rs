//! Synthetic Jira homes for `split` tests and benchmarks: `data/attachments`
//! in the bucketed layout (`<KEY>/<bucket>/<KEY>-<n>/<id>`) with thumbnails,
//! `data/avatars`, `logos`, and optionally the oddities real homes have
//! (a bucket-less old project, legacy `<id>_<name>` files with non-ASCII
//! names, empty issue and bucket directories). Deterministic for a seed.
//! Content is mostly incompressible (like the images and office files that
//! dominate real attachments), with some compressible text.

use crate::synth::rng::Rng;
use std::fs;
use std::io::{self, Write};
use std::path::Path;

/// What to generate.
#[derive(Clone, Debug)]
pub struct MediaTreeSynth {
    /// Approximate bytes of attachments (thumbnails, avatars, logos and large files come on top).
    pub target_bytes: u64,
    /// Number of projects; the first gets 40% of the bytes, the others share the rest.
    pub projects: usize,
    /// Mean size of an attachment.
    pub mean_file: u64,
    /// Number of extra large attachments, spread over the projects.
    pub large_files: usize,
    /// Size of each large attachment.
    pub large_file: u64,
    /// A small thumbnail (`thumbs/_thumb_<id>.png`) for every image attachment.
    pub thumbnails: bool,
    /// Add a bucket-less project, legacy non-ASCII file names, empty directories.
    pub oddities: bool,
    /// Add a project `LEG` in Jira 6.x's layout (`LEG/LEG-<n>/<id>`, no
    /// bucket), whose files are attachments like the others.
    pub old_layout: bool,
    /// Seed of the pseudo-random choices and content.
    pub seed: u64,
}

impl Default for MediaTreeSynth {
    fn default() -> Self {
        MediaTreeSynth {
            target_bytes: 8 << 20,
            projects: 4,
            mean_file: 64 << 10,
            large_files: 0,
            large_file: 0,
            thumbnails: true,
            oddities: false,
            old_layout: false,
            seed: 7,
        }
    }
}

/// What was generated.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MediaTreeStats {
    /// Regular files written.
    pub files: u64,
    /// Bytes in them.
    pub bytes: u64,
    /// Empty directories created.
    pub empty_dirs: u64,
    /// Issue directories created.
    pub issues: u64,
    /// Bytes of each project's attachments, by key, in generation order.
    pub project_bytes: Vec<(String, u64)>,
}

/// One attachment file as written: its project key (the folder), issue
/// number, id and size.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Written<'a> {
    pub(crate) key: &'a str,
    pub(crate) issue: u64,
    pub(crate) id: u64,
    pub(crate) size: u64,
}

const TEXT: &[u8] = b"2021-07-13 10:37:40,123 INFO [http-nio-8080-exec-7] com.atlassian.jira.web: request served in 12 ms for user admin (ticket PROJ-42)\n";

impl MediaTreeSynth {
    fn key(i: usize) -> String {
        // AB, AC, ... : uppercase keys like Jira's.
        let a = (b'A' + (i / 26 % 26) as u8) as char;
        let b = (b'A' + (i % 26) as u8) as char;
        format!("P{a}{b}")
    }

    fn write_file(
        &self,
        rng: &mut Rng,
        path: &Path,
        size: u64,
        text: bool,
        stats: &mut MediaTreeStats,
    ) -> io::Result<()> {
        let mut f = io::BufWriter::with_capacity(256 << 10, fs::File::create(path)?);
        let mut left = size;
        if text {
            while left > 0 {
                let n = left.min(TEXT.len() as u64) as usize;
                f.write_all(&TEXT[..n])?;
                left -= n as u64;
            }
        } else {
            // A JPEG signature, then noise.
            let magic = b"\xFF\xD8\xFF\xE0";
            let n = left.min(4) as usize;
            f.write_all(&magic[..n])?;
            left -= n as u64;
            let mut block = [0u8; 8192];
            while left > 0 {
                for chunk in block.chunks_exact_mut(8) {
                    chunk.copy_from_slice(&rng.next().to_le_bytes());
                }
                let n = left.min(block.len() as u64) as usize;
                f.write_all(&block[..n])?;
                left -= n as u64;
            }
        }
        f.flush()?;
        stats.files += 1;
        stats.bytes += size;
        Ok(())
    }

    /// Writes a Jira home under `home` (which must not exist or be empty).
    pub fn write_home(&self, home: &Path) -> io::Result<MediaTreeStats> {
        self.write_home_noting(home, &mut |_| {})
    }

    /// [`write_home`](Self::write_home), telling `note` of every attachment
    /// file written (thumbnails and legacy names excepted).
    pub(crate) fn write_home_noting(
        &self,
        home: &Path,
        note: &mut dyn FnMut(Written<'_>),
    ) -> io::Result<MediaTreeStats> {
        let mut rng = Rng::new(self.seed.max(1));
        let mut stats = MediaTreeStats::default();
        let att = home.join("data").join("attachments");
        fs::create_dir_all(&att)?;
        let avatars = home.join("data").join("avatars");
        fs::create_dir_all(&avatars)?;
        for id in 10_000..10_005u64 {
            let size = 1000 + rng.below(3000);
            self.write_file(
                &mut rng,
                &avatars.join(format!("{id}_avatar.png")),
                size,
                false,
                &mut stats,
            )?;
        }
        let logos = home.join("logos");
        fs::create_dir_all(&logos)?;
        self.write_file(
            &mut rng,
            &logos.join("jira-logo-scaled.png"),
            2000,
            false,
            &mut stats,
        )?;
        let projects = self.projects.max(1);
        let mut next_id = 10_100u64;
        for p in 0..projects {
            let key = Self::key(p);
            let share = if projects == 1 {
                self.target_bytes
            } else if p == 0 {
                self.target_bytes * 2 / 5
            } else {
                self.target_bytes * 3 / 5 / (projects as u64 - 1)
            };
            let before = stats.bytes;
            let mut used = 0u64;
            let mut issue = 0u64;
            let larges = (0..self.large_files).filter(|i| i % projects == p).count();
            let mut larges_left = larges;
            while used < share || larges_left > 0 {
                issue += 1;
                let bucket = (issue - 1) / 10_000 * 10_000 + 10_000;
                let dir = att
                    .join(&key)
                    .join(bucket.to_string())
                    .join(format!("{key}-{issue}"));
                fs::create_dir_all(&dir)?;
                stats.issues += 1;
                let files = if used < share { 1 + rng.below(3) } else { 0 };
                for _ in 0..files {
                    let size = self.mean_file * (1 + rng.below(1999)) / 1000;
                    let text = rng.below(5) == 0;
                    let id = next_id;
                    next_id += 1;
                    self.write_file(&mut rng, &dir.join(id.to_string()), size, text, &mut stats)?;
                    note(Written {
                        key: &key,
                        issue,
                        id,
                        size,
                    });
                    used += size;
                    if self.thumbnails && !text {
                        let thumbs = dir.join("thumbs");
                        fs::create_dir_all(&thumbs)?;
                        let t = 2000 + rng.below(6000);
                        self.write_file(
                            &mut rng,
                            &thumbs.join(format!("_thumb_{id}.png")),
                            t,
                            false,
                            &mut stats,
                        )?;
                    }
                }
                if files == 0 && larges_left > 0 {
                    larges_left -= 1;
                    let id = next_id;
                    next_id += 1;
                    self.write_file(
                        &mut rng,
                        &dir.join(id.to_string()),
                        self.large_file,
                        false,
                        &mut stats,
                    )?;
                    note(Written {
                        key: &key,
                        issue,
                        id,
                        size: self.large_file,
                    });
                }
            }
            stats.project_bytes.push((key, stats.bytes - before));
        }
        if self.old_layout {
            let before = stats.bytes;
            for issue in 1..=3u64 {
                let dir = att.join("LEG").join(format!("LEG-{issue}"));
                fs::create_dir_all(&dir)?;
                stats.issues += 1;
                let id = next_id;
                next_id += 1;
                let size = 100 + rng.below(5000);
                self.write_file(&mut rng, &dir.join(id.to_string()), size, true, &mut stats)?;
                note(Written {
                    key: "LEG",
                    issue,
                    id,
                    size,
                });
            }
            stats
                .project_bytes
                .push(("LEG".into(), stats.bytes - before));
        }
        if self.oddities {
            self.write_oddities(&mut rng, &att, &mut stats, &mut next_id)?;
        }
        Ok(stats)
    }

    fn write_oddities(
        &self,
        rng: &mut Rng,
        att: &Path,
        stats: &mut MediaTreeStats,
        next_id: &mut u64,
    ) -> io::Result<()> {
        let before = stats.bytes;
        // An old, bucket-less project with legacy "<id>_<name>" files.
        let old = att.join("OLD");
        for n in [1u64, 2, 10, 11] {
            let dir = old.join(format!("OLD-{n}"));
            fs::create_dir_all(&dir)?;
            stats.issues += 1;
            let id = *next_id;
            *next_id += 1;
            let name = match n {
                1 => format!("{id}_Grüße aus Köln.txt"),
                2 => format!("{id}_日本語の仕様書.pdf"),
                10 => format!("{id}_emoji 😀 notes.txt"),
                _ => format!("{id}_plain.log"),
            };
            let size = 500 + rng.below(20_000);
            self.write_file(rng, &dir.join(name), size, true, stats)?;
        }
        // An empty issue directory and an empty bucket.
        fs::create_dir_all(old.join("OLD-12"))?;
        fs::create_dir_all(att.join(Self::key(0)).join("990000"))?;
        stats.empty_dirs += 2;
        // A zero-byte attachment.
        let dir = old.join("OLD-3");
        fs::create_dir_all(&dir)?;
        stats.issues += 1;
        self.write_file(rng, &dir.join(next_id.to_string()), 0, false, stats)?;
        *next_id += 1;
        stats
            .project_bytes
            .push(("OLD".into(), stats.bytes - before));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn homes_have_the_jira_layout_and_the_asked_size() {
        let dir = tempfile::tempdir().unwrap();
        let synth = MediaTreeSynth {
            target_bytes: 1 << 20,
            mean_file: 16 << 10,
            oddities: true,
            ..Default::default()
        };
        let stats = synth.write_home(dir.path()).unwrap();
        assert!(stats.bytes >= 1 << 20);
        assert!(dir.path().join("data/attachments/PAA/10000/PAA-1").is_dir());
        assert!(dir.path().join("logos/jira-logo-scaled.png").is_file());
        assert!(dir.path().join("data/attachments/OLD/OLD-12").is_dir());
        let again = tempfile::tempdir().unwrap();
        assert_eq!(synth.write_home(again.path()).unwrap(), stats);
    }
}
