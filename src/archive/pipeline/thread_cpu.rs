//! The CPU time the calling thread has used so far, read from the kernel's
//! per-thread counters (Linux only; `None` elsewhere), so that each stage
//! of an XML entry can say what it cost at the price of a few system calls
//! per thread.

use std::time::Duration;

/// The CPU time the calling thread has used since it started, when the
/// system says: `/proc/thread-self/schedstat` (nanoseconds on the CPU), or
/// failing that `/proc/thread-self/stat` (user and system time in clock
/// ticks of 1/100 s, the `USER_HZ` every Linux port uses).
#[cfg(target_os = "linux")]
pub(super) fn now() -> Option<Duration> {
    schedstat().or_else(stat)
}

/// The CPU time of the calling thread: unknown on this system.
#[cfg(not(target_os = "linux"))]
pub(super) fn now() -> Option<Duration> {
    None
}

#[cfg(target_os = "linux")]
fn schedstat() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns = text.split_ascii_whitespace().next()?.parse::<u64>().ok()?;
    Some(Duration::from_nanos(ns))
}

#[cfg(target_os = "linux")]
fn stat() -> Option<Duration> {
    /// Clock ticks per second in `/proc` (`USER_HZ`).
    const TICKS: u64 = 100;
    let text = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // The command name (field 2) may hold spaces and parentheses: count
    // from the last `)`. Fields 14 and 15 are utime and stime.
    let rest = &text[text.rfind(')')? + 1..];
    let mut fields = rest.split_ascii_whitespace().skip(11);
    let utime = fields.next()?.parse::<u64>().ok()?;
    let stime = fields.next()?.parse::<u64>().ok()?;
    let ticks = utime.checked_add(stime)?;
    Some(Duration::from_millis(ticks.checked_mul(1000 / TICKS)?))
}

/// Measures the CPU time the calling thread spends from its start.
pub(super) struct Stopwatch(Option<Duration>);

impl Stopwatch {
    /// Starts measuring on the calling thread.
    pub(super) fn start() -> Self {
        Self(now())
    }

    /// The CPU time the calling thread used since [`Stopwatch::start`]
    /// (call it on the same thread).
    pub(super) fn spent(&self) -> Option<Duration> {
        Some(now()?.saturating_sub(self.0?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_os = "linux")]
    fn busy_work_shows_in_the_thread_time_and_both_sources_agree() {
        let watch = Stopwatch::start();
        let mut x = 0u64;
        let begin = std::time::Instant::now();
        while begin.elapsed() < Duration::from_millis(60) {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        std::hint::black_box(x);
        let spent = watch.spent().unwrap();
        assert!(spent > Duration::from_millis(5), "{spent:?}");
        assert!(spent < Duration::from_secs(5), "{spent:?}");
        // The coarse source counts the same thread.
        let (fine, coarse) = (schedstat().unwrap(), stat().unwrap());
        assert!(
            coarse <= fine + Duration::from_millis(50),
            "{fine:?} {coarse:?}"
        );
    }

    #[test]
    #[cfg(not(target_os = "linux"))]
    fn unknown_elsewhere() {
        assert_eq!(Stopwatch::start().spent(), None);
    }
}
