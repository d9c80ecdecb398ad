//! Finding the first byte of a class in a slice 16 bytes at a time, and
//! classifying 64 bytes into a bitmask: each step classifies a fixed-size
//! block, which the compiler turns into vector compares and one mask (safe
//! code, no branch per byte).

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
        let hits = u128::from_le_bytes(flags);
        if hits != 0 {
            return Some(k + (hits.trailing_zeros() / 8) as usize);
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

/// Bytes classified by [`mask_64`].
pub(crate) const MASK_BLOCK: usize = 64;

/// The bitmask of the bytes of `block` that satisfy `hit`: bit `i` is set
/// when `hit(block[i])` (same shape of predicate as for [`find_from`]).
///
/// The block is classified with vector compares into one flag byte per
/// input byte (0x80 or 0); each 8 flag bytes then become 8 bits by one
/// multiplication, which gathers the top bit of every byte into the top
/// byte of the product. Safe Rust has no portable "move mask" instruction,
/// and the compiler does not find one for a loop of shifts.
#[inline(always)]
pub(crate) fn mask_64(block: &[u8; MASK_BLOCK], hit: impl Fn(u8) -> bool) -> u64 {
    /// Byte `i`'s top bit lands on bit `56 + i` of the product.
    const GATHER: u64 = 0x0002_0408_1020_4081;
    let flags: [u8; MASK_BLOCK] = std::array::from_fn(|i| if hit(block[i]) { 0x80 } else { 0 });
    let mut mask = 0;
    for (w, word) in flags.chunks_exact(8).enumerate() {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        mask |= (u64::from_le_bytes(bytes).wrapping_mul(GATHER) >> 56) << (8 * w);
    }
    mask
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
    fn the_mask_has_a_bit_for_each_hit_and_no_other() {
        // Every single place, every pair of places, and mixed patterns.
        let mut cases: Vec<[u8; 64]> = Vec::new();
        for a in 0..64 {
            for b in a..64 {
                let mut block = [b'x'; 64];
                block[a] = b'"';
                block[b] = b'<';
                cases.push(block);
            }
        }
        cases.push([b'"'; 64]);
        cases.push([0x80; 64]);
        cases.push(std::array::from_fn(|i| (i * 37 % 256) as u8));
        for block in cases {
            let hit = |c: u8| (c == b'"') | (c == b'<');
            let want = (0..64).fold(0u64, |m, i| m | (u64::from(hit(block[i])) << i));
            assert_eq!(mask_64(&block, hit), want);
        }
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
