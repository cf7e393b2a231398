//! The text front end: espeak-ng run as a subprocess (GPL-3, so never linked), text on stdin,
//! WAV on stdout. One runner; start-up work calls it through a small runtime of its own.

use crate::wav::{self, Audio, WavError};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use tokio::io::AsyncWriteExt;

/// Why the front end gave no audio.
#[derive(Debug)]
pub enum FrontendError {
    /// The executable could not be started (not installed, not executable).
    Spawn { program: PathBuf, source: std::io::Error },
    /// Writing the text or reading the audio failed.
    Io { stage: &'static str, source: std::io::Error },
    /// espeak-ng exited unsuccessfully.
    Failed { status: std::process::ExitStatus, stderr: String },
    /// Its output is not audio.
    Output(WavError),
}

impl std::fmt::Display for FrontendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Spawn { program, source } => write!(f, "cannot run `{}`: {source}", program.display()),
            Self::Io { stage, source } => write!(f, "espeak-ng {stage}: {source}"),
            Self::Failed { status, stderr } => write!(f, "espeak-ng failed ({status}): {stderr}"),
            Self::Output(e) => write!(f, "espeak-ng output: {e}"),
        }
    }
}

impl std::error::Error for FrontendError {}

/// Speaks `text` with espeak-ng's `voice`; returns its audio (22,050 Hz mono). The process is
/// killed when the future is dropped (a request past its deadline).
pub async fn speak(espeak: &Path, voice: &str, text: &str) -> Result<Audio, FrontendError> {
    let mut child = tokio::process::Command::new(espeak)
        .args(["--stdout", "-v", voice, "--stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|source| FrontendError::Spawn { program: espeak.to_owned(), source })?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(text.as_bytes())
            .await
            .map_err(|source| FrontendError::Io { stage: "stdin", source })?;
    }
    let out =
        child.wait_with_output().await.map_err(|source| FrontendError::Io { stage: "output", source })?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr).trim().to_owned();
        return Err(FrontendError::Failed { status: out.status, stderr });
    }
    // espeak-ng writes an unknown data length when its stdout is a pipe: read leniently.
    wav::decode(&out.stdout, true).map_err(FrontendError::Output)
}

/// [`speak`] for blocking callers (start-up work such as reference utterances): the same
/// runner on a single-threaded runtime of its own, on a thread of its own, so it works whether
/// or not the caller is inside a runtime.
pub fn speak_blocking(espeak: &Path, voice: &str, text: &str) -> Result<Audio, FrontendError> {
    std::thread::scope(|scope| {
        let run = scope.spawn(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|source| FrontendError::Io { stage: "runtime", source })?
                .block_on(speak(espeak, voice, text))
        });
        run.join().unwrap_or_else(|_| {
            Err(FrontendError::Io { stage: "runner", source: std::io::Error::other("the runner panicked") })
        })
    })
}
