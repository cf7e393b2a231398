//! Pitch shifting by phase vocoder (time-stretch by the ratio, then resample back) with
//! spectral-envelope correction that keeps or scales the formants; and F0 estimation by
//! autocorrelation computed in the frequency domain.

use super::{Dsp, resample, to_vec};
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};
use std::f32::consts::PI;

/// Half-width, in bins, of the moving average that estimates the spectral envelope.
const ENVELOPE_BINS: usize = 6;

impl<B: Backend> Dsp<B> {
    /// Shifts the pitch of `x` by `ratio` (2.0 = one octave up) keeping its duration. Formants
    /// move by `formant_ratio` (1.0 keeps them in place, `ratio` moves them with the pitch).
    pub fn pitch_shift(&self, x: Tensor<B, 1>, ratio: f32, formant_ratio: f32) -> Tensor<B, 1> {
        let len = x.dims()[0];
        let hop_out = ((self.hop as f32 * ratio).round() as usize).max(1);
        // The exact stretch is hop_out / hop; resampling by its inverse gives the exact shift.
        let stretch = hop_out as f32 / self.hop as f32;
        let (re, im) = self.stft(x);
        let [frames, bins] = re.dims();
        let mag = (re.clone().powf_scalar(2.0) + im.clone().powf_scalar(2.0)).sqrt();
        let phase = im.atan2(re);

        // Phase vocoder: the true frequency of each bin from the frame-to-frame phase advance,
        // accumulated at the synthesis hop.
        let expected: Vec<f32> =
            (0..bins).map(|k| 2.0 * PI * k as f32 * self.hop as f32 / self.n_fft as f32).collect();
        let expected =
            Tensor::<B, 1>::from_data(TensorData::new(expected, [bins]), &self.device).unsqueeze::<2>();
        let advance = if frames > 1 {
            let d = phase.clone().slice(1..frames) - phase.clone().slice(0..frames - 1) - expected.clone();
            let wrapped = d.clone() - (d / (2.0 * PI)).round() * (2.0 * PI);
            Tensor::cat(vec![phase.clone().slice(0..1), (wrapped + expected) * stretch], 0)
        } else {
            phase.clone()
        };
        let synth_phase = advance.cumsum(0);

        let gain = self.envelope_gain(mag.clone(), stretch, formant_ratio);
        let mag = mag * gain;
        let out = self.istft(
            mag.clone() * synth_phase.clone().cos(),
            mag * synth_phase.sin(),
            hop_out,
            (len as f32 * stretch).ceil() as usize,
        );
        let shifted = resample(&self.device, out, 1.0 / stretch);
        let got = shifted.dims()[0];
        if got >= len {
            shifted.slice(0..len)
        } else {
            Tensor::cat(vec![shifted, Tensor::zeros([len - got], &self.device)], 0)
        }
    }

    /// Per-bin gain [frames, bins] that moves the envelope where the formants should end up,
    /// and removes bins that would alias after resampling.
    fn envelope_gain(&self, mag: Tensor<B, 2>, stretch: f32, formant_ratio: f32) -> Tensor<B, 2> {
        let bins = self.bins();
        // After resampling, stretched bin k sounds at k * stretch; content above the Nyquist
        // frequency would fold back, so it is removed.
        let keep: Vec<f32> =
            (0..bins).map(|k| if (k as f32) * stretch < (bins - 1) as f32 { 1.0 } else { 0.0 }).collect();
        let keep = Tensor::<B, 1>::from_data(TensorData::new(keep, [bins]), &self.device).unsqueeze::<2>();
        if (stretch - formant_ratio).abs() < 1e-6 {
            return keep.repeat_dim(0, mag.dims()[0]);
        }
        // Envelope: moving average over frequency, as a banded matrix product.
        let mut smooth = vec![0.0f32; bins * bins];
        for j in 0..bins {
            let lo = j.saturating_sub(ENVELOPE_BINS);
            let hi = (j + ENVELOPE_BINS).min(bins - 1);
            for i in lo..=hi {
                smooth[i * bins + j] = 1.0 / (hi - lo + 1) as f32;
            }
        }
        // Warp: the wanted envelope at stretched bin k is the original envelope at
        // k * stretch / formant_ratio (linear interpolation between bins).
        let mut warp = vec![0.0f32; bins * bins];
        for k in 0..bins {
            let src = k as f32 * stretch / formant_ratio;
            let i = src.floor() as usize;
            if i + 1 < bins {
                let f = src - i as f32;
                warp[i * bins + k] += 1.0 - f;
                warp[(i + 1) * bins + k] += f;
            }
        }
        let m = |v: Vec<f32>| Tensor::<B, 2>::from_data(TensorData::new(v, [bins, bins]), &self.device);
        let env = mag.matmul(m(smooth));
        let wanted = env.clone().matmul(m(warp));
        // Bounded so a lone partial (a pure tone has no envelope to keep) is attenuated, not erased.
        (wanted / env.clamp_min(1e-6)).clamp(0.25, 4.0) * keep
    }
}

/// Median F0 (Hz) of the voiced frames of `x`, or `None` when nothing is voiced. Autocorrelation
/// per frame is the inverse DFT of the power spectrum; the peak lag between 60 and 500 Hz wins.
pub fn estimate_f0<B: Backend>(dsp: &Dsp<B>, x: Tensor<B, 1>, sample_rate: u32) -> Option<f32> {
    let (re, im) = dsp.stft(x);
    let [frames, _] = re.dims();
    let power = re.powf_scalar(2.0) + im.powf_scalar(2.0);
    let acf = power.matmul(dsp.inv_cos_basis());
    let sr = sample_rate as f32;
    let lo = (sr / 500.0).floor() as usize;
    let hi = ((sr / 60.0).ceil() as usize).min(dsp.n_fft / 2);
    if lo + 2 >= hi {
        return None;
    }
    let values = acf.into_data().convert::<f32>().into_vec::<f32>().ok()?;
    let n = dsp.n_fft;
    let energy_floor = values.iter().step_by(n).fold(0.0f32, |a, &v| a.max(v)) * 1e-3;
    let mut f0s = Vec::new();
    for t in 0..frames {
        let row = &values[t * n..(t + 1) * n];
        let r0 = row[0];
        if r0 <= energy_floor || r0 <= 0.0 {
            continue;
        }
        // The autocorrelation of a periodic frame peaks at every multiple of the period with
        // nearly equal height; the period is the first local peak close to the highest one.
        let best = (lo..hi).map(|l| row[l]).fold(f32::MIN, f32::max);
        if best / r0 < 0.45 {
            continue;
        }
        let Some(lag) =
            (lo + 1..hi - 1).find(|&l| row[l] >= 0.9 * best && row[l] >= row[l - 1] && row[l] >= row[l + 1])
        else {
            continue;
        };
        // Parabolic interpolation of the peak for sub-sample lag precision.
        let (a, b, c) = (row[lag - 1], row[lag], row[lag + 1]);
        let denom = a - 2.0 * b + c;
        let delta = if denom.abs() > 1e-12 { 0.5 * (a - c) / denom } else { 0.0 };
        f0s.push(sr / (lag as f32 + delta));
    }
    if f0s.is_empty() {
        return None;
    }
    f0s.sort_by(f32::total_cmp);
    let _ = to_vec::<B>;
    Some(f0s[f0s.len() / 2])
}

impl<B: Backend> Dsp<B> {
    pub(super) fn inv_cos_basis(&self) -> Tensor<B, 2> {
        self.inv_cos.clone()
    }
}
