//! Confluence's `exportDescriptor.properties`: what it says about the export
//! (`exportType`, `buildNumber`), and the hook that rewrites it.

use crate::fixer::Options;

/// What a Confluence export descriptor says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Descriptor {
    /// `exportType`: `space` or `all`.
    pub export_type: Option<String>,
    /// `buildNumber`.
    pub build_number: Option<String>,
    /// `spaceKey`, for space exports.
    pub space_key: Option<String>,
}

/// Reads the keys backup-fix reports from a Java properties file (ISO-8859-1,
/// `key=value` or `key: value`, `#` and `!` comments).
pub(crate) fn parse(bytes: &[u8]) -> Descriptor {
    let mut d = Descriptor::default();
    // Java properties are ISO-8859-1: each byte is one character.
    let text: String = bytes.iter().map(|&b| char::from(b)).collect();
    for line in text.lines() {
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let Some(sep) = line.find(['=', ':']) else {
            continue;
        };
        let key = line[..sep].trim();
        let value = line[sep + 1..].trim().to_owned();
        match key {
            "exportType" => d.export_type = Some(value),
            "buildNumber" => d.build_number = Some(value),
            "spaceKey" => d.space_key = Some(value),
            _ => {}
        }
    }
    d
}

/// Rewrites `exportDescriptor.properties` for the repair `options`, or
/// `None` to copy it unchanged.
///
/// Today this always returns `None`: the descriptor's `timezoneId` is to be
/// updated by the time-zone rule (`--tz`, issue 8), which will fill this in.
/// The archive driver already routes the entry through here, so that rule
/// needs no change to the driver.
///
/// ```
/// use backup_fix::{Options, archive::rewrite_export_descriptor};
/// let props = b"exportType=space\ntimezoneId=Europe/Berlin\n";
/// assert_eq!(rewrite_export_descriptor(props, &Options::default()), None);
/// ```
pub fn rewrite_export_descriptor(bytes: &[u8], options: &Options) -> Option<Vec<u8>> {
    let _ = (bytes, options);
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptor_keys_are_read() {
        let d = parse(
            b"#Tue May 10 17:04:43 CEST 2016\nbuildNumber=6169\nexportType=all\nspaceKey : DS\n! comment\n",
        );
        assert_eq!(d.export_type.as_deref(), Some("all"));
        assert_eq!(d.build_number.as_deref(), Some("6169"));
        assert_eq!(d.space_key.as_deref(), Some("DS"));
        assert_eq!(parse(b"garbage"), Descriptor::default());
    }
}
