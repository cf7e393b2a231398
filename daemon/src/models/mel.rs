//! The speaker encoder's front end: a 40-band mel power spectrogram computed as Resemblyzer
//! computes it through librosa 0.10 (`melspectrogram(sr=16000, n_fft=400, hop_length=160,
//! n_mels=40)`: centred frames zero-padded by n_fft/2, periodic Hann window, |STFT|^2, Slaney
//! mel scale and Slaney area normalisation). Not a log spectrogram: the network was trained on
//! linear power.

/// Sample rate of the speaker encoder.
pub const SAMPLE_RATE: u32 = 16_000;
pub const N_FFT: usize = 400;
pub const HOP: usize = 160;
pub const N_MELS: usize = 40;

/// Slaney's mel scale: linear below 1 kHz, logarithmic above.
fn hz_to_mel(hz: f64) -> f64 {
    let (f_sp, min_log_hz) = (200.0 / 3.0, 1000.0);
    let min_log_mel = min_log_hz / f_sp;
    let logstep = 6.4f64.ln() / 27.0;
    if hz >= min_log_hz { min_log_mel + (hz / min_log_hz).ln() / logstep } else { hz / f_sp }
}

fn mel_to_hz(mel: f64) -> f64 {
    let (f_sp, min_log_hz) = (200.0 / 3.0, 1000.0);
    let min_log_mel = min_log_hz / f_sp;
    let logstep = 6.4f64.ln() / 27.0;
    if mel >= min_log_mel { min_log_hz * (logstep * (mel - min_log_mel)).exp() } else { f_sp * mel }
}

/// Precomputed window, DFT tables and filterbank; build once, reuse per request.
pub struct MelFrontEnd {
    window: Vec<f64>,
    cos: Vec<f64>,
    sin: Vec<f64>,
    /// [N_MELS][bins] filter weights.
    filters: Vec<Vec<f64>>,
}

impl Default for MelFrontEnd {
    fn default() -> Self {
        Self::new()
    }
}

impl MelFrontEnd {
    pub fn new() -> Self {
        let bins = N_FFT / 2 + 1;
        let tau = 2.0 * std::f64::consts::PI;
        let window = (0..N_FFT).map(|n| 0.5 - 0.5 * (tau * n as f64 / N_FFT as f64).cos()).collect();
        let (mut cos, mut sin) = (Vec::with_capacity(bins * N_FFT), Vec::with_capacity(bins * N_FFT));
        for k in 0..bins {
            for n in 0..N_FFT {
                let a = tau * ((k * n) % N_FFT) as f64 / N_FFT as f64;
                cos.push(a.cos());
                sin.push(a.sin());
            }
        }
        let sr = f64::from(SAMPLE_RATE);
        let fft_hz: Vec<f64> = (0..bins).map(|k| k as f64 * sr / N_FFT as f64).collect();
        let (mel_lo, mel_hi) = (hz_to_mel(0.0), hz_to_mel(sr / 2.0));
        let mel_hz: Vec<f64> = (0..N_MELS + 2)
            .map(|i| mel_to_hz(mel_lo + (mel_hi - mel_lo) * i as f64 / (N_MELS + 1) as f64))
            .collect();
        let filters = (0..N_MELS)
            .map(|m| {
                let (lo, mid, hi) = (mel_hz[m], mel_hz[m + 1], mel_hz[m + 2]);
                let enorm = 2.0 / (hi - lo);
                fft_hz
                    .iter()
                    .map(|&f| {
                        let lower = (f - lo) / (mid - lo);
                        let upper = (hi - f) / (hi - mid);
                        lower.min(upper).max(0.0) * enorm
                    })
                    .collect()
            })
            .collect();
        Self { window, cos, sin, filters }
    }

    /// Frames of the spectrogram of `wav` (16 kHz): `1 + len / 160` rows of 40 values.
    pub fn spectrogram(&self, wav: &[f32]) -> Vec<[f32; N_MELS]> {
        let bins = N_FFT / 2 + 1;
        let half = N_FFT / 2;
        let count = 1 + wav.len() / HOP;
        let mut frame = vec![0.0f64; N_FFT];
        let mut power = vec![0.0f64; bins];
        let mut out = Vec::with_capacity(count);
        for f in 0..count {
            for (n, slot) in frame.iter_mut().enumerate() {
                let i = (f * HOP + n).checked_sub(half);
                let x = i.and_then(|i| wav.get(i)).copied().map_or(0.0, f64::from);
                *slot = x * self.window[n];
            }
            for (k, p) in power.iter_mut().enumerate() {
                let (c, s) = (&self.cos[k * N_FFT..(k + 1) * N_FFT], &self.sin[k * N_FFT..(k + 1) * N_FFT]);
                let (mut re, mut im) = (0.0, 0.0);
                for n in 0..N_FFT {
                    re += frame[n] * c[n];
                    im += frame[n] * s[n];
                }
                *p = re * re + im * im;
            }
            let mut row = [0.0f32; N_MELS];
            for (m, filter) in self.filters.iter().enumerate() {
                row[m] = filter.iter().zip(&power).map(|(w, p)| w * p).sum::<f64>() as f32;
            }
            out.push(row);
        }
        out
    }
}
