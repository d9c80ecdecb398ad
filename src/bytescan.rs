//! Finding the first byte of a class in a slice 16 bytes at a time, and
//! classifying 64 bytes into a bitmask: each step classifies a fixed-size
//! block with vector compares and one mask (safe code, no branch per byte).

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

/// The bitmask of the bytes of `block` that equal one of `bytes`: bit `i`
/// is set when `block[i]` is in `bytes`.
///
/// Each 16 bytes are compared as one vector per byte of `bytes`, and the
/// compares' top bits are gathered into 16 bits at once (`pmovmskb` on
/// x86-64, through the `wide` crate's safe `to_bitmask`).
#[inline(always)]
pub(crate) fn mask_64<const N: usize>(block: &[u8; MASK_BLOCK], bytes: [u8; N]) -> u64 {
    let mut mask = 0;
    for (w, lanes) in block.chunks_exact(16).enumerate() {
        let mut v = [0u8; 16];
        v.copy_from_slice(lanes);
        let v = u8x16::from(v);
        let mut hit = u8x16::ZERO;
        for c in bytes {
            hit |= v.simd_eq(u8x16::splat(c));
        }
        mask |= u64::from(hit.to_bitmask()) << (16 * w);
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
            assert_eq!(mask_64(&block, [b'"', b'<']), want);
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
