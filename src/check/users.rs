//! What the cloud import refuses in users and groups: emails without a
//! top-level domain, reserved domains, duplicates, reserved user names; and
//! the groups that are not migrated.

use crate::rules::fnv::FnvMap;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, BuildHasherDefault};

/// Groups the cloud import does not migrate.
pub(crate) const NOT_MIGRATED: &[&str] = &[
    "site-admins",
    "system-administrators",
    "atlassian-addons",
    "atlassian-addons-admin",
];

/// Groups that are renamed on import: (server name, cloud name).
pub(crate) const RENAMED: &[(&str, &str)] = &[("jira-administrators", "administrators")];

/// Domains reserved for examples and tests (RFC 2606, RFC 6761).
const RESERVED_DOMAINS: &[&str] = &["example.com", "example.net", "example.org"];
const RESERVED_SUFFIXES: &[&str] = &[".example", ".test", ".invalid", ".localhost"];

/// What is wrong with one email address, if anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EmailProblem {
    Missing,
    Malformed,
    NoTopLevelDomain,
    ReservedDomain,
    LocalPartTooLong,
}

/// Checks an email address (already trimmed).
pub(crate) fn email_problem(email: &str) -> Option<EmailProblem> {
    if email.is_empty() {
        return Some(EmailProblem::Missing);
    }
    let Some((local, domain)) = email.rsplit_once('@') else {
        return Some(EmailProblem::Malformed);
    };
    if local.is_empty() || domain.is_empty() || domain.contains(char::is_whitespace) {
        return Some(EmailProblem::Malformed);
    }
    if local.chars().count() > 64 {
        return Some(EmailProblem::LocalPartTooLong);
    }
    let domain = domain.to_ascii_lowercase();
    if domain == "localhost"
        || RESERVED_DOMAINS.iter().any(|d| {
            domain
                .strip_suffix(d)
                .is_some_and(|r| r.is_empty() || r.ends_with('.'))
        })
    {
        return Some(EmailProblem::ReservedDomain);
    }
    if RESERVED_SUFFIXES
        .iter()
        .any(|s| domain.ends_with(s) || domain == s[1..])
    {
        return Some(EmailProblem::ReservedDomain);
    }
    let tld = domain.rsplit_once('.').map(|(_, t)| t);
    match tld {
        Some(t) if !t.is_empty() => None,
        _ => Some(EmailProblem::NoTopLevelDomain),
    }
}

/// Up to this many example values per finding.
pub(crate) const EXAMPLES: usize = 10;

/// Users seen so far, in a compact form: emails are remembered by a 64-bit
/// hash; only duplicates are kept as text.
#[derive(Debug, Default)]
pub(crate) struct UserTable {
    pub(crate) total: u64,
    /// Email hash -> the hash of the first user name seen with it.
    seen: HashMap<u64, u64, BuildHasherDefault<crate::rules::fnv::Fnv>>,
    /// For emails with more than one user name: the other names' hashes.
    others: HashMap<u64, Vec<u64>, BuildHasherDefault<crate::rules::fnv::Fnv>>,
    /// Duplicate emails (lower case) and how many distinct user names have
    /// each. Users count distinct by name first, as the migration assistant
    /// counts them: the same name with the same email in two directories is
    /// one user; different names sharing an email are duplicates.
    pub(crate) duplicates: BTreeMap<String, u64>,
    pub(crate) problems: BTreeMap<&'static str, (u64, Vec<String>)>,
    pub(crate) domains: FnvMap<String, u64>,
}

impl UserTable {
    fn problem(&mut self, code: &'static str, example: String) {
        let (n, examples) = self.problems.entry(code).or_default();
        *n += 1;
        if examples.len() < EXAMPLES {
            examples.push(example);
        }
    }

    /// One user: name and email as written.
    pub(crate) fn add(&mut self, name: &str, email: &str) {
        self.total += 1;
        let email = email.trim();
        if name.to_ascii_lowercase().starts_with("addon_") {
            self.problem("reserved-username", name.to_string());
        }
        if let Some(p) = email_problem(email) {
            let code = match p {
                EmailProblem::Missing => "email-missing",
                EmailProblem::Malformed => "email-malformed",
                EmailProblem::NoTopLevelDomain => "email-no-tld",
                EmailProblem::ReservedDomain => "email-reserved-domain",
                EmailProblem::LocalPartTooLong => "email-local-part-too-long",
            };
            let shown = if email.is_empty() {
                name.to_string()
            } else {
                format!("{name} <{email}>")
            };
            self.problem(code, shown);
        }
        if email.is_empty() {
            return;
        }
        let lower = email.to_lowercase();
        if let Some((_, domain)) = lower.rsplit_once('@') {
            *self.domains.entry(domain.to_string()).or_default() += 1;
        }
        let hasher = BuildHasherDefault::<crate::rules::fnv::Fnv>::default();
        let hash = hasher.hash_one(&lower);
        let user = hasher.hash_one(name.to_lowercase());
        let first = *self.seen.entry(hash).or_insert(user);
        if first == user {
            return;
        }
        let others = self.others.entry(hash).or_default();
        if !others.contains(&user) {
            others.push(user);
            *self.duplicates.entry(lower).or_insert(1) += 1;
        }
    }
}

