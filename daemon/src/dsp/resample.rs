//! Windowed-sinc resampling and loudness normalisation as tensor operations.

use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor, TensorData};

/// Taps on each side of the interpolation point.
const HALF_TAPS: i64 = 16;

/// Resamples `x` by `ratio` (output rate / input rate) with a Hann-windowed sinc whose cutoff
/// is lowered when downsampling, so no content folds back.
pub fn resample<B: Backend>(device: &B::Device, x: Tensor<B, 1>, ratio: f32) -> Tensor<B, 1> {
    let len = x.dims()[0];
    if len == 0 || (ratio - 1.0).abs() < 1e-9 {
        return x;
    }
    let out_len = ((len as f64) * f64::from(ratio)).round().max(1.0) as usize;
    let taps = (2 * HALF_TAPS) as usize;
    let cutoff = ratio.min(1.0);
    // Source position of each output sample, split into integer base and fraction.
    let mut idx = Vec::with_capacity(out_len * taps);
    let mut offset = Vec::with_capacity(out_len * taps);
    for m in 0..out_len {
        let t = m as f64 / f64::from(ratio);
        let base = t.floor() as i64;
        for j in (1 - HALF_TAPS)..=HALF_TAPS {
            let i = base + j;
            let valid = i >= 0 && (i as usize) < len;
            idx.push(if valid { i } else { 0 });
            // Out-of-range taps get a distance far outside the window, i.e. weight 0.
            offset.push(if valid { (t - i as f64) as f32 } else { 1e6 });
        }
    }
    let idx = Tensor::<B, 1, Int>::from_data(TensorData::new(idx, [out_len * taps]), device);
    let d = Tensor::<B, 2>::from_data(TensorData::new(offset, [out_len, taps]), device);
    // sinc(cutoff * d) * cutoff * hann(d / HALF_TAPS), computed on the backend.
    let a = (d.clone() * (cutoff * std::f32::consts::PI)).abs();
    let small = a.clone().lower_elem(1e-6).float();
    let sinc = a.clone().sin() / a.clamp_min(1e-6) * small.clone().neg().add_scalar(1.0) + small;
    let w = d.clone().div_scalar(HALF_TAPS as f32);
    let inside = w.clone().abs().lower_elem(1.0).float();
    let hann = ((w * std::f32::consts::PI).cos() * 0.5 + 0.5) * inside;
    let weights = sinc * hann * cutoff;
    let gathered = x.select(0, idx).reshape([out_len, taps]);
    (gathered * weights).sum_dim(1).reshape([out_len])
}

/// Scales `x` to `target_rms` (linear), then limits peaks to `peak`; silence is left as is.
pub fn normalize_loudness<B: Backend>(x: Tensor<B, 1>, target_rms: f32, peak: f32) -> Tensor<B, 1> {
    let rms = x.clone().powf_scalar(2.0).mean().sqrt().into_scalar().elem::<f32>();
    if rms.partial_cmp(&1e-6) != Some(std::cmp::Ordering::Greater) {
        return x;
    }
    let y = x * (target_rms / rms);
    let max = y.clone().abs().max().into_scalar().elem::<f32>();
    if max > peak { y * (peak / max) } else { y }
}

use burn::tensor::ElementConversion;
