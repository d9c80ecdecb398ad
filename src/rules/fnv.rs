//! A small, fast hasher (FNV-1a) for the rules' maps, whose keys are short
//! byte strings from the backup (host names, `Entity.field`): SipHash's
//! protection against chosen keys costs more than it buys here, since every
//! map is bounded.

use std::hash::{BuildHasherDefault, Hasher};

/// FNV-1a, 64-bit.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
    }
}

/// A `HashMap` with FNV hashing.
pub(crate) type FnvMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<Fnv>>;

/// A `HashSet` with FNV hashing.
pub(crate) type FnvSet<K> = std::collections::HashSet<K, BuildHasherDefault<Fnv>>;
