//! The text front end: espeak-ng run as a subprocess (GPL-3, so never linked), text on stdin,
//! WAV on stdout.

use crate::error::ApiError;
use crate::wav::{self, Audio};
use std::path::Path;
use std::process::Stdio;
use tokio::io::AsyncWriteExt;

/// Speaks `text` with espeak-ng's `voice`; returns its audio (22,050 Hz mono).
pub async fn speak(espeak: &Path, voice: &str, text: &str) -> Result<Audio, ApiError> {
    let mut child = tokio::process::Command::new(espeak)
        .args(["--stdout", "-v", voice, "--stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| ApiError::Internal(format!("cannot run `{}`: {e}", espeak.display())))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(text.as_bytes())
            .await
            .map_err(|e| ApiError::Internal(format!("espeak-ng stdin: {e}")))?;
    }
    let out = child.wait_with_output().await.map_err(|e| ApiError::Internal(format!("espeak-ng: {e}")))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(ApiError::Internal(format!("espeak-ng failed ({}): {}", out.status, err.trim())));
    }
    wav::decode(&out.stdout, true).map_err(|e| ApiError::Internal(format!("espeak-ng output: {e}")))
}

/// [`speak`] for blocking threads (start-up work such as reference utterances).
pub fn speak_blocking(espeak: &Path, voice: &str, text: &str) -> Result<Audio, ApiError> {
    use std::io::Write as _;
    let mut child = std::process::Command::new(espeak)
        .args(["--stdout", "-v", voice, "--stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| ApiError::Internal(format!("cannot run `{}`: {e}", espeak.display())))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(text.as_bytes()).map_err(|e| ApiError::Internal(format!("espeak-ng stdin: {e}")))?;
    }
    let out = child.wait_with_output().map_err(|e| ApiError::Internal(format!("espeak-ng: {e}")))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(ApiError::Internal(format!("espeak-ng failed ({}): {}", out.status, err.trim())));
    }
    wav::decode(&out.stdout, true).map_err(|e| ApiError::Internal(format!("espeak-ng output: {e}")))
}
