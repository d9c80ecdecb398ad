//! `check` never panics on arbitrary bytes, and its verdict agrees with
//! `fix`: it says `fix` cures everything exactly when `fix` succeeds, and
//! whatever `fix` writes, `check` finds well-formed and clean.
#![no_main]

use backup_fix::check::check_xml_stream;
use backup_fix::{Options, fix_bytes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let report = check_xml_stream("fuzz.xml", data).expect("reading bytes cannot fail");
    let verdict = &report.files[0];
    let fixed = fix_bytes(data, &Options::default());
    assert_eq!(
        verdict.fix_cures_all,
        fixed.is_ok(),
        "check says fix cures all: {}, fix says {:?}",
        verdict.fix_cures_all,
        fixed.as_ref().err()
    );
    if verdict.well_formed {
        assert!(verdict.first_error.is_none());
    }
    if let Ok((out, _)) = fixed {
        let again = check_xml_stream("fixed.xml", out.as_slice()).expect("reads");
        let v = &again.files[0];
        assert!(
            v.well_formed,
            "fix wrote what check refuses: {:?}",
            v.first_error
        );
        assert_eq!(v.curable, 0, "fix left repairs to do");
    }
});
