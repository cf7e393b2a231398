//! Joining streamed pieces: each piece's last few milliseconds are held back and crossfaded
//! into the next piece's start, so a level step between two separately normalised pieces is
//! never a click. The joins fall in the front end's pauses, where both signals are quiet.

use super::voice::INTERNAL_RATE;

/// Crossfade length: 5 ms at the internal rate.
pub const FADE: usize = INTERNAL_RATE as usize / 200;
/// A piece cut inside a clause keeps this much of the pause the front end adds after it.
pub const CUT_PAUSE: usize = INTERNAL_RATE as usize * 6 / 100;
/// Silence left on a piece for the transform to ring out into (20 ms).
pub const MARGIN: usize = INTERNAL_RATE as usize / 50;
/// Below this magnitude a sample counts as silence (about -46 dBFS after normalisation).
const SILENCE: f32 = 0.005;

/// Crossfades consecutive pieces.
#[derive(Debug, Default)]
pub struct Joiner {
    tail: Vec<f32>,
}

impl Joiner {
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the next piece; returns the samples that are final: the held tail of the previous
    /// piece crossfaded into this one's start, then this piece but for its own last [`FADE`]
    /// samples, which wait for the next piece (or [`Joiner::finish`]).
    pub fn push(&mut self, mut piece: Vec<f32>) -> Vec<f32> {
        let n = self.tail.len().min(piece.len());
        for (i, (x, t)) in piece.iter_mut().zip(&self.tail).enumerate() {
            // Linear ramps that sum to one: a constant signal passes unchanged.
            let w = (i as f32 + 0.5) / n as f32;
            *x = t * (1.0 - w) + *x * w;
        }
        // A piece shorter than the fade takes what it overlapped; the rest of the old tail is
        // faded out after it rather than cut.
        let rest: Vec<f32> = self.tail.get(n..).unwrap_or_default().to_vec();
        piece.extend(
            rest.iter().enumerate().map(|(i, t)| t * (1.0 - (i as f32 + 1.0) / (rest.len() as f32 + 1.0))),
        );
        let keep = FADE.min(piece.len());
        self.tail = piece.split_off(piece.len() - keep);
        piece
    }

    /// The last piece's held tail.
    pub fn finish(self) -> Vec<f32> {
        self.tail
    }
}

/// Cuts the silence at the end of a piece's front-end audio down to a short margin, so the
/// voice transform does not spend time on it; returns the silence, in samples, to append after
/// the transform: the cut pause for a piece cut inside a clause (the front end pauses there as
/// if a sentence ended), else the pause that was removed.
pub fn take_pause(samples: &mut Vec<f32>, cut: bool) -> usize {
    let last_sound = samples.iter().rposition(|s| s.abs() > SILENCE).map_or(0, |i| i + 1);
    let keep = (last_sound + MARGIN).min(samples.len());
    let removed = samples.len() - keep;
    samples.truncate(keep);
    if cut { CUT_PAUSE.saturating_sub(MARGIN).min(removed) } else { removed }
}
