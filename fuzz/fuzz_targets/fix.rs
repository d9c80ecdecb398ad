//! Arbitrary bytes never panic the fixer; whatever it accepts comes out as
//! UTF-8 that it accepts again unchanged (idempotence).
#![no_main]

use backup_fix::{Options, fix_bytes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let options = Options::default().max_tag_size(4096);
    if let Ok((out, _)) = fix_bytes(data, &options) {
        assert!(std::str::from_utf8(&out).is_ok(), "output is not UTF-8");
        let (again, report) = fix_bytes(&out, &options).expect("fixed output is accepted");
        assert_eq!(again, out, "fixing twice changed the output");
        assert!(report.is_unchanged(), "fixing twice reported changes");
    }
});
