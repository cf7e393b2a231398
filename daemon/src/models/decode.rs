//! Turns CREPE activations into pitch, as torchcrepe's `postprocess` does: bins outside
//! [fmin, fmax] are masked, then weighted-argmax or Viterbi decoding, and periodicity (the
//! activation at the chosen bin) for voicing. No dither: torchcrepe adds random triangular
//! noise (±20 cents) to bin centres, which makes its output non-repeatable; we leave it out.

use super::crepe::BINS;

/// Cents (relative to 10 Hz) of bin 0.
const CENTS_OFFSET: f64 = 1_997.379_408_437_619;
const CENTS_PER_BIN: f64 = 20.0;
/// torchcrepe's default frequency range.
pub const FMIN: f64 = 50.0;
pub const FMAX: f64 = 2006.0;

pub fn bin_to_cents(bin: f64) -> f64 {
    CENTS_PER_BIN * bin + CENTS_OFFSET
}

pub fn cents_to_hz(cents: f64) -> f64 {
    10.0 * 2f64.powf(cents / 1200.0)
}

pub fn hz_to_cents(hz: f64) -> f64 {
    1200.0 * (hz / 10.0).log2()
}

/// Allowed bins `lo..hi` for a frequency range: floor for fmin, ceil for fmax, as torchcrepe.
pub fn bin_range(fmin: f64, fmax: f64) -> (usize, usize) {
    let to_bin = |hz: f64| (hz_to_cents(hz) - CENTS_OFFSET) / CENTS_PER_BIN;
    let lo = to_bin(fmin).floor().clamp(0.0, BINS as f64) as usize;
    let hi = to_bin(fmax).ceil().clamp(0.0, BINS as f64) as usize;
    (lo, hi.max(lo))
}

/// Decoder, as torchcrepe names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoder {
    WeightedArgmax,
    Viterbi,
}

/// Per frame: chosen bin, pitch in Hz and periodicity (0-1).
#[derive(Debug, Clone, PartialEq)]
pub struct Track {
    pub bins: Vec<usize>,
    pub hz: Vec<f64>,
    pub periodicity: Vec<f32>,
}

impl Track {
    /// Pitches of the frames whose periodicity reaches `threshold`, ascending.
    pub fn voiced(&self, threshold: f32) -> Vec<f64> {
        let mut v: Vec<f64> = self
            .hz
            .iter()
            .zip(&self.periodicity)
            .filter(|(_, p)| **p >= threshold)
            .map(|(h, _)| *h)
            .collect();
        v.sort_by(f64::total_cmp);
        v
    }

    /// Median pitch of the frames whose periodicity reaches `threshold`; `None` if none do.
    pub fn voiced_median(&self, threshold: f32) -> Option<f64> {
        let v = self.voiced(threshold);
        v.get(v.len() / 2).copied()
    }
}

/// First index of the largest value in `lo..hi` (ties go to the lower bin, as torch's argmax).
fn argmax(row: &[f32], lo: usize, hi: usize) -> usize {
    let mut best = lo;
    for b in lo..hi {
        if row[b] > row[best] {
            best = b;
        }
    }
    best
}

/// Decodes `activations` (rows of 360) within `fmin..fmax`.
pub fn decode(activations: &[f32], decoder: Decoder, fmin: f64, fmax: f64) -> Track {
    let (lo, hi) = bin_range(fmin, fmax);
    let rows: Vec<&[f32]> = activations.chunks_exact(BINS).collect();
    if lo >= hi {
        return Track {
            bins: vec![lo; rows.len()],
            hz: vec![0.0; rows.len()],
            periodicity: vec![0.0; rows.len()],
        };
    }
    let (bins, hz) = match decoder {
        Decoder::WeightedArgmax => rows.iter().map(|r| weighted_argmax(r, lo, hi)).unzip(),
        Decoder::Viterbi => {
            let bins = viterbi(&rows, lo, hi);
            let hz = bins.iter().map(|&b| cents_to_hz(bin_to_cents(b as f64))).collect();
            (bins, hz)
        }
    };
    let periodicity = rows.iter().zip(&bins).map(|(r, &b)| r[b]).collect();
    Track { bins, hz, periodicity }
}

