//! The tokio driver: `AsyncRead` in, `AsyncWrite` out.
//!
//! Compressed streams work by wrapping the reader or writer, for example in
//! `async_compression::tokio::bufread::GzipDecoder`.

use crate::driver::CHUNK_SIZE;
use crate::error::Error;
use crate::fixer::{Fixer, Options};
use crate::report::Report;
use ::tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Repairs everything `input` yields into `output`, then flushes `output`.
///
/// The caller shuts `output` down if it needs to (a compressing encoder
/// writes its trailer on shutdown).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), backup_fix::Error> {
/// let input: &[u8] = b"<a>\x07</a>";
/// let mut output = Vec::new();
/// let report = backup_fix::driver::tokio::fix_async(input, &mut output, &Default::default()).await?;
/// assert_eq!(output, b"<a></a>");
/// assert_eq!(report.changes(), 1);
/// # Ok(()) }
/// ```
pub async fn fix_async<R, W>(
    mut input: R,
    mut output: W,
    options: &Options,
) -> Result<Report, Error>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut fixer = Fixer::new(options.clone())?;
    let mut buf = vec![0u8; CHUNK_SIZE];
    let mut out = Vec::with_capacity(CHUNK_SIZE);
    loop {
        let n = input.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        fixer.write(&buf[..n], &mut out)?;
        output.write_all(&out).await?;
        out.clear();
    }
    let report = fixer.finish(&mut out)?;
    output.write_all(&out).await?;
    output.flush().await?;
    Ok(report)
}
