//! Where the response goes: the body to standard output or the `-o`/`-O` file, each
//! response head (every hop of `-L`) to `-i`'s output, `-D`'s file and `-v`'s trace, as
//! received (header names in the server's case, in its order).

use std::io::Write;
use std::path::{Path, PathBuf};

use http::Response;

use super::output::{shown_value, write_error};
use super::plan::Options;
use super::progress::Progress;
use crate::head_tap::RawHead;
use crate::CliError;

/// The outputs of one transfer.
pub(super) struct Outputs {
    /// The response body (and with `-i`, the heads).
    pub(super) body: Sink,
    /// `-D FILE` (`-D -`: standard output).
    dump: Option<Sink>,
    include: bool,
    verbose: bool,
    /// The progress display of the transfer.
    pub(super) progress: Progress,
}

impl Outputs {
    pub(super) fn new(options: &Options, progress: Progress) -> Outputs {
        Outputs {
            body: Sink::new(options.output.as_deref(), options.create_dirs),
            dump: options
                .dump_header
                .as_deref()
                .map(|p| Sink::new(Some(p), options.create_dirs)),
            include: options.include,
            verbose: options.verbose,
            progress,
        }
    }

    /// A response head, as curl shows it: traced under `-v`, written to `-D`'s file and,
    /// with `-i`, to the output, line by line.
    pub(super) fn head<B>(&mut self, response: &Response<B>) -> Result<(), CliError> {
        let head = head_bytes(response);
        if self.verbose {
            trace(&head);
        }
        for line in head.split_inclusive(|b| *b == b'\n') {
            if let Some(dump) = &mut self.dump {
                dump.write_all(line).map_err(write_error)?;
            }
            if self.include {
                self.body.write_all(line).map_err(write_error)?;
            }
        }
        Ok(())
    }

    /// Flushes; with `create`, an output file nothing was written to is created empty.
    pub(super) fn finish(&mut self, create: bool) -> Result<(), CliError> {
        if let Some(dump) = &mut self.dump {
            dump.finish(false).map_err(write_error)?;
        }
        self.body.finish(create).map_err(write_error)
    }
}

/// The head as received (recorded on the connection), else rebuilt from hyper's view.
fn head_bytes<B>(response: &Response<B>) -> Vec<u8> {
    if let Some(raw) = response.extensions().get::<RawHead>() {
        return raw.as_bytes().to_vec();
    }
    let reason = response
        .extensions()
        .get::<hyper::ext::ReasonPhrase>()
        .map(|r| String::from_utf8_lossy(r.as_bytes()).into_owned())
        .or_else(|| response.status().canonical_reason().map(str::to_owned))
        .unwrap_or_default();
    let mut head = format!(
        "{:?} {} {reason}\r\n",
        response.version(),
        response.status().as_u16()
    )
    .into_bytes();
    for (n, v) in response.headers() {
        head.extend_from_slice(n.as_str().as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(v.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"\r\n");
    head
}

/// `-v`: each head line after "< " on standard error (session tokens not shown).
fn trace(head: &[u8]) {
    let mut err = std::io::stderr().lock();
    for line in head.split_inclusive(|b| *b == b'\n') {
        let line = String::from_utf8_lossy(line);
        let line = line.trim_end_matches(['\r', '\n']);
        let shown = match line.split_once(':') {
            Some((name, value)) => {
                let value = http::HeaderValue::from_str(value.trim()).ok();
                match value {
                    Some(v) => format!("{name}: {}", shown_value(&name.to_ascii_lowercase(), &v)),
                    None => line.to_owned(),
                }
            }
            None => line.to_owned(),
        };
        if shown.is_empty() {
            let _ = writeln!(err, "<");
            break;
        }
        let _ = writeln!(err, "< {shown}");
    }
}

/// Where the response goes: standard output, or the `-o` file, opened (and truncated) at
/// the first byte written, as curl does, so a failed transfer that wrote nothing leaves an
/// existing file as it was.
pub(super) enum Sink {
    Stdout(std::io::StdoutLock<'static>),
    File {
        path: PathBuf,
        file: Option<std::io::BufWriter<std::fs::File>>,
        /// `--create-dirs`: make the missing parent directories first.
        create_dirs: bool,
    },
}

impl Sink {
    /// `-o FILE` (`-o -` is standard output, as in curl).
    pub(super) fn new(output: Option<&Path>, create_dirs: bool) -> Sink {
        match output {
            Some(path) if path.as_os_str() != "-" => Sink::File {
                path: path.to_owned(),
                file: None,
                create_dirs,
            },
            _ => Sink::Stdout(std::io::stdout().lock()),
        }
    }

    fn file(&mut self) -> std::io::Result<&mut dyn Write> {
        match self {
            Sink::Stdout(s) => Ok(s),
            Sink::File {
                path,
                file,
                create_dirs,
            } => match file {
                Some(f) => Ok(f),
                None => {
                    if let Some(dir) = path.parent().filter(|_| *create_dirs) {
                        std::fs::create_dir_all(dir)?;
                    }
                    let f = std::fs::File::create(&*path).map_err(|e| {
                        std::io::Error::new(e.kind(), format!("{}: {e}", path.display()))
                    })?;
                    Ok(file.insert(std::io::BufWriter::new(f)))
                }
            },
        }
    }

    /// Flushes; with `create`, an output file nothing was written to is created empty.
    pub(super) fn finish(&mut self, create: bool) -> std::io::Result<()> {
        if create {
            self.file()?;
        }
        match self {
            Sink::Stdout(s) => s.flush(),
            Sink::File { file: Some(f), .. } => f.flush(),
            Sink::File { file: None, .. } => Ok(()),
        }
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        self.file()?.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.finish(false)
    }
}
