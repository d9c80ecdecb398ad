//! Which entries `--compress auto` deflates: everything except content that
//! is already compressed, recognised by its first bytes (Jira stores
//! attachments under numeric names with no extension) or by the extension
//! when there is one (thumbnails, avatars, logos).

/// Extensions of formats that are compressed already.
const COMPRESSED_EXT: &[&str] = &[
    "jpg", "jpeg", "png", "gif", "webp", "heic", "heif", "avif", "jp2", "zip", "gz", "tgz", "bz2",
    "xz", "zst", "7z", "rar", "jar", "war", "ear", "apk", "mp3", "mp4", "m4a", "m4v", "mov", "avi",
    "mkv", "webm", "ogg", "oga", "ogv", "opus", "flac", "wmv", "wma", "aac", "pdf", "docx", "xlsx",
    "pptx", "docm", "xlsm", "pptm", "odt", "ods", "odp", "epub", "woff", "woff2", "dmg", "cab",
    "msi", "lz4", "lzma", "sit",
];

/// Magic numbers of formats that are compressed already.
const COMPRESSED_MAGIC: &[&[u8]] = &[
    b"\xFF\xD8\xFF",         // JPEG
    b"\x89PNG",              // PNG
    b"GIF8",                 // GIF
    b"PK\x03\x04",           // zip, docx/xlsx/pptx, jar, odt, epub
    b"\x1F\x8B",             // gzip
    b"BZh",                  // bzip2
    b"\xFD7zXZ\x00",         // xz
    b"\x28\xB5\x2F\xFD",     // zstd
    b"7z\xBC\xAF\x27\x1C",   // 7z
    b"Rar!",                 // rar
    b"%PDF",                 // PDF (streams are deflated)
    b"\x1A\x45\xDF\xA3",     // Matroska / WebM
    b"OggS",                 // Ogg
    b"fLaC",                 // FLAC
    b"ID3",                  // MP3 with ID3 tag
    b"\xFF\xFB",             // MP3 frame
    b"\x00\x00\x00\x0CjP  ", // JPEG 2000
    b"wOFF",                 // WOFF
    b"wOF2",                 // WOFF2
    b"\x04\x22\x4D\x18",     // LZ4
    b"MSCF",                 // cab
];

/// Whether deflate is worth trying on an entry with this name and first bytes.
pub(crate) fn worth_deflating(name: &str, head: &[u8]) -> bool {
    let file = name.rsplit('/').next().unwrap_or(name);
    if let Some((_, ext)) = file.rsplit_once('.')
        && COMPRESSED_EXT.iter().any(|e| e.eq_ignore_ascii_case(ext))
    {
        return false;
    }
    if COMPRESSED_MAGIC.iter().any(|m| head.starts_with(m)) {
        return false;
    }
    // ISO base media (mp4, mov, heic, avif): "ftyp" at offset 4.
    if head.len() >= 8 && &head[4..8] == b"ftyp" {
        return false;
    }
    // RIFF WebP / AVI.
    if head.starts_with(b"RIFF") && head.len() >= 12 && matches!(&head[8..12], b"WEBP" | b"AVI ") {
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::worth_deflating;

    #[test]
    fn compressed_content_is_recognised_with_or_without_extension() {
        assert!(!worth_deflating(
            "data/attachments/P/10000/P-1/10100",
            b"\xFF\xD8\xFF\xE0xx"
        ));
        assert!(!worth_deflating(
            "data/attachments/P/10000/P-1/10101",
            b"PK\x03\x04...."
        ));
        assert!(!worth_deflating("x/10102", b"\0\0\0\x18ftypmp42"));
        assert!(!worth_deflating("x/thumbs/_thumb_1.png", b""));
        assert!(worth_deflating(
            "data/attachments/P/10000/P-1/10103",
            b"2021-07-13 ERROR"
        ));
        assert!(worth_deflating("x/report.CSV", b"a,b,c"));
    }
}
