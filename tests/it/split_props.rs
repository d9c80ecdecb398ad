//! Property tests of `split` on random trees: whatever the sizes, every zip
//! is within `--max-size` on disk and exactly its planned size, issues are
//! split only when they alone exceed the limit, zips below `--min-size` are
//! explained, projects are contiguous, and the union equals the tree.

use crate::split_common;

use backup_fix::split::{SplitOptions, plan, split};
use proptest::prelude::*;
use split_common::*;
use std::collections::BTreeMap;
use std::fs;

/// projects -> issues -> file sizes.
type Shape = Vec<Vec<Vec<u32>>>;

fn shape() -> impl Strategy<Value = Shape> {
    let size = prop_oneof![
        3 => 0u32..4_000,
        3 => 4_000u32..60_000,
        1 => 60_000u32..400_000,
    ];
    let issue = prop::collection::vec(size, 0..4);
    let project = prop::collection::vec(issue, 1..7);
    prop::collection::vec(project, 1..5)
}

fn issue_of(name: &str) -> Option<String> {
    let rest = name.strip_prefix("data/attachments/")?;
    let parts: Vec<&str> = rest.split('/').collect();
    (parts.len() >= 4).then(|| format!("{}/{}", parts[0], parts[2]))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_trees_split_within_bounds(
        shape in shape(),
        max_kib in 150u64..900,
        min_half in any::<bool>(),
        jobs in 1usize..3,
    ) {
        let home = tempfile::tempdir().unwrap();
        let mut id = 10_000u32;
        for (p, issues) in shape.iter().enumerate() {
            let key = format!("P{}", (b'A' + p as u8) as char);
            for (i, files) in issues.iter().enumerate() {
                let dir = home.path().join(format!("data/attachments/{key}/10000/{key}-{}", i + 1));
                fs::create_dir_all(&dir).unwrap();
                for &size in files {
                    id += 1;
                    fs::write(dir.join(id.to_string()), vec![(id % 251) as u8; size as usize]).unwrap();
                }
            }
        }
        put(&home.path().join("logos/logo.png"), b"logo");
        let max = max_kib << 10;
        let min = if min_half { max / 2 } else { 0 };
        let options = SplitOptions::default()
            .max_size(max)
            .min_size(min)
            .allow_oversize(true)
            .jobs(jobs)
            .sync(false);
        let planned = plan(home.path(), &options, None, &mut |_| {}).unwrap().manifest();
        let out = tempfile::tempdir().unwrap();
        let m = split(home.path(), out.path(), &options, &mut |_| {}).unwrap();
        // Exactly the planned sizes, within the limit unless oversize.
        let sizes = |m: &backup_fix::split::Manifest| {
            m.zips.iter().map(|z| (z.size, z.entries)).collect::<Vec<_>>()
        };
        prop_assert_eq!(sizes(&planned), sizes(&m));
        assert_sizes(&m, out.path(), max);
        for z in &m.zips {
            prop_assert!(z.oversize == (z.size > max));
            if z.oversize {
                prop_assert_eq!(z.entries, 1);
            }
        }
        for z in &m.zips[..m.zips.len() - 1] {
            prop_assert!(
                z.size >= min || z.oversize || m.warnings.iter().any(|w| w.starts_with(&z.name)),
                "{} is {} < {} unexplained: {:?}", z.name, z.size, min, m.warnings
            );
        }
        prop_assert!(m.zips[0].logos);
        // Issues stay together unless the issue alone exceeds the limit.
        let entries = zip_entries(&zips_in(out.path()));
        let mut zips_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (name, e) in &entries {
            if let Some(issue) = issue_of(name) {
                let v = zips_of.entry(issue).or_default();
                if !v.contains(&e.zip) {
                    v.push(e.zip.clone());
                }
            }
        }
        for (issue, zips) in &zips_of {
            if zips.len() > 1 {
                let key = issue.rsplit('/').next().unwrap();
                prop_assert!(
                    m.warnings.iter().any(|w| w.contains(&format!("issue {key} ")) && w.contains("split between its files")),
                    "{} split over {:?} without a warning", issue, zips
                );
            }
        }
        // Projects occupy consecutive zips.
        let mut orders: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for z in &m.zips {
            for p in &z.projects {
                orders.entry(p.key.clone()).or_default().push(z.order);
            }
        }
        for (key, o) in &orders {
            prop_assert!(o.windows(2).all(|w| w[1] == w[0] + 1), "{} in {:?}", key, o);
        }
        assert_union_equals_tree(home.path(), &zips_in(out.path()));
    }
}
