//! Sizes on the example generators' command lines: `500MiB`, `64KiB`,
//! `1GiB` or a number of bytes.

/// Parses `s`; a bad size ends `program` with a message and exit status 2.
pub fn parse_size(program: &str, s: &str) -> u64 {
    let lower = s.to_ascii_lowercase();
    let (num, mult) = if let Some(n) = lower.strip_suffix("gib") {
        (n, 1u64 << 30)
    } else if let Some(n) = lower.strip_suffix("mib") {
        (n, 1 << 20)
    } else if let Some(n) = lower.strip_suffix("kib") {
        (n, 1 << 10)
    } else {
        (lower.as_str(), 1)
    };
    num.trim()
        .parse::<u64>()
        .map(|n| n * mult)
        .unwrap_or_else(|_| {
            eprintln!("{program}: {s:?} is not a size like 500MiB");
            std::process::exit(2)
        })
}
