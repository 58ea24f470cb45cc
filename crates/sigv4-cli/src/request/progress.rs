//! Progress on standard error: the default meter (a bar drawn only when standard error is
//! a terminal and the body is large) and curl's `-#/--progress-bar`, drawn as curl draws
//! it: `\r`, '#' up to the share done, the percentage, and a newline at the end.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Bodies at least this large get the default meter (when stderr is a terminal).
const METER_MIN: u64 = 4 * 1024 * 1024;

/// curl redraws its bar at most this often (the final state is always drawn).
const REDRAW: Duration = Duration::from_millis(200);

/// Which progress display the flags ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Style {
    /// `-s`, `--no-progress-meter`, or standard error is not a terminal.
    Off,
    /// The default meter, on a terminal.
    Meter,
    /// `-#/--progress-bar`.
    Bar,
}

/// The progress of one transfer (upload and download together, as curl counts them).
#[derive(Clone)]
pub(super) struct Progress {
    style: Style,
    bar: Option<Arc<Mutex<CurlBar>>>,
}

impl Progress {
    pub(super) fn new(style: Style) -> Progress {
        let bar = (style == Style::Bar).then(|| Arc::new(Mutex::new(CurlBar::new(width()))));
        Progress { style, bar }
    }

    /// A body of `len` bytes starts (`what`: "upload" or "download"); the returned handle
    /// counts its bytes.
    pub(super) fn body(&self, len: Option<u64>, what: &str) -> BodyProgress {
        match (&self.bar, self.style) {
            (Some(bar), _) => {
                lock(bar).total += len.unwrap_or(0);
                BodyProgress::Bar(bar.clone())
            }
            (None, Style::Meter) if len.unwrap_or(0) >= METER_MIN => {
                BodyProgress::Meter(meter(len.unwrap_or(0), what))
            }
            _ => BodyProgress::Off,
        }
    }

    /// The transfer is over: curl's bar draws its final state and a newline.
    pub(super) fn finish(&self) {
        if let Some(bar) = &self.bar {
            lock(bar).finish();
        }
    }
}

/// Counts one body's bytes.
#[derive(Clone)]
pub(super) enum BodyProgress {
    Off,
    Meter(ProgressBar),
    Bar(Arc<Mutex<CurlBar>>),
}

impl BodyProgress {
    pub(super) fn inc(&self, n: u64) {
        match self {
            BodyProgress::Off => {}
            BodyProgress::Meter(pb) => pb.inc(n),
            BodyProgress::Bar(bar) => lock(bar).advance(n),
        }
    }

    /// The body is done (the meter is cleared; curl's bar stays until the transfer ends).
    pub(super) fn done(&self) {
        if let BodyProgress::Meter(pb) = self {
            pb.finish_and_clear();
        }
    }
}

fn lock(bar: &Mutex<CurlBar>) -> std::sync::MutexGuard<'_, CurlBar> {
    bar.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn meter(len: u64, what: &str) -> ProgressBar {
    let pb = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template(
        "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    )
    .map(|s| s.progress_chars("=> "))
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    pb.set_style(style);
    pb.set_message(what.to_owned());
    pb
}

/// curl's line width: `COLUMNS` when set (at least 20), else 79.
fn width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse::<usize>().ok())
        .filter(|w| *w >= 20)
        .unwrap_or(79)
}

/// curl's `-#` bar.
pub(super) struct CurlBar {
    width: usize,
    total: u64,
    point: u64,
    drawn: Option<Instant>,
    finished: bool,
}

impl CurlBar {
    fn new(width: usize) -> CurlBar {
        CurlBar {
            width,
            total: 0,
            point: 0,
            drawn: None,
            finished: false,
        }
    }

    fn advance(&mut self, n: u64) {
        self.point += n;
        if self.drawn.is_some_and(|t| t.elapsed() >= REDRAW) {
            self.draw();
        } else if self.drawn.is_none() {
            // The first draw waits a redraw interval, as curl's does.
            self.drawn = Some(Instant::now());
        }
    }

    fn finish(&mut self) {
        if self.finished {
            return;
        }
        self.finished = true;
        self.draw();
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(b"\n");
        let _ = err.flush();
    }

    fn draw(&mut self) {
        self.drawn = Some(Instant::now());
        let line = bar_line(self.width, self.point, self.total);
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(line.as_bytes());
        let _ = err.flush();
    }
}

/// `\r`, then '#' for the share done padded to the bar's width, then the percentage.
fn bar_line(width: usize, point: u64, total: u64) -> String {
    let frac = if total == 0 {
        1.0
    } else {
        (point as f64 / total as f64).min(1.0)
    };
    let bar_width = width.saturating_sub(7);
    let filled = (bar_width as f64 * frac) as usize;
    format!("\r{:<bar_width$} {:5.1}%", "#".repeat(filled), frac * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bar_lines_are_curls() {
        assert_eq!(bar_line(79, 5, 5), format!("\r{} 100.0%", "#".repeat(72)));
        assert_eq!(
            bar_line(27, 1, 4),
            format!("\r{}{}  25.0%", "#".repeat(5), " ".repeat(15))
        );
    }
}
