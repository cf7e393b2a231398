//! The pipeline's side of the synthesis cache: what an answer's key covers, and running work
//! through the cache (the answer's encoding is in `answer`). A key covers everything that decides
//! the answer's bytes and headers: the request (normalised text, or the upload's hash and the
//! pitch shift), the speaker's parameters and embedding, the output format and rate, and a
//! fingerprint of the code, the backend, the espeak-ng build and the models' weights. A changed
//! speaker or a new model therefore can never serve stale audio: it is a different key.

use super::error::PipelineError;
use super::voice::INTERNAL_RATE;
use crate::answer::Output;
use crate::cache::flight::FlightError;
use crate::cache::{Key, Source};
use crate::state::{AppState, SpeakerEntry};
use sha2::{Digest, Sha256};
use std::future::Future;
use std::sync::Arc;

/// Hash of the daemon's sources, computed by build.rs: any code change is a new key space.
const SOURCE_HASH: &str = env!("AUTOVOICE_SOURCE_HASH");

/// A hasher with length-prefixed fields, so `("ab", "c")` and `("a", "bc")` differ.
struct Fields(Sha256);

impl Fields {
    fn new(kind: &str) -> Self {
        let mut f = Self(Sha256::new());
        f.bytes(b"autovoice-cache/1");
        f.bytes(kind.as_bytes());
        f
    }

    fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.0.update((b.len() as u64).to_le_bytes());
        self.0.update(b);
        self
    }

    fn f32(&mut self, v: f32) -> &mut Self {
        self.bytes(&v.to_bits().to_le_bytes())
    }

    fn speaker(&mut self, e: &SpeakerEntry) -> &mut Self {
        let s = &e.speaker;
        self.bytes(s.id.as_bytes()).bytes(s.base_voice.as_bytes()).f32(s.target_f0).f32(s.formant_scale);
        // The embedding decides the similarity header; hashed in place, length first like
        // `bytes`, without building a byte copy on every request.
        let emb = e.embedding.get().map_or(&[][..], Vec::as_slice);
        self.0.update(((emb.len() * 4) as u64).to_le_bytes());
        for x in emb {
            self.0.update(x.to_le_bytes());
        }
        self
    }

    fn key(self) -> Key {
        Key(self.0.finalize().into())
    }
}

/// What every key of this process shares: code, backend, front end and models.
pub fn fingerprint(backend: &str, espeak_version: &str, weights: &[u8], measuring: bool) -> [u8; 32] {
    let mut f = Fields::new("fingerprint");
    f.bytes(env!("CARGO_PKG_VERSION").as_bytes())
        .bytes(SOURCE_HASH.as_bytes())
        .bytes(backend.as_bytes())
        .bytes(espeak_version.as_bytes())
        .bytes(weights)
        .bytes(&[u8::from(measuring)])
        .bytes(b"wav")
        .bytes(&INTERNAL_RATE.to_le_bytes());
    f.0.finalize().into()
}

/// Key of a synthesis of (already normalised) `text` by `speaker`.
pub fn synthesis_key(fp: &[u8; 32], text: &str, speaker: &SpeakerEntry) -> Key {
    let mut f = Fields::new("synthesize");
    f.bytes(fp).bytes(text.as_bytes()).speaker(speaker);
    f.key()
}

/// Key of a streamed synthesis: spoken piece by piece, its bytes differ from the whole
/// answer's, so it has a key space of its own.
pub fn stream_key(fp: &[u8; 32], text: &str, speaker: &SpeakerEntry) -> Key {
    let mut f = Fields::new("synthesize-stream");
    f.bytes(fp).bytes(text.as_bytes()).speaker(speaker);
    f.key()
}

/// Key of a conversion of `upload` to `speaker` and/or `pitch_shift` semitones.
pub fn convert_key(fp: &[u8; 32], upload: &[u8], speaker: Option<&SpeakerEntry>, pitch_shift: f32) -> Key {
    let mut f = Fields::new("convert");
    f.bytes(fp).bytes(&Sha256::digest(upload)).f32(pitch_shift);
    match speaker {
        Some(s) => f.bytes(b"speaker").speaker(s),
        None => f.bytes(b"none"),
    };
    f.key()
}

/// Runs `work` through the cache under `key`.
pub async fn through<F, Fut>(
    state: &AppState,
    key: Key,
    work: F,
) -> Result<(Arc<Output>, Source), PipelineError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Output, PipelineError>> + Send + 'static,
{
    let work = || {
        let fut = work();
        async move { fut.await.map_err(|e| Box::new(e) as crate::cache::WorkError) }
    };
    state.cache.get_or_compute(key, work).await.map_err(|e| match e {
        FlightError::Failed(e) => PipelineError::Shared(e),
        FlightError::Lost(m) => PipelineError::Worker(m),
    })
}
