//! Progress on stderr: one labelled bar per phase, in decimal megabytes
//! (the unit of the summaries), hidden when quiet or not on a terminal.

use backup_fix::driver::{Phase, Progress, ZipStep};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

/// A bar with bytes, rate and ETA.
const BYTES: &str = "{spinner} {msg:<22} [{elapsed_precise}] {wide_bar} {decimal_bytes}/{decimal_total_bytes} {decimal_bytes_per_sec} ETA {eta}";
/// A bar in percent, for work counted in units that are not the data's size.
const PERCENT: &str = "{spinner} {msg:<22} [{elapsed_precise}] {wide_bar} {percent:>3}% ETA {eta}";
/// A spinner and a label, for work of unknown size.
const SPINNER: &str = "{spinner} {msg} [{elapsed_precise}]";

/// The label of a phase; `main` is what the command calls its main phase
/// ("repairing", "checking").
fn label(main: &'static str, phase: Phase) -> &'static str {
    match phase {
        Phase::FirstPass => "first pass (facts)",
        Phase::Main => main,
        Phase::Syncing => "syncing to disk",
        Phase::Verifying => "verifying",
        _ => "working",
    }
}

/// A progress display that switches bar style and label with the phase.
pub(crate) struct Display {
    bar: ProgressBar,
    main: &'static str,
    shown: Mutex<Option<Shown>>,
}

/// What the bar shows now, to notice a change.
#[derive(Clone, PartialEq, Eq)]
enum Shown {
    Phase(Phase, bool),
    Split(&'static str),
}

impl Display {
    /// A display on stderr, hidden when `quiet` or stderr is not a terminal;
    /// `main` labels the main phase.
    pub(crate) fn new(quiet: bool, main: &'static str) -> Self {
        let bar = if quiet || !std::io::stderr().is_terminal() {
            ProgressBar::hidden()
        } else {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        };
        Self {
            bar,
            main,
            shown: Mutex::new(None),
        }
    }

    /// Restyles and relabels the bar if `now` differs from what it shows.
    fn switch(&self, now: Shown, template: &str, message: String) {
        let Ok(mut shown) = self.shown.lock() else {
            return;
        };
        if shown.as_ref() == Some(&now) {
            return;
        }
        *shown = Some(now);
        self.bar.set_style(
            ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        self.bar.set_message(message);
        self.bar.set_position(0);
        self.bar.reset_eta();
        self.bar.reset_elapsed();
    }

    /// Shows a file or archive run's progress.
    pub(crate) fn show(&self, p: Progress) {
        let sized = p.total.is_some();
        let template = if sized { BYTES } else { SPINNER };
        self.switch(
            Shown::Phase(p.phase, sized),
            template,
            label(self.main, p.phase).to_owned(),
        );
        if let Some(total) = p.total {
            self.bar.set_length(total);
        }
        self.bar.set_position(p.read);
    }

    /// Shows a split's progress.
    pub(crate) fn show_split(&self, p: Progress) {
        match p.phase {
            Phase::Scanning => {
                self.switch(Shown::Split("scanning"), SPINNER, String::new());
                self.bar.set_message(format!(
                    "scanning: {} files, {}",
                    thousands(p.entries.unwrap_or(0)),
                    indicatif::DecimalBytes(p.read)
                ));
            }
            Phase::Zip(step) => {
                self.switch(Shown::Split("zips"), PERCENT, String::new());
                let doing = match step {
                    ZipStep::Checking => "checking",
                    ZipStep::Writing => "writing",
                    ZipStep::Verifying => "verifying",
                    _ => "working on",
                };
                let name = p.item.as_deref().unwrap_or_default();
                self.bar.set_message(format!("{doing} {name}"));
            }
            Phase::Main => {
                self.switch(Shown::Split("zips"), PERCENT, String::new());
                if let Some(total) = p.total {
                    self.bar.set_length(total);
                }
                self.bar.set_position(p.read);
            }
            _ => {}
        }
    }

    /// Removes the bar.
    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// `312000` as "312,000".
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn counts_get_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(312_000), "312,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
