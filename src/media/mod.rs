//! Listing the attachment files of a Jira home, a `data/attachments`
//! directory, a media zip or `split`'s output, in the stable order, into an
//! entry list on disk: what `split` plans from and `check --attachments`
//! joins with the backup. Below both jobs; the public items are re-exported
//! from [`split`](crate::split).

pub(crate) mod order;
pub(crate) mod record;
pub(crate) mod source;
pub(crate) mod walk;
pub(crate) mod zipsource;

/// The manifest's file name.
pub const MANIFEST: &str = "manifest.json";
