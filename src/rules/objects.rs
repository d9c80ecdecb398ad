//! Reading Confluence's `<object>` records as they stream past: class, id,
//! property values (text, or the id of the object a property refers to) and
//! the ids listed in a collection, for the classes a caller asks for.
//!
//! ```text
//! <object class="Page" package="...">
//!   <id name="id">196615</id>
//!   <property name="space" class="Space" ...><id name="id">360449</id></property>
//!   <property name="title"><![CDATA[What is Confluence?]]></property>
//!   <collection name="contentProperties" ...><element ...><id name="id">393281</id></element></collection>
//! </object>
//! ```

use crate::xml::rules::StartTag;
use std::collections::BTreeMap;

/// Longest property text kept.
const MAX_PROPERTY: usize = 4096;

/// One finished object.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Object {
    pub(crate) class: String,
    pub(crate) id: String,
    /// Property name -> text (or the id of the object it refers to).
    pub(crate) props: BTreeMap<String, String>,
    /// Collection name -> the ids of its elements.
    pub(crate) collections: BTreeMap<String, Vec<u64>>,
}

impl Object {
    /// A property's value, trimmed.
    pub(crate) fn prop(&self, name: &str) -> Option<&str> {
        self.props
            .get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// A property's value as a number.
    pub(crate) fn num(&self, name: &str) -> Option<u64> {
        self.prop(name)?.parse().ok()
    }

    /// The object's id as a number.
    pub(crate) fn id_num(&self) -> Option<u64> {
        self.id.trim().parse().ok()
    }
}

/// Where in an object the reader is.
#[derive(Debug, Default)]
struct Reading {
    object: Object,
    property: Option<String>,
    collection: Option<String>,
    text: String,
    in_id: bool,
}

/// Reads the objects of the given classes; depths count open elements, the
/// root (`<hibernate-generic>`) being at depth 0.
#[derive(Debug)]
pub(crate) struct ObjectReader {
    classes: &'static [&'static str],
    reading: Option<Reading>,
    /// Properties whose text is not kept (page bodies: they can be huge).
    skip_text: &'static [&'static str],
    /// When not empty, the only properties read (the others are passed over
    /// without a copy of their name or text).
    keep: &'static [&'static str],
}

impl ObjectReader {
    pub(crate) fn new(
        classes: &'static [&'static str],
        skip_text: &'static [&'static str],
    ) -> Self {
        Self {
            classes,
            reading: None,
            skip_text,
            keep: &[],
        }
    }

    /// Reads only the properties named in `keep`.
    #[cfg(feature = "check")]
    pub(crate) fn keeping(mut self, keep: &'static [&'static str]) -> Self {
        self.keep = keep;
        self
    }

    /// Whether text now would be kept (an object's id or a property is
    /// being read).
    pub(crate) fn takes_text(&self) -> bool {
        self.reading
            .as_ref()
            .is_some_and(|r| r.in_id || r.property.is_some())
    }

    /// The class and id of the object being read, and the property, if any.
    #[cfg(feature = "check")]
    pub(crate) fn current(&self) -> Option<(&str, &str, Option<&str>)> {
        self.reading.as_ref().map(|r| {
            (
                r.object.class.as_str(),
                r.object.id.as_str(),
                r.property.as_deref(),
            )
        })
    }

    /// A start tag at `depth`.
    pub(crate) fn start_tag(&mut self, tag: &StartTag<'_>, depth: usize) {
        match (tag.name(), depth) {
            (b"object", 1) => {
                // Compared as bytes: most objects are of classes not asked for.
                let class = tag.attr(b"class");
                self.reading = self
                    .classes
                    .iter()
                    .find(|c| class.as_deref() == Some(c.as_bytes()))
                    .map(|class| Reading {
                        object: Object {
                            class: (*class).to_owned(),
                            ..Object::default()
                        },
                        ..Reading::default()
                    });
            }
            (b"id", 2..=4) => {
                if let Some(r) = self.reading.as_mut() {
                    // The object's own id, a referenced object's, or a collection element's.
                    r.in_id = match depth {
                        2 => true,
                        3 => r.property.is_some(),
                        _ => r.collection.is_some(),
                    };
                    r.text.clear();
                }
            }
            (b"property", 2) => {
                if let Some(r) = self.reading.as_mut() {
                    r.property = if self.keep.is_empty() {
                        tag.attr_text(b"name")
                    } else {
                        let name = tag.attr(b"name");
                        self.keep
                            .iter()
                            .find(|k| name.as_deref() == Some(k.as_bytes()))
                            .map(|k| (*k).to_owned())
                    };
                    r.text.clear();
                }
            }
            (b"collection", 2) => {
                if let Some(r) = self.reading.as_mut() {
                    r.collection = tag.attr_text(b"name");
                }
            }
            _ => {}
        }
    }

    /// Text or CDATA inside the current element.
    pub(crate) fn text(&mut self, piece: &[u8]) {
        let skip = self.skip_text;
        if let Some(r) = self.reading.as_mut()
            && (r.in_id || r.property.as_deref().is_some_and(|p| !skip.contains(&p)))
            && r.text.len() < MAX_PROPERTY
        {
            r.text.push_str(&String::from_utf8_lossy(piece));
        }
    }

    /// An end tag; `depth_after` is the depth of the element just closed.
    /// Returns the object when it is complete.
    pub(crate) fn end_tag(&mut self, depth_after: usize) -> Option<Object> {
        let r = self.reading.as_mut()?;
        match depth_after {
            1 => return self.reading.take().map(|r| r.object),
            // </id> of the object, </property> or </collection>.
            2 => {
                let text = std::mem::take(&mut r.text);
                if r.in_id && r.property.is_none() && r.collection.is_none() {
                    r.object.id = text.trim().to_string();
                } else if let Some(p) = r.property.take() {
                    r.object.props.entry(p).or_insert(text);
                }
                r.collection = None;
                r.in_id = false;
            }
            // </id> of an object a property refers to.
            3 if r.in_id => {
                if let Some(p) = r.property.clone() {
                    let text = std::mem::take(&mut r.text);
                    r.object.props.insert(p, text.trim().to_string());
                }
                r.in_id = false;
            }
            // </id> of a collection element.
            4 if r.in_id => {
                if let (Some(c), Ok(id)) = (r.collection.clone(), r.text.trim().parse()) {
                    r.object.collections.entry(c).or_default().push(id);
                }
                r.text.clear();
                r.in_id = false;
            }
            _ => {}
        }
        None
    }
}
