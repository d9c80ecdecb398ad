//! Drivers: thin loops that run the sans-IO [`Fixer`](crate::Fixer) over
//! readers and writers ([`fix_stream`]), over files and standard streams with
//! compression and atomic output ([`fix_file`]), over whatever a path holds,
//! a backup zip or XML ([`fix_path`](crate::fix_path), with the `archive`
//! feature, above both drivers), and, with the
//! `tokio` feature, over async streams ([`tokio::fix_async`]).

mod blocking;
pub(crate) mod files;
mod progress;
#[cfg(feature = "tokio")]
pub mod tokio;

pub use blocking::{fix_stream, fix_stream_with_progress};
pub use files::{Compression, fix_file};
pub use progress::{Phase, Progress, ZipStep};
