//! Standard output for the printing commands (`sign`, `presign`, `credentials`, `verify`,
//! `completions`, `proxy`): a reader that closes the pipe early (`sigv4 sign ... | head -1`)
//! ends the command quietly, as other Unix tools do, never with a panic.
//!
//! `println!` panics when the write fails ("failed printing to stdout: Broken pipe", exit
//! 101); these helpers exit with status 0 on a closed pipe instead (as ripgrep does: the
//! reader has what it wanted) and report any other write error as a failure.

use std::io::Write;

/// Writes `bytes` to standard output and flushes; a closed pipe ends the process quietly.
pub fn write(bytes: &[u8]) {
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        closed(&e);
    }
}

/// Ends the process for a failed write to standard output: quietly with status 0 for a
/// closed pipe, with exit code 23 (curl's write error) and one line on stderr otherwise.
pub fn closed(e: &std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    let _ = writeln!(
        std::io::stderr(),
        "sigv4: error: cannot write to standard output: {e}"
    );
    std::process::exit(23);
}

/// `println!` that ends quietly on a closed pipe (see the module docs).
#[macro_export]
macro_rules! outln {
    () => { $crate::out::write(b"\n") };
    ($($arg:tt)*) => {{
        let mut line = format!($($arg)*);
        line.push('\n');
        $crate::out::write(line.as_bytes());
    }};
}

/// `print!` that ends quietly on a closed pipe (see the module docs).
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => { $crate::out::write(format!($($arg)*).as_bytes()) };
}