/// Argmax, then the sigmoid-weighted mean of the cents of the nine bins around it. torchcrepe
/// applies the sigmoid to values that are already probabilities; we match it.
fn weighted_argmax(row: &[f32], lo: usize, hi: usize) -> (usize, f64) {
    let bin = argmax(row, lo, hi);
    let start = bin.saturating_sub(4).max(lo);
    let end = (bin + 5).min(hi);
    let (mut num, mut den) = (0.0f64, 0.0f64);
    for (b, &p) in row.iter().enumerate().take(end).skip(start) {
        let s = 1.0 / (1.0 + (-f64::from(p)).exp());
        num += s * bin_to_cents(b as f64);
        den += s;
    }
    (bin, cents_to_hz(num / den))
}

/// Viterbi decoding as torchcrepe + librosa do it: softmax over the allowed bins, a transition
/// matrix `max(12 - |i - j|, 0)` normalised per row, a uniform prior, in the log domain.
fn viterbi(rows: &[&[f32]], lo: usize, hi: usize) -> Vec<usize> {
    let steps = rows.len();
    if steps == 0 {
        return Vec::new();
    }
    let tiny = f64::from(f32::MIN_POSITIVE);
    let log_trans = log_transitions();
    let log_prob = |row: &[f32]| -> Vec<f64> {
        let max = row[lo..hi].iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let exps: Vec<f32> =
            (0..BINS).map(|b| if (lo..hi).contains(&b) { (row[b] - max).exp() } else { 0.0 }).collect();
        let sum: f32 = exps.iter().sum();
        // librosa takes this log in float32, like the probabilities.
        exps.iter().map(|e| f64::from((e / sum + f32::MIN_POSITIVE).ln())).collect()
    };
    let init = (1.0 / BINS as f64 + tiny).ln();
    let mut value: Vec<f64> = log_prob(rows[0]).iter().map(|p| p + init).collect();
    let mut ptr = vec![vec![0usize; BINS]; steps];
    for t in 1..steps {
        let lp = log_prob(rows[t]);
        let mut next = vec![0.0; BINS];
        for j in 0..BINS {
            // Transitions further than 11 bins have weight 0 (log tiny): they never win unless
            // every state is equally unlikely, so scan all states to match librosa exactly.
            let mut best = 0;
            let mut best_v = f64::NEG_INFINITY;
            for (i, v) in value.iter().enumerate() {
                let cand = v + log_trans[i * BINS + j];
                if cand > best_v {
                    best_v = cand;
                    best = i;
                }
            }
            ptr[t][j] = best;
            next[j] = lp[j] + best_v;
        }
        value = next;
    }
    let mut state = vec![0usize; steps];
    state[steps - 1] = argmax_f64(&value);
    for t in (0..steps - 1).rev() {
        state[t] = ptr[t + 1][state[t + 1]];
    }
    state
}

/// Log transition weights, [from * BINS + to] (only |to - from| < 12 is non-zero), computed
/// once per process.
fn log_transitions() -> &'static [f64] {
    static TABLE: std::sync::OnceLock<Vec<f64>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let tiny = f64::from(f32::MIN_POSITIVE);
        let mut table = vec![0.0f64; BINS * BINS];
        for from in 0..BINS {
            let w = |to: usize| (12 - (from as i64 - to as i64).abs()).max(0) as f64;
            let sum: f64 = (0..BINS).map(w).sum();
            for to in 0..BINS {
                table[from * BINS + to] = (w(to) / sum + tiny).ln();
            }
        }
        table
    })
}

fn argmax_f64(v: &[f64]) -> usize {
    let mut best = 0;
    for (i, x) in v.iter().enumerate() {
        if *x > v[best] {
            best = i;
        }
    }
    best
}
