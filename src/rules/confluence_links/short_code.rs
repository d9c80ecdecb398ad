//! Confluence short links (`/x/<code>`): the code is the page id, in a
//! URL-safe Base64 of its little-endian bytes.

/// Decodes a short-link code (`/x/<code>`) to a page id: `-` and `_` stand
/// for `/` and `+`, the code is right-padded with `A` to 11 characters, and
/// the Base64 decodes to the id as a little-endian 64-bit integer.
pub(crate) fn decode_short_code(code: &str) -> Option<u64> {
    if code.is_empty() || code.len() > 11 {
        return None;
    }
    let mut bits: u128 = 0;
    let mut n = 0;
    for c in code.bytes().chain(std::iter::repeat(b'A')).take(11) {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'/' => 63,
            b'_' | b'+' => 62,
            _ => return None,
        };
        bits = (bits << 6) | u128::from(v);
        n += 6;
    }
    // 66 bits: the last 2 are padding; the first 64 are 8 bytes, little-endian.
    let bytes = (bits >> (n - 64)) as u64;
    Some(u64::from_le_bytes(bytes.to_be_bytes()))
}

/// The short-link code of a page id (the inverse of [`decode_short_code`]).
#[cfg(test)]
pub(crate) fn encode_short_code(id: u64) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    let bits = u128::from(u64::from_be_bytes(id.to_le_bytes())) << 2;
    let mut code: String = (0..11)
        .rev()
        .map(|i| ALPHABET[((bits >> (i * 6)) & 63) as usize] as char)
        .collect();
    while code.ends_with('A') {
        code.pop();
    }
    code
}
