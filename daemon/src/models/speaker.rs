//! The GE2E speaker encoder of Resemblyzer 0.1.4 (Wan et al. 2018): 40-band mel frames into a
//! 3-layer LSTM of 256 units, the last layer's final state through a linear projection and
//! ReLU to a 256-d unit vector. An utterance is cut into 1.6 s partials (160 frames) at 1.3 per
//! second; the utterance embedding is the normalised mean of the partial embeddings.

use super::kernels::ModelBackend;
use super::mel::{HOP, MelFrontEnd, N_MELS};
use super::weights::{LoadError, Weights};
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData, activation};
use std::path::Path;

pub const HIDDEN: usize = 256;
pub const EMBEDDING: usize = 256;
const LAYERS: usize = 3;
/// Mel frames per partial utterance (1.6 s).
pub const PARTIAL_FRAMES: usize = 160;
/// Weight file name inside the models directory.
pub const FILE: &str = "resemblyzer.pt";

/// One LSTM layer. Gate order i, f, g, o as in PyTorch. The gate columns of the weights and
/// bias are pre-scaled (-1 for i, f, o; -2 for g) as [`super::kernels::lstm_cell`] expects.
/// Scaling by powers of two and negation are exact in floating point, so the products are
/// unchanged.
struct LstmLayer<B: Backend> {
    /// Input weights, transposed to [in, 4H] and scaled.
    w_ih: Tensor<B, 2>,
    /// Recurrent weights, transposed to [H, 4H] and scaled.
    w_hh: Tensor<B, 2>,
    /// (b_ih + b_hh), scaled, [1, 4H].
    bias: Tensor<B, 2>,
}

/// The scale of the pre-activation of gate column `col` (see [`LstmLayer`]).
fn gate_scale(col: usize) -> f32 {
    if col / HIDDEN == 2 { -2.0 } else { -1.0 }
}

/// Multiplies each column of a row-major `[rows, 4H]` matrix by its [`gate_scale`].
fn scale_gates(mut values: Vec<f32>) -> Vec<f32> {
    for (i, v) in values.iter_mut().enumerate() {
        *v *= gate_scale(i % (4 * HIDDEN));
    }
    values
}

/// The speaker encoder with its weights on one device.
pub struct SpeakerEncoder<B: Backend> {
    layers: Vec<LstmLayer<B>>,
    proj_w: Tensor<B, 2>,
    proj_b: Tensor<B, 2>,
    mel: MelFrontEnd,
    pub device: B::Device,
}

impl<B: ModelBackend> SpeakerEncoder<B> {
    /// Loads Resemblyzer's `pretrained.pt` (the state dict is under `model_state`).
    pub fn load(path: &Path, device: &B::Device) -> Result<Self, LoadError> {
        let w = Weights::open(path, Some("model_state"))?;
        let mut layers = Vec::with_capacity(LAYERS);
        for l in 0..LAYERS {
            let input = if l == 0 { N_MELS } else { HIDDEN };
            let matrix = |name: &str, cols: usize| -> Result<Tensor<B, 2>, LoadError> {
                let t = w.transposed_values(&format!("lstm.{name}_l{l}"), [4 * HIDDEN, cols])?;
                Ok(Tensor::from_data(TensorData::new(scale_gates(t), [cols, 4 * HIDDEN]), device))
            };
            let b_ih = w.values(&format!("lstm.bias_ih_l{l}"), &[4 * HIDDEN])?;
            let b_hh = w.values(&format!("lstm.bias_hh_l{l}"), &[4 * HIDDEN])?;
            let bias: Vec<f32> = b_ih.iter().zip(&b_hh).map(|(a, b)| a + b).collect();
            layers.push(LstmLayer {
                w_ih: matrix("weight_ih", input)?,
                w_hh: matrix("weight_hh", HIDDEN)?,
                bias: Tensor::from_data(TensorData::new(scale_gates(bias), [1, 4 * HIDDEN]), device),
            });
        }
        Ok(Self {
            layers,
            proj_w: w.transposed::<B>("linear.weight", [EMBEDDING, HIDDEN], device)?,
            proj_b: w.reshaped::<B, 1, 2>("linear.bias", [EMBEDDING], [1, EMBEDDING], device)?,
            mel: MelFrontEnd::new(),
            device: device.clone(),
        })
    }

