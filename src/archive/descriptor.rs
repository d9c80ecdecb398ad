//! Confluence's `exportDescriptor.properties`: what it says about the export
//! (`exportType`, `buildNumber`, `timezoneId`), and its rewrite when
//! timestamps are converted to UTC.

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
    /// `timezoneId`: the zone the export's timestamps are written in.
    pub timezone_id: Option<String>,
    /// `backupAttachments`: whether attachment files were exported.
    pub backup_attachments: Option<bool>,
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
            "timezoneId" if !value.is_empty() => d.timezone_id = Some(value),
            "backupAttachments" => d.backup_attachments = value.parse().ok(),
            _ => {}
        }
    }
    d
}

/// Rewrites `exportDescriptor.properties` for the repair `options`, or
/// `None` to copy it unchanged.
///
/// When timestamps are converted to UTC (`options.tz` set), the descriptor's
/// `timezoneId` becomes `UTC`, so that no importer converts them a second
/// time; a descriptor without one (server exports) gets `timezoneId=UTC`
/// appended, so the repaired export states the zone its timestamps are now
/// in. Every other byte stays as it was (comments, other keys, line ends);
/// a descriptor already saying `UTC` is unchanged.
///
/// ```
/// use backup_fix::{Options, TzChoice, archive::rewrite_export_descriptor};
/// let props = b"exportType=space\r\ntimezoneId = Europe/Berlin\r\n";
/// assert_eq!(rewrite_export_descriptor(props, &Options::default()), None);
/// let utc = rewrite_export_descriptor(props, &Options::default().tz(TzChoice::Auto));
/// assert_eq!(utc.as_deref(), Some(&b"exportType=space\r\ntimezoneId = UTC\r\n"[..]));
/// let server = b"exportType=all\nbuildNumber=6169\n";
/// let utc = rewrite_export_descriptor(server, &Options::default().tz(TzChoice::Auto));
/// assert_eq!(utc.as_deref(), Some(&b"exportType=all\nbuildNumber=6169\ntimezoneId=UTC\n"[..]));
/// ```
pub fn rewrite_export_descriptor(bytes: &[u8], options: &Options) -> Option<Vec<u8>> {
    options.tz.as_ref()?;
    let mut out = Vec::with_capacity(bytes.len() + 8);
    let mut changed = false;
    let mut stated = false;
    // Inside the continuation lines of a replaced value (a line ending in an
    // odd number of backslashes continues on the next).
    let mut continued = false;
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        let body = line.strip_suffix(b"\n").unwrap_or(line);
        let body = body.strip_suffix(b"\r").unwrap_or(body);
        let eol = &line[body.len()..];
        if continued {
            continued = continues(body);
            changed = true;
            continue;
        }
        if let Some(at) = timezone_value(body) {
            stated = true;
            let value = &body[at..];
            if value != b"UTC" {
                out.extend_from_slice(&body[..at]);
                out.extend_from_slice(b"UTC");
                out.extend_from_slice(eol);
                changed = true;
                continued = continues(body);
                continue;
            }
        }
        out.extend_from_slice(line);
    }
    if !stated {
        // The file's own line end; a last line without one is ended first.
        let eol: &[u8] = if bytes.windows(2).any(|w| w == b"\r\n") {
            b"\r\n"
        } else {
            b"\n"
        };
        if !out.is_empty() && !out.ends_with(b"\n") {
            out.extend_from_slice(eol);
        }
        out.extend_from_slice(b"timezoneId=UTC");
        out.extend_from_slice(eol);
        changed = true;
    }
    changed.then_some(out)
}

/// Where the value starts, if `line` sets `timezoneId`.
fn timezone_value(line: &[u8]) -> Option<usize> {
    let blank = |b: &u8| matches!(b, b' ' | b'\t' | b'\x0c');
    let start = line.iter().position(|b| !blank(b))?;
    let rest = &line[start..];
    let key = rest.strip_prefix(b"timezoneId")?;
    let mut at = start + b"timezoneId".len();
    match key.first() {
        None => return Some(at),
        Some(b) if blank(b) || *b == b'=' || *b == b':' => {}
        Some(_) => return None,
    }
    while line.get(at).is_some_and(blank) {
        at += 1;
    }
    if matches!(line.get(at), Some(b'=' | b':')) {
        at += 1;
        while line.get(at).is_some_and(blank) {
            at += 1;
        }
    }
    Some(at)
}

/// Whether a properties line continues on the next one.
fn continues(line: &[u8]) -> bool {
    line.iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 1
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
        let d = parse(b"timezoneId=America/Sao_Paulo\nbackupAttachments=false\n");
        assert_eq!(d.timezone_id.as_deref(), Some("America/Sao_Paulo"));
        assert_eq!(d.backup_attachments, Some(false));
    }

    fn utc(props: &[u8]) -> Option<String> {
        let options = Options::default().tz(crate::TzChoice::Zone("Europe/Berlin".into()));
        rewrite_export_descriptor(props, &options).map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    #[test]
    fn timezone_id_becomes_utc_and_nothing_else_moves() {
        let props = b"#Tue May 10 17:04:43 CEST 2016\nbuildNumber=6169\ntimezoneId=Europe/Berlin\nexportType=all\n";
        assert_eq!(
            utc(props).as_deref(),
            Some(
                "#Tue May 10 17:04:43 CEST 2016\nbuildNumber=6169\ntimezoneId=UTC\nexportType=all\n"
            )
        );
        // Separators, spacing, a missing final line end, CRLF.
        assert_eq!(
            utc(b"  timezoneId : Asia/Kolkata").as_deref(),
            Some("  timezoneId : UTC")
        );
        assert_eq!(
            utc(b"timezoneId Asia/Kolkata\r\nx=1\r\n").as_deref(),
            Some("timezoneId UTC\r\nx=1\r\n")
        );
        // A continued value is replaced whole.
        assert_eq!(
            utc(b"timezoneId=Europe/\\\n   Berlin\nx=1\n").as_deref(),
            Some("timezoneId=UTC\nx=1\n")
        );
    }

    #[test]
    fn a_descriptor_without_a_zone_gains_one_in_its_own_line_ends() {
        // Comments and look-alike keys are not the zone.
        assert_eq!(
            utc(b"exportType=all\n# timezoneId=Europe/Berlin\ntimezoneIdx=1\n").as_deref(),
            Some("exportType=all\n# timezoneId=Europe/Berlin\ntimezoneIdx=1\ntimezoneId=UTC\n")
        );
        assert_eq!(
            utc(b"exportType=all\r\nbuildNumber=6169").as_deref(),
            Some("exportType=all\r\nbuildNumber=6169\r\ntimezoneId=UTC\r\n")
        );
        assert_eq!(utc(b"").as_deref(), Some("timezoneId=UTC\n"));
    }

    #[test]
    fn descriptor_is_left_alone_when_nothing_to_say() {
        assert_eq!(utc(b"timezoneId=UTC\n"), None);
        assert_eq!(utc(b"x=1\r\n  timezoneId : UTC\r\n"), None);
        assert_eq!(
            rewrite_export_descriptor(b"timezoneId=Europe/Berlin\n", &Options::default()),
            None,
            "without --tz the descriptor keeps its zone"
        );
    }
}
