//! What backup-fix knows about Jira's `entities.xml`: which timestamp-shaped
//! attributes are not instants, and where the backup states its own zone.
//! Product knowledge lives here, in tables; the mechanism is elsewhere.

/// Why a timestamp-shaped attribute is left alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Keep {
    /// The value means a calendar day, stored as midnight: shifting would move it to another day.
    DateOnly,
    /// The value is a string that looks like a timestamp, not a timestamp column.
    String,
}

/// One exception to "every attribute of timestamp shape is an instant".
pub(crate) struct Exception {
    pub(crate) entity: &'static str,
    /// The attribute, or `"*"` for every attribute of the entity.
    pub(crate) field: &'static str,
    pub(crate) keep: Keep,
    /// Why (for the next person who finds a surprise in a real export).
    #[allow(dead_code)]
    pub(crate) why: &'static str,
}

/// Timestamp-shaped attributes that must not be shifted to UTC.
///
/// `CustomFieldValue.datevalue` is date-only too, but only for custom fields
/// of type `...:datepicker`; that is learned from the `CustomField` rows that
/// precede the values (see [`is_datepicker`]).
pub(crate) const EXCEPTIONS: &[Exception] = &[
    Exception {
        entity: "Issue",
        field: "duedate",
        keep: Keep::DateOnly,
        why: "a due date is a day; Jira stores it as local midnight",
    },
    Exception {
        entity: "Version",
        field: "startdate",
        keep: Keep::DateOnly,
        why: "a version's start date is a day",
    },
    Exception {
        entity: "Version",
        field: "releasedate",
        keep: Keep::DateOnly,
        why: "a version's release date is a day",
    },
    Exception {
        entity: "ChangeItem",
        field: "*",
        keep: Keep::String,
        why: "issue history keeps oldvalue/oldstring/newvalue/newstring as display strings; \
              real exports hold field=\"duedate\" newstring=\"2014-06-24 00:00:00.0\", which \
              shifting would move to the previous day",
    },
    Exception {
        entity: "OSPropertyString",
        field: "value",
        keep: Keep::String,
        why: "free-form property strings; real exports hold value=\"2021-07-13 10:37:40\"",
    },
];

/// The exception for `entity.field`, if any.
pub(crate) fn exception(entity: &[u8], field: &[u8]) -> Option<Keep> {
    EXCEPTIONS
        .iter()
        .find(|e| e.entity.as_bytes() == entity && (e.field == "*" || e.field.as_bytes() == field))
        .map(|e| e.keep)
}

/// The entity and attribute of `CustomFieldValue.datevalue`, date-only for datepicker fields.
pub(crate) const CUSTOM_FIELD_VALUE: (&[u8], &[u8]) = (b"CustomFieldValue", b"datevalue");

/// Whether a `CustomField`'s `customfieldtypekey` is a date picker (a day, not an instant).
pub(crate) fn is_datepicker(type_key: &[u8]) -> bool {
    type_key.ends_with(b":datepicker")
}

/// The property key whose `OSPropertyString` holds the JVM's zone.
pub(crate) const ZONE_PROPERTY: &[u8] = b"jvm.system.timezone";
/// The property key whose `OSPropertyString` holds the base URL.
pub(crate) const BASE_URL_PROPERTY: &[u8] = b"jira.baseurl";

/// Lines of the header comment: `key : value`.
pub(crate) fn header_value<'a>(comment: &'a str, key: &str) -> Option<&'a str> {
    comment.lines().find_map(|line| {
        let (k, v) = line.split_once(" : ")?;
        (k.trim() == key)
            .then(|| v.trim())
            .filter(|v| !v.is_empty())
    })
}

/// Rewrites the header comment's `jvm.system.timezone : ZONE` line to UTC.
/// Returns `None` when there is no such line or it says UTC already.
pub(crate) fn header_zone_to_utc(comment: &str) -> Option<String> {
    let mut out = String::with_capacity(comment.len());
    let mut changed = false;
    for line in comment.split_inclusive('\n') {
        match line.split_once(" : ") {
            Some((k, v)) if k.trim() == "jvm.system.timezone" && v.trim() != "UTC" => {
                let eol = &v[v.trim_end().len()..];
                out.push_str(k);
                out.push_str(" : UTC");
                out.push_str(eol);
                changed = true;
            }
            _ => out.push_str(line),
        }
    }
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exceptions_cover_the_known_cases() {
        assert_eq!(exception(b"Issue", b"duedate"), Some(Keep::DateOnly));
        assert_eq!(exception(b"Issue", b"created"), None);
        assert_eq!(exception(b"ChangeItem", b"newstring"), Some(Keep::String));
        assert_eq!(exception(b"OSPropertyString", b"value"), Some(Keep::String));
        assert_eq!(exception(b"OSPropertyDate", b"value"), None);
        assert!(is_datepicker(
            b"com.atlassian.jira.plugin.system.customfieldtypes:datepicker"
        ));
        assert!(!is_datepicker(
            b"com.atlassian.jira.plugin.system.customfieldtypes:datetime"
        ));
    }

    #[test]
    fn header_lines_are_read_and_the_zone_line_rewritten() {
        let c = "\n    JIRA Build : 7.10.0#710001-sha1:abc\n    jira.baseurl : http://j:8080\n    jvm.system.timezone : Europe/Berlin\r\n";
        assert_eq!(
            header_value(c, "JIRA Build"),
            Some("7.10.0#710001-sha1:abc")
        );
        assert_eq!(header_value(c, "jira.baseurl"), Some("http://j:8080"));
        let fixed = header_zone_to_utc(c).unwrap();
        assert!(
            fixed.contains("    jvm.system.timezone : UTC\r\n"),
            "{fixed:?}"
        );
        assert_eq!(fixed.len(), c.len() - "Europe/Berlin".len() + 3);
        assert_eq!(header_zone_to_utc(&fixed), None);
    }
}
