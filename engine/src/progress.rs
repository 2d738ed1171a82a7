//! The progress bar shown on a terminal during long work (never in `--json` output).

use indicatif::{ProgressBar, ProgressStyle};

/// A byte-counting progress bar, or nothing.
#[derive(Debug, Clone)]
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// No bar.
    pub fn hidden() -> Self {
        Self { bar: None }
    }

    /// A bar on stderr if stderr is a terminal.
    pub fn for_terminal(total_bytes: u64, message: &str) -> Self {
        use std::io::IsTerminal;
        if !std::io::stderr().is_terminal() {
            return Self::hidden();
        }
        let bar = ProgressBar::new(total_bytes);
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_message(message.to_owned());
        Self { bar: Some(bar) }
    }

    /// Advances by `bytes`.
    pub fn advance(&self, bytes: u64) {
        if let Some(b) = &self.bar {
            b.inc(bytes);
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
