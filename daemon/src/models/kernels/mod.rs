//! Backend-specific kernels for the models' hot paths, in burn's backend-extension style: a
//! trait whose default methods are written with burn's tensor ops (what CUDA runs), overridden
//! where a backend has a faster way (the CPU backend, in `cpu.rs`).
//!
//! Why: on burn-ndarray 0.20.1 the models spend most of their time in overheads rather than
//! arithmetic. Its `matmul` reshapes both operands through a copy on every call (for the speaker
//! encoder's recurrent [8, 256] x [256, 1024] product, copying the 1 MiB weight matrix cost more
//! than the product), each element-wise op allocates and dispatches, and its direct convolution
//! reaches about 30 GMAC/s where a GEMM reaches over 100. Tests hold each override to the
//! generic version's results.

pub mod cpu;

use burn::tensor::backend::Backend;
use burn::tensor::module::conv2d;
use burn::tensor::ops::{ConvOptions, PadMode};
use burn::tensor::{Tensor, TensorData, activation};

/// The operations the models need beyond burn's tensor API.
pub trait ModelBackend: Backend {
    /// The matrix product `lhs · rhs` of two 2-D tensors.
    fn matmul_2d(lhs: Tensor<Self, 2>, rhs: &Tensor<Self, 2>) -> Tensor<Self, 2> {
        lhs.matmul(rhs.clone())
    }

    /// One LSTM cell update; see [`lstm_cell`], which this computes.
    fn lstm_cell(
        input: Tensor<Self, 2>,
        recurrent: Tensor<Self, 2>,
        c: Tensor<Self, 2>,
    ) -> (Tensor<Self, 2>, Tensor<Self, 2>) {
        lstm_cell(input, recurrent, c)
    }

    /// Builds a [`ConvLayer`] from its weight [out, in, 1, kernel], bias and per-channel affine
    /// map (`scale`, `shift`: inference batch norm), choosing how this backend runs it. Called
    /// once, at load.
    fn conv_layer(parts: ConvParts<Self>) -> ConvLayer<Self> {
        ConvLayer::direct(parts)
    }

    /// The layer on `x` [batch, in, 1, time]: convolution over time, ReLU, the affine map.
    /// Returns [batch, out, 1, time'].
    fn conv_forward(x: Tensor<Self, 4>, layer: &ConvLayer<Self>) -> Tensor<Self, 4> {
        layer.forward_direct(x, &layer.weight)
    }
}

/// What a convolution layer is made of, as loaded.
pub struct ConvParts<B: Backend> {
    /// [out, in, 1, kernel].
    pub weight: Tensor<B, 4>,
    pub bias: Vec<f32>,
    pub scale: Vec<f32>,
    pub shift: Vec<f32>,
    /// Zero padding (left, right) of the time axis.
    pub pad: (usize, usize),
    /// Samples between windows.
    pub stride: usize,
}

/// How a backend runs a [`ConvLayer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConvPath {
    /// burn's `conv2d` on the weight as loaded.
    Direct,
    /// Windows copied into rows (im2col), one GEMM with the [in * kernel, out] weight matrix.
    Im2col,
    /// One GEMM of positions with the [in, kernel * out] weight matrix, then a shifted sum.
    Shift,
}

/// One convolution layer over time with its ReLU and per-channel affine map.
pub struct ConvLayer<B: Backend> {
    /// [out, in, 1, kernel] for [`ConvPath::Direct`]; [in, kernel, 1, out] for the GEMM paths.
    pub weight: Tensor<B, 4>,
    pub path: ConvPath,
    pub pad: (usize, usize),
    pub stride: usize,
    /// Bias, scale and shift on the host, for kernels that apply them as they write.
    pub host: [Vec<f32>; 3],
    bias: Tensor<B, 1>,
    scale: Tensor<B, 4>,
    shift: Tensor<B, 4>,
}

impl<B: Backend> ConvLayer<B> {
    /// The layer run with burn's ops on the weight as loaded.
    pub fn direct(parts: ConvParts<B>) -> Self {
        let weight = parts.weight.clone();
        Self::with_path(weight, ConvPath::Direct, parts)
    }

    /// The layer with `weight` laid out for `path` (the loaded weight in `parts` is dropped).
    pub fn with_path(weight: Tensor<B, 4>, path: ConvPath, parts: ConvParts<B>) -> Self {
        let device = weight.device();
        let cout = parts.bias.len();
        let per_channel =
            |v: &[f32]| Tensor::from_data(TensorData::new(v.to_vec(), [1, cout, 1, 1]), &device);
        let bias = Tensor::from_data(TensorData::new(parts.bias.clone(), [cout]), &device);
        let (scale, shift) = (per_channel(&parts.scale), per_channel(&parts.shift));
        let host = [parts.bias, parts.scale, parts.shift];
        Self { weight, path, pad: parts.pad, stride: parts.stride, host, bias, scale, shift }
    }

    /// Convolution, ReLU and affine map with burn's tensor ops; `weight` is [out, in, 1, kernel].
    pub fn forward_direct(&self, x: Tensor<B, 4>, weight: &Tensor<B, 4>) -> Tensor<B, 4> {
        let y = conv_time(x, weight, &self.bias, self.pad, self.stride);
        activation::relu(y) * self.scale.clone() + self.shift.clone()
    }
}

/// A loaded [out, in, 1, kernel] weight in the layout the GEMM paths take, [in, kernel, 1, out],
/// stored contiguously: flattened, it is both the [in * kernel, out] matrix that im2col rows
/// multiply and the [in, kernel * out] one of the shifted sum.
pub fn gemm_layout<B: Backend>(weight: Tensor<B, 4>) -> Tensor<B, 4> {
    let device = weight.device();
    Tensor::from_data(weight.permute([1, 3, 2, 0]).into_data(), &device)
}

/// One LSTM cell update with burn tensor ops: `input` and `recurrent` are the two halves of the
/// gate pre-activations [batch, 4H] (gate order i, f, g, o), pre-scaled by -1 for i, f, o and
/// by -2 for g, so that one `exp` gives every activation: sigmoid(x) = 1 / (1 + exp(-x)) and
/// tanh(x) = 2 sigmoid(2x) - 1. `c` is the cell state [batch, H]. Returns the new (h, c).
pub fn lstm_cell<B: Backend>(
    input: Tensor<B, 2>,
    recurrent: Tensor<B, 2>,
    c: Tensor<B, 2>,
) -> (Tensor<B, 2>, Tensor<B, 2>) {
    let [batch, hidden] = c.dims();
    let s = ((input + recurrent).exp() + 1.0).recip();
    let gate = |k: usize| s.clone().slice([0..batch, k * hidden..(k + 1) * hidden]);
    let g = gate(2) * 2.0 - 1.0;
    let c = gate(1) * c + gate(0) * g;
    let h = gate(3) * c.clone().tanh();
    (h, c)
}

/// The time convolution with burn's `conv2d` on a weight in its original layout.
pub fn conv_time<B: Backend>(
    x: Tensor<B, 4>,
    weight: &Tensor<B, 4>,
    bias: &Tensor<B, 1>,
    pad: (usize, usize),
    stride: usize,
) -> Tensor<B, 4> {
    let x = x.pad((pad.0, pad.1, 0, 0), PadMode::Constant(0.0));
    conv2d(x, weight.clone(), Some(bias.clone()), ConvOptions::new([1, stride], [0, 0], [1, 1], 1))
}

#[cfg(feature = "cuda")]
impl ModelBackend for burn::backend::Cuda {}
