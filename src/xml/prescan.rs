//! The structural pre-scan of start tags: 64 bytes at a time classified into
//! a bitmask of the bytes that can end an attribute value (quotes, `<`,
//! `&`), then walked bit by bit, so that the values of a tag are found
//! from one classification instead of one block search each.

use crate::bytescan::{MASK_BLOCK, find_from, mask_64};

/// Bytes that stop the scan of an attribute value: either quote (the one
/// that opened the value ends it; the other is skipped), `<` (an error) and
/// `&` (a reference).
const VALUE_STOPS: [u8; 4] = [b'"', b'\'', b'<', b'&'];

/// Whether `c` is one of [`VALUE_STOPS`].
#[inline(always)]
fn is_value_stop(c: u8) -> bool {
    (c == b'"') | (c == b'\'') | (c == b'<') | (c == b'&')
}

/// The value stops of one 64-byte window of a tag, found once and looked up
/// for every value that starts in it.
#[derive(Debug)]
pub(crate) struct ValueStops {
    /// Index of the window's first byte. Before the first window it is so
    /// large that no index of a slice is within a window of it.
    base: usize,
    /// Bit `i` set when `b[base + i]` is a value stop.
    bits: u64,
}

impl Default for ValueStops {
    fn default() -> Self {
        Self {
            base: usize::MAX - MASK_BLOCK,
            bits: 0,
        }
    }
}

impl ValueStops {
    /// Index of the first value stop in `b[k..]`, if any: from the current
    /// window while `k` is in it, classifying the next window at `k`
    /// otherwise; the last bytes of `b` (fewer than a window) are searched
    /// 16 at a time. `b` must be the same slice on every call.
    #[inline]
    pub(crate) fn next(&mut self, b: &[u8], mut k: usize) -> Option<usize> {
        loop {
            let rel = k.wrapping_sub(self.base);
            if rel < MASK_BLOCK {
                let ahead = self.bits >> rel;
                if ahead != 0 {
                    return Some(k + ahead.trailing_zeros() as usize);
                }
                k = self.base + MASK_BLOCK;
            }
            let Some(window) = b.get(k..k + MASK_BLOCK) else {
                return find_from(b, k, is_value_stop);
            };
            let Ok(window) = <&[u8; MASK_BLOCK]>::try_from(window) else {
                return find_from(b, k, is_value_stop);
            };
            self.base = k;
            self.bits = mask_64(window, VALUE_STOPS);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stop_is_found_in_order_whatever_the_windows() {
        // Stops at every distance, across window ends and in the tail.
        for len in [0, 1, 63, 64, 65, 127, 128, 130, 200] {
            for step in [1, 2, 5, 13, 64, 70] {
                let b: Vec<u8> = (0..len)
                    .map(|i| match i % step {
                        0 if i % 3 == 0 => b'"',
                        0 if i % 3 == 1 => b'&',
                        0 => b'\'',
                        _ if i == 99 => b'<',
                        _ => b'a',
                    })
                    .collect();
                for start in 0..=len {
                    let mut stops = ValueStops::default();
                    let mut k = start;
                    while let Some(at) = stops.next(&b, k) {
                        let want = b[k..].iter().position(|&c| is_value_stop(c));
                        assert_eq!(Some(at - k), want, "{len} {step} {start} {k}");
                        k = at + 1;
                    }
                    assert!(!b[k.min(len)..].iter().any(|&c| is_value_stop(c)));
                }
            }
        }
    }
}
