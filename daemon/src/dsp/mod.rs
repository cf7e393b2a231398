//! The voice transform as burn tensor operations: STFT/iSTFT through a DFT basis, phase-vocoder
//! pitch shifting with spectral-envelope (formant) correction, windowed-sinc resampling,
//! loudness normalisation and F0 estimation. Generic over the backend, so the same code runs on
//! the CPU (ndarray) and, with `--features cuda`, on the GPU (`engine` chooses).

mod resample;
mod shift;
mod stft;

pub use resample::{normalize_loudness, resample};
pub use shift::estimate_f0;

use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};

/// Analysis parameters and precomputed DFT bases, built once and reused for every request.
pub struct Dsp<B: Backend> {
    pub device: B::Device,
    pub n_fft: usize,
    pub hop: usize,
    /// Hann window, [N].
    window: Tensor<B, 1>,
    /// Forward bases [N, K]: `cos(2πkn/N)` and `-sin(2πkn/N)`.
    fwd_cos: Tensor<B, 2>,
    fwd_sin: Tensor<B, 2>,
    /// Inverse bases [K, N] with the one-sided weights and 1/N folded in.
    inv_cos: Tensor<B, 2>,
    inv_sin: Tensor<B, 2>,
}

impl<B: Backend> Dsp<B> {
    pub fn new(device: B::Device, n_fft: usize, hop: usize) -> Self {
        let k = n_fft / 2 + 1;
        let nf = n_fft as f64;
        let mut fc = Vec::with_capacity(n_fft * k);
        let mut fs = Vec::with_capacity(n_fft * k);
        for n in 0..n_fft {
            for b in 0..k {
                let a = 2.0 * std::f64::consts::PI * (b * n % n_fft) as f64 / nf;
                fc.push(a.cos() as f32);
                fs.push(-a.sin() as f32);
            }
        }
        let mut ic = Vec::with_capacity(n_fft * k);
        let mut is = Vec::with_capacity(n_fft * k);
        for b in 0..k {
            let weight = if b == 0 || b == n_fft / 2 { 1.0 } else { 2.0 } / nf;
            for n in 0..n_fft {
                let a = 2.0 * std::f64::consts::PI * (b * n % n_fft) as f64 / nf;
                ic.push((weight * a.cos()) as f32);
                is.push((-weight * a.sin()) as f32);
            }
        }
        let window: Vec<f32> = (0..n_fft)
            .map(|n| (0.5 - 0.5 * (2.0 * std::f64::consts::PI * n as f64 / nf).cos()) as f32)
            .collect();
        let t2 =
            |v: Vec<f32>, r: usize, c: usize| Tensor::<B, 2>::from_data(TensorData::new(v, [r, c]), &device);
        Self {
            window: Tensor::from_data(TensorData::new(window, [n_fft]), &device),
            fwd_cos: t2(fc, n_fft, k),
            fwd_sin: t2(fs, n_fft, k),
            inv_cos: t2(ic, k, n_fft),
            inv_sin: t2(is, k, n_fft),
            device,
            n_fft,
            hop,
        }
    }

    pub fn bins(&self) -> usize {
        self.n_fft / 2 + 1
    }

    pub fn tensor(&self, samples: &[f32]) -> Tensor<B, 1> {
        Tensor::from_data(TensorData::new(samples.to_vec(), [samples.len()]), &self.device)
    }
}

/// Copies a 1-D tensor back to host memory.
pub fn to_vec<B: Backend>(t: Tensor<B, 1>) -> Vec<f32> {
    t.into_data().convert::<f32>().into_vec::<f32>().unwrap_or_default()
}