/// A summary of the users for the report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct UserSummary {
    /// Users seen.
    pub total: u64,
    /// Email domains and how many users have each, most frequent first.
    pub domains: Vec<(String, u64)>,
}

/// A group the report names: not migrated, or renamed on import.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct GroupSummary {
    /// The group's name (lower case).
    pub name: String,
    /// Its direct user members.
    pub members: u64,
    /// The cloud group it becomes, when it is renamed rather than dropped.
    pub becomes: Option<String>,
}

/// The groups of `members` (name to member count) the import drops or renames.
pub(crate) fn group_summaries(members: &BTreeMap<String, u64>) -> Vec<GroupSummary> {
    members
        .iter()
        .map(|(name, n)| GroupSummary {
            name: name.clone(),
            members: *n,
            becomes: RENAMED
                .iter()
                .find(|(from, _)| from == name)
                .map(|(_, to)| (*to).to_owned()),
        })
        .collect()
}

impl UserTable {
    pub(crate) fn summary(&self) -> UserSummary {
        let mut domains: Vec<(String, u64)> =
            self.domains.iter().map(|(d, n)| (d.clone(), *n)).collect();
        domains.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        UserSummary {
            total: self.total,
            domains,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_classified_as_the_import_does() {
        assert_eq!(email_problem("jane@corp.example.co.uk"), None);
        assert_eq!(email_problem("jane@acme.co.uk"), None);
        assert_eq!(
            email_problem("john@company"),
            Some(EmailProblem::NoTopLevelDomain)
        );
        assert_eq!(
            email_problem("a@example.com"),
            Some(EmailProblem::ReservedDomain)
        );
        assert_eq!(
            email_problem("a@mail.example.org"),
            Some(EmailProblem::ReservedDomain)
        );
        // Only whole labels: a domain that merely ends in the same letters is fine.
        assert_eq!(email_problem("a@notexample.com"), None);
        assert_eq!(
            email_problem("a@build.test"),
            Some(EmailProblem::ReservedDomain)
        );
        assert_eq!(
            email_problem("a@x.invalid"),
            Some(EmailProblem::ReservedDomain)
        );
        assert_eq!(
            email_problem("a@localhost"),
            Some(EmailProblem::ReservedDomain)
        );
        assert_eq!(email_problem(""), Some(EmailProblem::Missing));
        assert_eq!(email_problem("nobody"), Some(EmailProblem::Malformed));
        let long = format!("{}@acme.com", "x".repeat(65));
        assert_eq!(email_problem(&long), Some(EmailProblem::LocalPartTooLong));
        assert_eq!(email_problem(&format!("{}@acme.com", "x".repeat(64))), None);
    }

    #[test]
    fn the_table_finds_duplicates_case_insensitively_and_counts_domains() {
        let mut t = UserTable::default();
        t.add("a", "Jane@Acme.com");
        t.add("b", "jane@acme.com");
        t.add("c", "JANE@ACME.COM");
        t.add("addon_x", "bot@acme.com");
        t.add("d", "");
        assert_eq!(t.duplicates.get("jane@acme.com"), Some(&3));
        // The same name again (another directory) is the same user.
        t.add("B", "jane@acme.com");
        assert_eq!(t.duplicates.get("jane@acme.com"), Some(&3));
        assert_eq!(t.problems["reserved-username"].0, 1);
        assert_eq!(t.problems["email-missing"].0, 1);
        let s = t.summary();
        assert_eq!(s.total, 6);
        assert_eq!(s.domains, vec![("acme.com".to_string(), 5)]);
    }

    #[test]
    fn users_count_distinct_by_name_before_emails_are_compared() {
        let mut t = UserTable::default();
        // One person in the internal directory and in LDAP: not a duplicate.
        t.add("jane", "jane@acme.com");
        t.add("Jane", "Jane@acme.com");
        assert!(t.duplicates.is_empty(), "{:?}", t.duplicates);
        // Another name with that address is.
        t.add("jdoe", "jane@acme.com");
        t.add("jdoe", "jane@acme.com");
        assert_eq!(t.duplicates.get("jane@acme.com"), Some(&2));
    }
}