    /// Embeddings [batch, 256] of mel batches [batch, frames, 40].
    pub fn forward(&self, mels: Tensor<B, 3>) -> Tensor<B, 2> {
        let [batch, steps, _] = mels.dims();
        // Time-major, so that each step's slice of the input projections is contiguous.
        let mut x = mels.swap_dims(0, 1);
        let mut last = Tensor::<B, 2>::zeros([batch, HIDDEN], &self.device);
        let h4 = 4 * HIDDEN;
        for layer in &self.layers {
            let [_, _, input] = x.dims();
            // Input projections of every step at once; only the recurrence is sequential.
            let pre = (B::matmul_2d(x.reshape([steps * batch, input]), &layer.w_ih) + layer.bias.clone())
                .reshape([steps, batch, h4]);
            let mut h = Tensor::<B, 2>::zeros([batch, HIDDEN], &self.device);
            let mut c = Tensor::<B, 2>::zeros([batch, HIDDEN], &self.device);
            let mut outs = Vec::with_capacity(steps);
            for t in 0..steps {
                let input = pre.clone().slice([t..t + 1, 0..batch, 0..h4]).reshape([batch, h4]);
                (h, c) = B::lstm_cell(input, B::matmul_2d(h, &layer.w_hh), c);
                outs.push(h.clone());
            }
            last = h;
            x = Tensor::stack(outs, 0);
        }
        let e = activation::relu(B::matmul_2d(last, &self.proj_w) + self.proj_b.clone());
        let norm = e.clone().powf_scalar(2.0).sum_dim(1).sqrt();
        e / norm
    }

    /// The utterance embedding of 16 kHz audio, as Resemblyzer's `embed_utterance` (rate 1.3,
    /// minimum coverage 0.75) computes it from an already preprocessed waveform.
    pub fn embed_utterance(&self, wav: &[f32]) -> Vec<f32> {
        let slices = partial_slices(wav.len(), 1.3, 0.75);
        let stop = slices.last().map_or(0, |s| (s + PARTIAL_FRAMES) * HOP);
        let mut padded = wav.to_vec();
        if stop >= padded.len() {
            padded.resize(stop, 0.0);
        }
        let mel = self.mel.spectrogram(&padded);
        let mut flat = Vec::with_capacity(slices.len() * PARTIAL_FRAMES * N_MELS);
        for &s in &slices {
            for row in &mel[s..s + PARTIAL_FRAMES] {
                flat.extend_from_slice(row);
            }
        }
        let mels = Tensor::<B, 3>::from_data(
            TensorData::new(flat, [slices.len(), PARTIAL_FRAMES, N_MELS]),
            &self.device,
        );
        let partials = self.forward(mels).into_data().convert::<f32>().into_vec::<f32>().unwrap_or_default();
        let mut mean = vec![0.0f64; EMBEDDING];
        for p in partials.chunks_exact(EMBEDDING) {
            for (m, v) in mean.iter_mut().zip(p) {
                *m += f64::from(*v);
            }
        }
        let norm = mean.iter().map(|v| v * v).sum::<f64>().sqrt().max(f64::MIN_POSITIVE);
        mean.iter().map(|v| (v / norm) as f32).collect()
    }
}

/// Start frames of the partial utterances of an `n`-sample waveform, as Resemblyzer's
/// `compute_partial_slices`: a partial every `round(16000 / rate / 160)` frames; the last one is
/// dropped when it covers less than `min_coverage` of its span and is not the only one.
pub fn partial_slices(n: usize, rate: f64, min_coverage: f64) -> Vec<usize> {
    let frames = (n + 1).div_ceil(HOP);
    let step = ((16_000.0 / rate) / HOP as f64).round().max(1.0) as usize;
    let steps = (frames + step + 1).saturating_sub(PARTIAL_FRAMES).max(1);
    let mut starts: Vec<usize> = (0..steps).step_by(step).collect();
    if let Some(&last) = starts.last() {
        let (begin, end) = (last * HOP, (last + PARTIAL_FRAMES) * HOP);
        let coverage = (n as f64 - begin as f64) / (end - begin) as f64;
        if coverage < min_coverage && starts.len() > 1 {
            starts.pop();
        }
    }
    starts
}

/// Cosine similarity of two embeddings.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| f64::from(*x) * f64::from(*y)).sum();
    let na: f64 = a.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    if na == 0.0 || nb == 0.0 { 0.0 } else { (dot / (na * nb)) as f32 }
}
