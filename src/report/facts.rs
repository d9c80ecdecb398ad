//! What a backup states about itself (product, build, base URL, time zone),
//! as the rules learn it and the report shows it.

use serde::Serialize;
use std::any::Any;
use std::fmt;
use std::sync::Arc;

/// Which product wrote the XML, from its root element.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub enum Product {
    /// Jira `entities.xml` (`<entity-engine-xml>`).
    Jira,
    /// Confluence `entities.xml` (`<hibernate-generic>`).
    Confluence,
    /// Active Objects data (`activeobjects.xml`, Confluence `.pdata`: `<backup>`).
    ActiveObjects,
    /// Any other XML.
    Other,
}

impl Product {
    /// The product whose root element is `name`.
    pub(crate) fn from_root(name: &[u8]) -> Self {
        match name {
            b"entity-engine-xml" => Product::Jira,
            b"hibernate-generic" => Product::Confluence,
            b"backup" => Product::ActiveObjects,
            _ => Product::Other,
        }
    }
}

/// A value the backup states, and where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Stated {
    /// The value.
    pub value: String,
    /// Where it was found, e.g. "the header comment's jvm.system.timezone".
    pub source: String,
}

/// What a backup says about itself.
///
/// Learned by [`scan_facts`](crate::scan_facts) (a first pass that stops as
/// soon as it knows enough) or while fixing; it can also be filled in by the
/// caller (an archive driver reads Confluence's `exportDescriptor.properties`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct BackupFacts {
    /// The product, from the root element.
    pub product: Option<Product>,
    /// The product build, e.g. Jira's `7.10.0#710001-sha1:...`.
    pub build: Option<String>,
    /// The site's base URL.
    pub base_url: Option<Stated>,
    /// The server's time zone.
    pub zone: Option<Stated>,
    /// What a first pass built for the rules (not a fact the backup states,
    /// and never part of a report).
    #[serde(skip)]
    pub(crate) first_pass: FirstPass,
}

impl BackupFacts {
    /// Sets the zone (e.g. from Confluence's `timezoneId`).
    pub fn with_zone(mut self, zone: impl Into<String>, source: impl Into<String>) -> Self {
        self.zone = Some(Stated {
            value: zone.into(),
            source: source.into(),
        });
        self
    }

    /// Sets the base URL.
    pub fn with_base_url(mut self, url: impl Into<String>, source: impl Into<String>) -> Self {
        self.base_url = Some(Stated {
            value: url.into(),
            source: source.into(),
        });
        self
    }

    /// The facts alone, without what a first pass built: what a report shows.
    pub(crate) fn stated(&self) -> Self {
        Self {
            first_pass: FirstPass::default(),
            ..self.clone()
        }
    }
}

/// The indexes a first pass built for the rules (the Confluence page
/// index, Jira's users and groups), carried with the facts from
/// [`scan_facts`](crate::scan_facts) to the rules. Their type belongs to the
/// rules, which this layer does not know, so it is held opaque and shared:
/// clones point to the same data, and two are equal when they do.
#[derive(Clone, Default)]
pub(crate) struct FirstPass(Option<Arc<dyn Any + Send + Sync>>);

impl FirstPass {
    /// Holds `data`.
    pub(crate) fn new<T: Any + Send + Sync>(data: T) -> Self {
        Self(Some(Arc::new(data)))
    }

    /// The data, if it is a `T`.
    pub(crate) fn get<T: Any>(&self) -> Option<&T> {
        self.0.as_deref()?.downcast_ref()
    }
}

impl PartialEq for FirstPass {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        }
    }
}

impl Eq for FirstPass {}

impl fmt::Debug for FirstPass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(_) => f.write_str("FirstPass(..)"),
            None => f.write_str("FirstPass(none)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_pass_is_shared_typed_and_left_out_of_the_stated_facts() {
        let facts = BackupFacts {
            first_pass: FirstPass::new(7u32),
            ..BackupFacts::default().with_zone("Europe/Berlin", "test")
        };
        assert_eq!(facts.first_pass.get::<u32>(), Some(&7));
        assert_eq!(facts.first_pass.get::<u64>(), None);
        // Clones share the data; another holder of equal data is another pass.
        assert_eq!(facts.clone(), facts);
        assert_ne!(facts.first_pass, FirstPass::new(7u32));
        let stated = facts.stated();
        assert_eq!(stated.first_pass.get::<u32>(), None);
        assert_eq!(stated.zone, facts.zone);
    }
}
