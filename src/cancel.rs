//! The cancellation token a caller passes into every long job.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A cancellation token: clones share one flag.
///
/// Every long operation takes a [`Cancel`] in its options
/// ([`Options::cancel`](crate::Options::cancel),
/// `CheckOptions::cancel`, `SplitOptions::cancel`).
/// It looks at the token between chunks and, once it is set, stops with
/// [`Error::Interrupted`](crate::Error::Interrupted) (or `SplitError::Interrupted`; both errors answer
/// `is_interrupted()`), removing its temporary output as on any other error,
/// so a stopped run leaves nothing half-written behind. Tokens are
/// independent: stopping one run leaves the others in the same process
/// running.
///
/// ```
/// use backup_fix::{Cancel, Options, driver::fix_file};
/// let dir = tempfile::tempdir()?;
/// let (input, output) = (dir.path().join("entities.xml"), dir.path().join("fixed.xml"));
/// std::fs::write(&input, "<entity-engine-xml/>")?;
///
/// let cancel = Cancel::new();
/// // A command's Ctrl-C handler keeps a clone and sets it:
/// // let on_signal = cancel.clone();
/// // ctrlc::set_handler(move || on_signal.cancel())?;
/// cancel.cancel(); // as if Ctrl-C came before the first chunk
/// let options = Options::default().cancel(cancel);
/// let err = fix_file(&input, &output, &options, &mut |_| {}).unwrap_err();
/// assert!(err.is_interrupted());
/// assert!(!output.exists()); // nothing was written
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// [`Default`] gives a token nobody has cancelled. Two tokens compare equal
/// when they share one flag (clones of each other), whatever its state.
#[derive(Clone, Debug, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// A token nobody has cancelled yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the work holding this token (or a clone of it) to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether [`cancel`](Self::cancel) was called on this token or a clone.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// `Err(Interrupted)` once cancelled; `?` turns it into the caller's
    /// error (`Error::Interrupted`, `SplitError::Interrupted`).
    pub(crate) fn check(&self) -> Result<(), Interrupted> {
        if self.is_cancelled() {
            Err(Interrupted)
        } else {
            Ok(())
        }
    }
}

impl PartialEq for Cancel {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Cancel {}

/// The one notion of "stopped through its [`Cancel`]" inside the crate:
/// each job's error converts from it into its own `Interrupted` variant
/// ([`Error::Interrupted`](crate::Error::Interrupted), `SplitError::Interrupted`), whose message says
/// what that job leaves behind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Interrupted;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    #[test]
    fn clones_share_the_flag_and_others_do_not() {
        let a = Cancel::new();
        let b = a.clone();
        let other = Cancel::new();
        assert!(a.check().is_ok());
        b.cancel();
        assert!(a.is_cancelled());
        assert_eq!(a.check(), Err(Interrupted));
        assert!(matches!(Error::from(Interrupted), Error::Interrupted));
        assert!(!other.is_cancelled());
        assert!(other.check().is_ok());
        assert_eq!(a, b);
        assert_ne!(a, other);
    }
}
