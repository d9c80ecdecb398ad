//! The sans-IO repair pipeline: push input chunks in, get repaired output
//! chunks out, and a [`Report`] at the end. No files, threads or async here;
//! the drivers in [`crate::driver`] wrap it for readers, writers and paths.

use crate::decode::Decoder;
use crate::error::Error;
use crate::report::{DEFAULT_LOCATIONS_KEPT, Report};
use crate::sink::{Counting, Sink};
use crate::xml::rules::NoRules;
use crate::xml::scanner::{Limits, XmlStage};

/// Default for [`Options::max_tag_size`]: 16 MiB.
pub const DEFAULT_MAX_TAG_SIZE: usize = 16 << 20;

/// What a repair does and how much memory it may hold.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Options {
    /// Largest unit held whole in memory: a start tag with all its attributes,
    /// a processing instruction, a DOCTYPE. Text, CDATA and comments are
    /// streamed and have no limit. A larger unit stops the repair with
    /// [`Error::TokenTooLarge`].
    pub max_tag_size: usize,
    /// How many locations the report keeps for each kind of change.
    pub locations_kept: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            max_tag_size: DEFAULT_MAX_TAG_SIZE,
            locations_kept: DEFAULT_LOCATIONS_KEPT,
        }
    }
}

impl Options {
    /// Sets [`Options::max_tag_size`].
    pub fn max_tag_size(mut self, bytes: usize) -> Self {
        self.max_tag_size = bytes;
        self
    }

    /// Sets [`Options::locations_kept`].
    pub fn locations_kept(mut self, n: usize) -> Self {
        self.locations_kept = n;
        self
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Running,
    Failed,
}

/// Repairs one XML stream, chunk by chunk.
///
/// Feed the input with [`Fixer::write`] in chunks of any size, then call
/// [`Fixer::finish`]. The output goes to a [`Sink`] as it is produced; it
/// is the same, and so is the report, however the input is split.
///
/// ```
/// use backup_fix::{Fixer, Options};
///
/// let mut fixer = Fixer::new(Options::default());
/// let mut out = Vec::new();
/// fixer.write(b"<a>bad\x1c char", &mut out)?;
/// fixer.write(b"acter &#1;</a>", &mut out)?;
/// let report = fixer.finish(&mut out)?;
/// assert_eq!(out, b"<a>bad character </a>");
/// assert_eq!(report.changes(), 2);
/// # Ok::<(), backup_fix::Error>(())
/// ```
pub struct Fixer {
    decoder: Decoder,
    xml: XmlStage<NoRules>,
    state: State,
}

impl Fixer {
    /// A fixer with the given options.
    pub fn new(options: Options) -> Self {
        let limits = Limits {
            max_token: options.max_tag_size,
            keep: options.locations_kept,
        };
        Self {
            decoder: Decoder::default(),
            xml: XmlStage::new(NoRules, limits),
            state: State::Running,
        }
    }

    /// Repairs the next chunk of input, writing what is ready to `out`.
    ///
    /// After an error the fixer is spent: further calls return an error.
    pub fn write<S: Sink + ?Sized>(&mut self, input: &[u8], out: &mut S) -> Result<(), Error> {
        if self.state == State::Failed {
            return Err(Error::Finished("failed"));
        }
        let mut counting = Counting {
            inner: out,
            count: 0,
        };
        let r = self.decoder.write(input, &mut self.xml, &mut counting);
        self.xml.report.input_bytes += input.len() as u64;
        self.xml.report.output_bytes += counting.count;
        if r.is_err() {
            self.state = State::Failed;
        }
        r
    }

    /// Ends the input: writes what is left, checks the document is complete,
    /// and returns the report.
    pub fn finish<S: Sink + ?Sized>(mut self, out: &mut S) -> Result<Report, Error> {
        if self.state == State::Failed {
            return Err(Error::Finished("failed"));
        }
        let mut counting = Counting {
            inner: out,
            count: 0,
        };
        let r = self
            .decoder
            .finish(&mut self.xml, &mut counting)
            .and_then(|()| self.xml.finish(&mut counting));
        self.xml.report.output_bytes += counting.count;
        r?;
        Ok(self.report())
    }

    /// The report so far (complete after [`Fixer::finish`]).
    pub fn report(&self) -> Report {
        let mut report = self.xml.report.clone();
        report.encoding = self.decoder.report.clone();
        report
    }

    /// Bytes of input consumed so far.
    pub fn input_bytes(&self) -> u64 {
        self.xml.report.input_bytes
    }
}

/// Repairs a whole in-memory document.
///
/// ```
/// let (out, report) = backup_fix::fix_bytes(b"<a>\x08</a>", &Default::default())?;
/// assert_eq!(out, b"<a></a>");
/// assert_eq!(report.changes(), 1);
/// # Ok::<(), backup_fix::Error>(())
/// ```
pub fn fix_bytes(input: &[u8], options: &Options) -> Result<(Vec<u8>, Report), Error> {
    let mut fixer = Fixer::new(options.clone());
    let mut out = Vec::with_capacity(input.len());
    fixer.write(input, &mut out)?;
    let report = fixer.finish(&mut out)?;
    Ok((out, report))
}
