//! Output, report and error do not depend on how the input is split.
#![no_main]

use backup_fix::{Fixer, Options, Report};
use libfuzzer_sys::fuzz_target;

fn run(data: &[u8], cuts: &[usize]) -> Result<(Vec<u8>, Report), String> {
    let mut fixer = Fixer::new(Options::default().max_tag_size(4096));
    let mut out = Vec::new();
    let mut from = 0;
    for &cut in cuts.iter().chain(std::iter::once(&data.len())) {
        let cut = cut.clamp(from, data.len());
        fixer.write(&data[from..cut], &mut out).map_err(|e| e.to_string())?;
        from = cut;
    }
    let report = fixer.finish(&mut out).map_err(|e| e.to_string())?;
    Ok((out, report))
}

fuzz_target!(|input: &[u8]| {
    // The first byte picks the piece size, the rest is the document.
    let Some((&step, data)) = input.split_first() else {
        return;
    };
    let step = usize::from(step % 17) + 1;
    let cuts: Vec<usize> = (step..data.len()).step_by(step).collect();
    assert_eq!(run(data, &cuts), run(data, &[]), "piece size {step}");
});
