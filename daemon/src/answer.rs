//! What the daemon answers a synthesis or conversion with: the WAV file and what the transform
//! did (and, when measured, how the output measured up). It is also the unit the synthesis
//! cache stores, so it knows its size and its encoding for Redis.

use crate::cache::{Entry, Source};
use crate::quality::Measured;
use bytes::Bytes;
use std::sync::Arc;

/// What the transform did and, when the neural models are loaded, how the output measured up.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct Report {
    pub source_f0: Option<f32>,
    pub ratio: f32,
    pub measured: Option<Measured>,
}

/// An answer and where it came from (computed, or which cache tier).
#[derive(Debug, Clone)]
pub struct Answer {
    pub output: Arc<Output>,
    pub source: Source,
}

/// A finished answer: the WAV file and what the transform did.
#[derive(Debug)]
pub struct Output {
    pub wav: Bytes,
    pub report: Report,
}

impl Entry for Output {
    fn weight(&self) -> usize {
        self.wav.len() + std::mem::size_of::<Output>()
    }

    /// `u32` length of the report's JSON, the JSON, then the WAV file.
    fn encode(&self) -> Vec<u8> {
        let report = serde_json::to_vec(&self.report).unwrap_or_default();
        let mut out = Vec::with_capacity(4 + report.len() + self.wav.len());
        out.extend_from_slice(&(report.len() as u32).to_le_bytes());
        out.extend_from_slice(&report);
        out.extend_from_slice(&self.wav);
        out
    }

    fn decode(bytes: &[u8]) -> Result<Self, String> {
        let len = bytes.get(..4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
        let (json, wav) = match len {
            Some(n) if bytes.len() >= 4 + n => (&bytes[4..4 + n], &bytes[4 + n..]),
            _ => return Err("entry shorter than its report".to_owned()),
        };
        let report: Report = serde_json::from_slice(json).map_err(|e| format!("report: {e}"))?;
        crate::wav::decode(wav, false).map_err(|e| format!("audio: {e}"))?;
        Ok(Self { wav: wav.to_vec().into(), report })
    }
}
