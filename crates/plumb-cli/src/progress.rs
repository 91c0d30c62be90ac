//! Progress on stderr for commands that can take more than a second (`verify`, `export`,
//! `verify-pack`, `append`): a bar (indicatif) when a person is watching (stderr a terminal, not
//! `--format json`); with `--progress` when no terminal is there, a plain line at most once a
//! second and at the end, with the rate and the time left, for logs. Never on stdout.

use std::cell::Cell;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

enum Mode {
    Hidden,
    Lines {
        started: Instant,
        last: Cell<Duration>,
    },
    Bar(ProgressBar),
}

/// A progress display for one command.
pub struct Progress {
    what: &'static str,
    unit: &'static str,
    mode: Mode,
}

impl Progress {
    /// Progress of `what` counted in `unit`: a bar for people at a terminal, lines when
    /// `asked` (`--progress`) without one, nothing otherwise.
    pub fn new(what: &'static str, unit: &'static str, asked: bool, human: bool) -> Progress {
        let terminal = std::io::stderr().is_terminal();
        let mode = if human && terminal {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "{prefix} [{bar:32}] {pos}/{len} {msg} {per_sec} (eta {eta})",
            )
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.set_prefix(what);
            bar.set_message(unit);
            Mode::Bar(bar)
        } else if asked {
            Mode::Lines {
                started: Instant::now(),
                last: Cell::new(Duration::ZERO),
            }
        } else {
            Mode::Hidden
        };
        Progress { what, unit, mode }
    }

    /// `done` of `total` are done.
    pub fn update(&self, done: u64, total: u64) {
        match &self.mode {
            Mode::Hidden => {}
            Mode::Bar(bar) => {
                bar.set_length(total);
                bar.set_position(done);
                if done >= total {
                    bar.finish();
                }
            }
            Mode::Lines { started, last } => {
                let elapsed = started.elapsed();
                let end = done >= total;
                if !end && elapsed - last.get() < Duration::from_secs(1) {
                    return;
                }
                last.set(elapsed);
                let rate = done as f64 / elapsed.as_secs_f64().max(1e-3);
                let left = if rate > 0.0 {
                    total.saturating_sub(done) as f64 / rate
                } else {
                    0.0
                };
                let percent = if total == 0 {
                    100.0
                } else {
                    done as f64 * 100.0 / total as f64
                };
                eprintln!(
                    "{}: {done} of {total} {} ({percent:.0}%), {rate:.0}/s, {left:.0} s left",
                    self.what, self.unit
                );
            }
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        // A failed run leaves no half-drawn bar behind.
        if let Mode::Bar(bar) = &self.mode
            && !bar.is_finished()
        {
            bar.abandon();
        }
    }
}
