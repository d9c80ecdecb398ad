//! Output, report and error do not depend on how the input is split, with
//! and without the rules (timestamps, links, shares, dropping app tables).
#![no_main]

use backup_fix::{AppDataSelector, Fixer, Options, Report, TzChoice, UrlMapping};
use libfuzzer_sys::fuzz_target;

fn run(data: &[u8], cuts: &[usize], options: &Options) -> Result<(Vec<u8>, Report), String> {
    let mut fixer = Fixer::new(options.clone()).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    let mut from = 0;
    for &cut in cuts.iter().chain(std::iter::once(&data.len())) {
        let cut = cut.clamp(from, data.len());
        fixer
            .write(&data[from..cut], &mut out)
            .map_err(|e| e.to_string())?;
        from = cut;
    }
    let report = fixer.finish(&mut out).map_err(|e| e.to_string())?;
    Ok((out, report))
}

fuzz_target!(|input: &[u8]| {
    // The first byte picks the piece size and whether rules are on; the rest is the document.
    let Some((&step, data)) = input.split_first() else {
        return;
    };
    let mut options = Options::default().max_tag_size(4096);
    if step & 0x80 != 0 {
        options = options
            .tz(TzChoice::Zone("Europe/Berlin".into()))
            .map_url(UrlMapping::parse("http://a.b:8080=https://c.d").expect("mapping"))
            .map_url(UrlMapping::parse("http://a.b:8080/x=https://e.f/y").expect("mapping"))
            .restrict_global_shares(true);
    }
    if step & 0x40 != 0 {
        // Drops elements (and their lines) through the engine's gate.
        options = options.drop_app_data(AppDataSelector::parse("AO_AAAAAA").expect("selector"));
    }
    let step = usize::from(step % 17) + 1;
    let cuts: Vec<usize> = (step..data.len()).step_by(step).collect();
    assert_eq!(
        run(data, &cuts, &options),
        run(data, &[], &options),
        "piece size {step}"
    );
});
