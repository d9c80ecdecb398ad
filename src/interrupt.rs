//! A process-wide request to stop, for signal handlers.
//!
//! A command-line tool's Ctrl-C handler calls [`request`]. Long operations
//! ([`fix_file`](crate::driver::fix_file), [`fix_zip`](crate::archive::fix_zip),
//! [`split`](crate::split::split), [`check_path`](crate::check::check_path))
//! look at it between chunks and stop with [`Error::Interrupted`] (or
//! `SplitError::Interrupted`), removing their temporary output as on any
//! other error, so an interrupted run leaves nothing half-written behind.
//!
//! ```no_run
//! // A command's Ctrl-C handler (the `ctrlc` crate here):
//! // ctrlc::set_handler(backup_fix::interrupt::request)?;
//! use backup_fix::{Options, driver::fix_file};
//! let result = fix_file("entities.xml".as_ref(), "fixed.xml".as_ref(), &Options::default(), &mut |_| {});
//! if let Err(e) = &result {
//!     if e.is_interrupted() {
//!         std::process::exit(130); // fixed.xml was not written
//!     }
//! }
//! ```

use crate::error::Error;
use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Asks every running operation in this process to stop.
pub fn request() {
    REQUESTED.store(true, Ordering::SeqCst);
}

/// Whether a stop was asked for.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::Relaxed)
}

/// Withdraws the request, so later operations run.
pub fn clear() {
    REQUESTED.store(false, Ordering::SeqCst);
}

/// `Err(Error::Interrupted)` once a stop was asked for.
pub(crate) fn check() -> Result<(), Error> {
    if requested() {
        Err(Error::Interrupted)
    } else {
        Ok(())
    }
}
