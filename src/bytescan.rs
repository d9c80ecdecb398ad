//! Finding the first byte of a class in a slice 16 bytes at a time: each
//! step classifies a fixed-size block, which the compiler turns into vector
//! compares and one mask (safe code, no branch per byte).

use wide::u8x16;

/// Bytes classified per step.
const BLOCK: usize = 16;

/// Index of the first byte in `b[k..]` for which `stop` is true, if any.
///
/// `stop` must be a plain function of the byte (comparisons combined with
/// `|` and `&`, not `||` and `&&`) for the block to be classified at once.
#[inline(always)]
pub(crate) fn find_from(b: &[u8], mut k: usize, stop: impl Fn(u8) -> bool) -> Option<usize> {
    while let Some(window) = b.get(k..k + BLOCK) {
        let Ok(block) = <&[u8; BLOCK]>::try_from(window) else {
            break;
        };
        let flags: [u8; BLOCK] = std::array::from_fn(|i| if stop(block[i]) { 0xFF } else { 0 });
        // One bit per byte, straight from the vector register.
        let hits = u8x16::from(flags).to_bitmask();
        if hits != 0 {
            return Some(k + hits.trailing_zeros() as usize);
        }
        k += BLOCK;
    }
    b.get(k..)?.iter().position(|&c| stop(c)).map(|d| k + d)
}

/// True if any byte of the 32-byte `block` satisfies `hit` (same shape of
/// predicate as for [`find_from`]).
#[inline(always)]
pub(crate) fn any_in_32(block: &[u8; 32], hit: impl Fn(u8) -> bool) -> bool {
    let mut any = false;
    for &b in block {
        any |= hit(b);
    }
    any
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_first_stop_at_every_place_and_length() {
        for len in 0..70 {
            for at in 0..=len {
                let mut b = vec![b'a'; len];
                if at < len {
                    b[at] = b'"';
                    if at + 3 < len {
                        b[at + 3] = b'"';
                    }
                }
                for k in 0..=len {
                    let want = b[k..].iter().position(|&c| c == b'"').map(|d| k + d);
                    assert_eq!(find_from(&b, k, |c| c == b'"'), want, "{len} {at} {k}");
                }
            }
        }
        assert_eq!(find_from(b"abc", 7, |c| c == b'"'), None);
    }

    #[test]
    fn any_sees_each_place() {
        for at in 0..32 {
            let mut block = [b'x'; 32];
            assert!(!any_in_32(&block, |c| c == b'<'));
            block[at] = b'<';
            assert!(any_in_32(&block, |c| c == b'<'));
        }
    }
}
