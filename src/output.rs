//! Output files that appear only when complete: a hidden temporary file
//! beside the destination, flushed to disk and renamed into place on commit,
//! removed on drop.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// A file being written that becomes `dest` only on [`PendingFile::commit`].
///
/// Created beside its destination (same directory, so the rename is atomic)
/// as `.backup-fix-XXXXXX.partial`; dropped without a commit, it is removed
/// and an existing `dest` is untouched.
///
/// ```
/// use backup_fix::output::PendingFile;
/// use std::io::Write;
/// let dir = tempfile::tempdir()?;
/// let dest = dir.path().join("report.json");
/// let mut pending = PendingFile::beside(&dest)?;
/// pending.file().write_all(b"{}\n")?;
/// assert!(!dest.exists());
/// pending.commit()?;
/// assert_eq!(std::fs::read(&dest)?, b"{}\n");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct PendingFile {
    tmp: tempfile::NamedTempFile,
    dest: PathBuf,
}

impl PendingFile {
    /// Starts writing `dest`. Fails at once, naming the directory, when
    /// `dest`'s directory does not exist or cannot be written, so that a
    /// long job can check where its output goes before it starts.
    pub fn beside(dest: &Path) -> io::Result<Self> {
        let dir = directory_of(dest);
        if !dir.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!(
                    "the directory {} does not exist; create it or choose another path",
                    dir.display()
                ),
            ));
        }
        let tmp = tempfile::Builder::new()
            .prefix(".backup-fix-")
            .suffix(".partial")
            .tempfile_in(&dir)
            // tempfile's message names the hidden file; the person needs the directory.
            .map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("cannot create a file in {}: {}", dir.display(), plain(&e)),
                )
            })?;
        Ok(Self {
            tmp,
            dest: dest.to_path_buf(),
        })
    }

    /// The file being written.
    pub fn file(&mut self) -> &mut File {
        self.tmp.as_file_mut()
    }

    /// The temporary file's path (to read it back before committing).
    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    /// Where the file goes on commit.
    pub fn dest(&self) -> &Path {
        &self.dest
    }

    /// Flushes the file to disk, makes it readable (0644 on Unix) and renames
    /// it to its destination, replacing any file there.
    pub fn commit(self) -> io::Result<()> {
        self.tmp.as_file().sync_all()?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(self.tmp.path(), std::fs::Permissions::from_mode(0o644))?;
        }
        self.tmp.persist(&self.dest).map_err(|e| e.error)?;
        Ok(())
    }
}

/// The directory a path's file lives in (`.` for a bare name).
pub(crate) fn directory_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// An I/O error's message without the path tempfile appends to it.
fn plain(e: &io::Error) -> String {
    let text = e.to_string();
    match text.find(" at path ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_directory_is_named_not_the_hidden_file() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("nope").join("out.xml");
        let e = PendingFile::beside(&dest).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("nope"), "{text}");
        assert!(text.contains("does not exist"), "{text}");
        assert!(!text.contains(".partial"), "{text}");
    }

    #[test]
    fn dropped_without_commit_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out.xml");
        std::fs::write(&dest, b"old").unwrap();
        let mut p = PendingFile::beside(&dest).unwrap();
        io::Write::write_all(p.file(), b"new").unwrap();
        drop(p);
        assert_eq!(std::fs::read(&dest).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
