//! Short-time Fourier transform and its inverse as matrix products with DFT bases; framing with
//! `select` and overlap-add with an additive `select_assign`.

use super::Dsp;
use burn::tensor::backend::Backend;
use burn::tensor::{IndexingUpdateOp, Int, Tensor, TensorData};

impl<B: Backend> Dsp<B> {
    /// Indices `t * hop + n` of every frame sample, flattened ([frames * n_fft]).
    fn frame_indices(&self, frames: usize, hop: usize) -> Tensor<B, 1, Int> {
        let mut idx = Vec::with_capacity(frames * self.n_fft);
        for t in 0..frames {
            for n in 0..self.n_fft {
                idx.push(i64::try_from(t * hop + n).unwrap_or(i64::MAX));
            }
        }
        Tensor::from_data(TensorData::new(idx, [frames * self.n_fft]), &self.device)
    }

    /// Number of analysis frames for `len` samples (the signal is padded by n_fft/2 each side).
    pub fn frames_for(&self, len: usize) -> usize {
        (len + self.n_fft) / self.hop
    }

    /// STFT of `x`: (real, imaginary) parts, each [frames, bins].
    pub fn stft(&self, x: Tensor<B, 1>) -> (Tensor<B, 2>, Tensor<B, 2>) {
        let len = x.dims()[0];
        let pad = self.n_fft / 2;
        let frames = self.frames_for(len).max(1);
        let total = (frames - 1) * self.hop + self.n_fft;
        let padded = Tensor::<B, 1>::zeros([total], &self.device).slice_assign(pad..pad + len, x);
        let framed = padded.select(0, self.frame_indices(frames, self.hop)).reshape([frames, self.n_fft]);
        let windowed = framed * self.window.clone().unsqueeze::<2>();
        (windowed.clone().matmul(self.fwd_cos.clone()), windowed.matmul(self.fwd_sin.clone()))
    }

    /// Inverse STFT with synthesis hop `hop_out`, trimmed to `len` samples; windowed
    /// overlap-add normalised by the summed squared window.
    pub fn istft(&self, re: Tensor<B, 2>, im: Tensor<B, 2>, hop_out: usize, len: usize) -> Tensor<B, 1> {
        let frames = re.dims()[0];
        let time = re.matmul(self.inv_cos.clone()) + im.matmul(self.inv_sin.clone());
        let window = self.window.clone().unsqueeze::<2>();
        let windowed = (time * window.clone()).reshape([frames * self.n_fft]);
        let total = (frames.saturating_sub(1)) * hop_out + self.n_fft;
        let idx = self.frame_indices(frames, hop_out);
        let zeros = Tensor::<B, 1>::zeros([total], &self.device);
        let sum = zeros.clone().select_assign(0, idx.clone(), windowed, IndexingUpdateOp::Add);
        let wsq = (window.clone() * window).repeat_dim(0, frames).reshape([frames * self.n_fft]);
        let norm = zeros.select_assign(0, idx, wsq, IndexingUpdateOp::Add).clamp_min(1e-3);
        let pad = self.n_fft / 2;
        let end = (pad + len).min(total);
        let out = (sum / norm).slice(pad..end);
        let got = end - pad;
        if got < len { Tensor::cat(vec![out, Tensor::zeros([len - got], &self.device)], 0) } else { out }
    }
}
