//! A count of items with the first few kept: the rows behind a report's or
//! a finding's number, and the examples shown for it.

use serde::Serialize;

/// How many items there were, and the first few of them, in the order met.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Firsts<T> {
    /// Number of items.
    pub(crate) count: u64,
    /// The first few (as many as the `keep` given to [`Firsts::add`]).
    pub(crate) first: Vec<T>,
}

impl<T> Default for Firsts<T> {
    fn default() -> Self {
        Self {
            count: 0,
            first: Vec::new(),
        }
    }
}

impl<T> Firsts<T> {
    /// Counts one more item, and keeps it (made by `item` only then) while
    /// fewer than `keep` are kept.
    pub(crate) fn add(&mut self, keep: usize, item: impl FnOnce() -> T) {
        self.count += 1;
        if self.first.len() < keep {
            self.first.push(item());
        }
    }

    /// The same count, with each kept item turned into another by `f`.
    #[cfg_attr(not(feature = "check"), allow(dead_code))]
    pub(crate) fn map<U>(&self, f: impl FnMut(&T) -> U) -> Firsts<U> {
        Firsts {
            count: self.count,
            first: self.first.iter().map(f).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Firsts;

    #[test]
    fn counts_every_item_but_keeps_and_makes_only_the_first_few() {
        let mut f = Firsts::default();
        let mut made = 0;
        for i in 0..5 {
            f.add(2, || {
                made += 1;
                i
            });
        }
        assert_eq!(f.count, 5);
        assert_eq!(f.first, [0, 1]);
        assert_eq!(made, 2, "items past the kept ones are not made");
        let shown = f.map(|i| format!("row {i}"));
        assert_eq!(shown.count, 5);
        assert_eq!(shown.first, ["row 0", "row 1"]);
    }
}
