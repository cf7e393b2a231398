//! Joining streamed pieces: each piece's last few milliseconds are held back and crossfaded
//! into the next piece's start, so a level step between two separately normalised pieces is
//! never a click. The joins fall in the front end's pauses, where both signals are quiet.

use super::voice::INTERNAL_RATE;

/// Crossfade length: 5 ms at the internal rate.
pub const FADE: usize = INTERNAL_RATE as usize / 200;
/// A piece cut inside a clause keeps this much of the pause the front end adds after it.
const CUT_PAUSE: usize = INTERNAL_RATE as usize * 6 / 100;
/// Silence left on a piece for the transform to ring out into (20 ms).
const MARGIN: usize = INTERNAL_RATE as usize / 50;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn join(pieces: &[Vec<f32>]) -> Vec<f32> {
        let mut j = Joiner::new();
        let mut out: Vec<f32> = pieces.iter().flat_map(|p| j.push(p.clone())).collect();
        out.extend(j.finish());
        out
    }

    #[test]
    fn joins_lose_exactly_the_overlaps_and_keep_a_constant_constant() {
        let pieces = vec![vec![0.3; 1000], vec![0.3; 500], vec![0.3; 700]];
        let out = join(&pieces);
        assert_eq!(out.len(), 2200 - 2 * FADE, "each join overlaps FADE samples");
        assert!(out.iter().all(|v| (v - 0.3).abs() < 1e-6), "a constant crosses its joins unchanged");
    }

    #[test]
    fn a_level_step_becomes_a_ramp() {
        let out = join(&[vec![0.0; 400], vec![0.5; 400]]);
        let worst = out.windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0, f32::max);
        assert!(worst <= 0.5 / FADE as f32 + 1e-6, "a 0.5 step spread over the fade: {worst}");
    }

    #[test]
    fn a_piece_shorter_than_the_fade_is_kept_and_the_old_tail_fades_out() {
        let out = join(&[vec![0.4; 300], vec![0.4; 10], vec![0.4; 300]]);
        assert!(out.len() > 600 - 2 * FADE - 1, "{}", out.len());
        assert!(out.iter().all(|v| v.is_finite() && v.abs() <= 0.4 + 1e-6));
    }

    #[test]
    fn the_pause_is_taken_off_for_the_transform_and_given_back_after_it() {
        let mut s = vec![0.5; 100];
        s.extend(vec![0.0; 5000]);
        assert_eq!(take_pause(&mut s.clone(), false), 5000 - MARGIN, "a sentence keeps its whole pause");
        assert_eq!(take_pause(&mut s, true), CUT_PAUSE - MARGIN, "a cut piece keeps a short one");
        assert_eq!(s.len(), 100 + MARGIN, "the transform sees the sound and the margin");
        let mut short = vec![0.5; 100];
        short.extend(vec![0.0; 10]);
        assert_eq!(take_pause(&mut short, true), 0, "a pause shorter than the margin stays as it is");
        assert_eq!(short.len(), 110);
        let mut quiet = vec![0.0; 50];
        assert_eq!(take_pause(&mut quiet, false), 50 - MARGIN.min(50));
    }
}
