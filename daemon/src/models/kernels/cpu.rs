//! The CPU backend's (burn-ndarray) kernels: products on the stored arrays through ndarray's
//! GEMM (OpenBLAS), a fused LSTM cell, and convolution layers as GEMMs (im2col or a shifted
//! sum) that apply bias, ReLU and batch norm as they write their output.

use super::{ConvLayer, ConvParts, ConvPath, ModelBackend, gemm_layout};
use burn::backend::NdArray;
use burn::backend::ndarray::NdArrayTensor;
use burn::tensor::{Tensor, TensorPrimitive};
use ndarray::{Array2, ArrayViewD, Ix2, linalg::general_mat_mul};

/// Most values a GEMM block (im2col rows, or the shifted sum's products) holds at once:
/// 16 Mi f32, 64 MiB. Bounds a convolution's memory beside its input and output, whatever the
/// batch.
const GEMM_BLOCK: usize = 16 << 20;

/// Runs `f` on in-place views of CPU f32 tensors; `None` for other element types. In place
/// matters: weights loaded from host data stay borrowed, and turning them into owned arrays
/// would copy them on every call.
fn with_views<R, const D: usize, const N: usize>(
    tensors: [&Tensor<NdArray<f32>, D>; N],
    f: impl FnOnce([ArrayViewD<'_, f32>; N]) -> R,
) -> Option<R> {
    let primitives = tensors.map(|t| t.clone().into_primitive().tensor());
    let mut views = Vec::with_capacity(N);
    for p in &primitives {
        match p {
            NdArrayTensor::F32(storage) => views.push(storage.view()),
            _ => return None,
        }
    }
    Some(f(views.try_into().ok()?))
}

/// A CPU tensor from a host array.
fn tensor<const D: usize>(a: ndarray::ArrayD<f32>) -> Tensor<NdArray<f32>, D> {
    Tensor::from_primitive(TensorPrimitive::Float(NdArrayTensor::from(a.into_shared())))
}

/// sigmoid(x) for an `e` = exp(-x): see [`super::lstm_cell`].
fn from_exp(e: f32) -> f32 {
    1.0 / (1.0 + e)
}

impl ModelBackend for NdArray<f32> {
    fn matmul_2d(lhs: Tensor<Self, 2>, rhs: &Tensor<Self, 2>) -> Tensor<Self, 2> {
        let product = with_views([&lhs, rhs], |[a, b]| {
            Some(small_product(a.into_dimensionality::<Ix2>().ok()?, b.into_dimensionality::<Ix2>().ok()?))
        });
        match product.flatten() {
            Some(p) => tensor(p.into_dyn()),
            None => lhs.matmul(rhs.clone()),
        }
    }

    fn lstm_cell(
        input: Tensor<Self, 2>,
        recurrent: Tensor<Self, 2>,
        c: Tensor<Self, 2>,
    ) -> (Tensor<Self, 2>, Tensor<Self, 2>) {
        let [batch, hidden] = c.dims();
        let fused = with_views([&input, &recurrent, &c], |[x, r, cs]| {
            let (x, r, cs) = (
                x.into_dimensionality::<Ix2>().ok()?,
                r.into_dimensionality::<Ix2>().ok()?,
                cs.into_dimensionality::<Ix2>().ok()?,
            );
            let mut h_out = Array2::<f32>::zeros((batch, hidden));
            let mut c_out = Array2::<f32>::zeros((batch, hidden));
            for b in 0..batch {
                let (xr, rr, cr) = (x.row(b), r.row(b), cs.row(b));
                for j in 0..hidden {
                    let s = |k: usize| from_exp((xr[k * hidden + j] + rr[k * hidden + j]).exp());
                    let g = 2.0 * s(2) - 1.0;
                    let cell = s(1) * cr[j] + s(0) * g;
                    let tanh_c = 2.0 * from_exp((-2.0 * cell).exp()) - 1.0;
                    c_out[(b, j)] = cell;
                    h_out[(b, j)] = s(3) * tanh_c;
                }
            }
            Some((tensor(h_out.into_dyn()), tensor(c_out.into_dyn())))
        });
        fused.flatten().unwrap_or_else(|| super::lstm_cell(input, recurrent, c))
    }

    fn conv_layer(parts: ConvParts<Self>) -> ConvLayer<Self> {
        let [cout, cin, _, _] = parts.weight.dims();
        match choose_path(cin, cout, parts.stride) {
            ConvPath::Direct => ConvLayer::direct(parts),
            path => ConvLayer::with_path(gemm_layout(parts.weight.clone()), path, parts),
        }
    }

    fn conv_forward(x: Tensor<Self, 4>, layer: &ConvLayer<Self>) -> Tensor<Self, 4> {
        if layer.path == ConvPath::Direct {
            return layer.forward_direct(x, &layer.weight);
        }
        let out = with_views([&x, &layer.weight], |[x, w]| {
            let [n, cin, _, t] = x.shape().try_into().ok()?;
            let [wcin, k, _, cout] = w.shape().try_into().ok()?;
            let x = x.into_shape_with_order((n, cin, t)).ok()?;
            let w = w.into_shape_with_order((cin * k, cout)).ok()?;
            let epilogue = Epilogue::new(&layer.host, cout)?;
            (wcin == cin && t + layer.pad.0 + layer.pad.1 >= k).then_some(())?;
            match layer.path {
                ConvPath::Shift if layer.stride == 1 => shift_conv(x, w, &epilogue, layer.pad),
                _ => im2col_conv(x, w, &epilogue, layer.pad, layer.stride.max(1)),
            }
        });
        match out.flatten() {
            Some(y) => tensor(y.into_dyn()),
            // Unreachable for layers built by `conv_layer`; kept correct rather than panicking.
            None => {
                let [cin, k, _, cout] = layer.weight.dims();
                let weight = layer.weight.clone().permute([3, 0, 2, 1]).reshape([cout, cin, 1, k]);
                layer.forward_direct(x, &weight)
            }
        }
    }
}

/// The most multiply-adds OpenBLAS runs on the calling thread alone (its `SMP_THRESHOLD_MIN`
/// 65536 times `GEMM_MULTITHREAD_THRESHOLD` 4); larger products go to its thread pool.
const BLAS_SERIAL_MACS: usize = 1 << 18;
/// Products up to this many multiply-adds gain nothing from OpenBLAS's threads: handing the
/// work over and back costs about what the second core saves.
const SMALL_PRODUCT_MACS: usize = 1 << 24;

/// `a · b`, where a product too small to gain from threads runs as column blocks that
/// OpenBLAS keeps on the calling thread. Why: the speaker encoder's recurrent product
/// ([8, 256] x [256, 1024], 480 times per pass) took 1.6x as long with OpenBLAS's thread
/// hand-offs, and the time varied from run to run with how its threads met burn's.
fn small_product(a: ndarray::ArrayView2<'_, f32>, b: ndarray::ArrayView2<'_, f32>) -> Array2<f32> {
    let ((m, k), n) = (a.dim(), b.ncols());
    if m * k * n <= BLAS_SERIAL_MACS || m * k * n > SMALL_PRODUCT_MACS {
        return a.dot(&b);
    }
    let columns = (BLAS_SERIAL_MACS / (m * k).max(1)).max(1);
    let mut out = Array2::<f32>::zeros((m, n));
    for first in (0..n).step_by(columns) {
        let cols = ndarray::Slice::from(first..(first + columns).min(n));
        let mut block = out.slice_axis_mut(ndarray::Axis(1), cols);
        general_mat_mul(1.0, &a, &b.slice_axis(ndarray::Axis(1), cols), 0.0, &mut block);
    }
    out
}

/// Which path runs a stride-`stride` convolution from `cin` to `cout` channels fastest on
/// this backend. Measured per CREPE layer (`cargo run --release -p autovoice-daemon --example
/// conv_paths`, docs/benchmarks.md): burn's direct convolution wins up to 128 channels; with
/// 256 or more output channels im2col wins (2-4x); with 512 or more input channels the
/// shifted sum (3x direct, 1.5x im2col).
pub fn choose_path(cin: usize, cout: usize, stride: usize) -> ConvPath {
    if cin >= 512 && stride == 1 {
        ConvPath::Shift
    } else if cout >= 256 {
        ConvPath::Im2col
    } else {
        ConvPath::Direct
    }
}

/// What the GEMM paths apply to each output as they write it: bias, ReLU, scale and shift.
struct Epilogue<'a> {
    bias: &'a [f32],
    scale: &'a [f32],
    shift: &'a [f32],
}

impl<'a> Epilogue<'a> {
    fn new([bias, scale, shift]: &'a [Vec<f32>; 3], cout: usize) -> Option<Self> {
        (bias.len() == cout && scale.len() == cout && shift.len() == cout).then_some(Self {
            bias,
            scale,
            shift,
        })
    }

    /// Writes the finished outputs of one position, from its convolution sums without bias
    /// (`sums`, one per channel), into `out` laid out [frame, channel, time] (`t_out` long).
    fn write(&self, out: &mut [f32], t_out: usize, frame: usize, pos: usize, sums: &[f32]) {
        let base = frame * sums.len() * t_out + pos;
        for (o, sum) in sums.iter().enumerate() {
            out[base + o * t_out] = (sum + self.bias[o]).max(0.0) * self.scale[o] + self.shift[o];
        }
    }
}

/// A stride-1 convolution as one GEMM per block of frames and a shifted sum: every input
/// position times the [in, k * out] weight matrix gives its contribution to each of the `k`
/// output positions it falls in; output position t sums the contributions of inputs
/// t - left .. t - left + k. Against im2col this keeps the GEMM wide (k * out columns) and
/// copies nothing k times. Returns [batch, out, 1, time'].
fn shift_conv(
    x: ndarray::ArrayView3<'_, f32>,
    w: ndarray::ArrayView2<'_, f32>,
    epilogue: &Epilogue<'_>,
    (left, right): (usize, usize),
) -> Option<ndarray::Array4<f32>> {
    let (n, cin, t) = x.dim();
    let (width, cout) = w.dim();
    let k = width / cin;
    let t_out = t + left + right - k + 1;
    let w = w.into_shape_with_order((cin, k * cout)).ok()?;
    let frames = (GEMM_BLOCK / (t * k * cout)).clamp(1, n);
    let mut out = vec![0.0f32; n * cout * t_out];
    let mut acc = vec![0.0f32; t_out * cout];
    let mut y = Array2::<f32>::zeros((frames * t, k * cout));
    for first in (0..n).step_by(frames) {
        let count = frames.min(n - first);
        // Positions as rows, channels as columns: [count * t, in].
        let rows = x
            .slice_axis(ndarray::Axis(0), ndarray::Slice::from(first..first + count))
            .permuted_axes([0, 2, 1]);
        let rows = rows.as_standard_layout().into_shape_with_order((count * t, cin)).ok()?;
        let mut y_used = y.slice_axis_mut(ndarray::Axis(0), ndarray::Slice::from(0..count * t));
        general_mat_mul(1.0, &rows, &w, 0.0, &mut y_used);
        let y = y.as_slice()?;
        for f in 0..count {
            for (pos, a) in acc.chunks_exact_mut(cout).enumerate() {
                a.fill(0.0);
                // Taps whose input position pos + tap - left lies inside the signal.
                let lo = left.saturating_sub(pos);
                let hi = k.min(t + left - pos);
                for tap in lo..hi {
                    let src = ((f * t + pos + tap - left) * k + tap) * cout;
                    for (v, c) in a.iter_mut().zip(&y[src..src + cout]) {
                        *v += *c;
                    }
                }
            }
            for (pos, sums) in acc.chunks_exact(cout).enumerate() {
                epilogue.write(&mut out, t_out, first + f, pos, sums);
            }
        }
    }
    ndarray::Array4::from_shape_vec((n, cout, 1, t_out), out).ok()
}

/// The convolution as a GEMM: each output position's window (every input channel's `k`
/// samples, zeros outside the signal) is one row of an im2col block, times the [in * k, out]
/// weight matrix, plus bias. Blocks of rows bound the memory. Returns [batch, out, 1, time'].
fn im2col_conv(
    x: ndarray::ArrayView3<'_, f32>,
    w: ndarray::ArrayView2<'_, f32>,
    epilogue: &Epilogue<'_>,
    (left, right): (usize, usize),
    stride: usize,
) -> Option<ndarray::Array4<f32>> {
    let (n, cin, t) = x.dim();
    let (width, cout) = w.dim();
    let k = width / cin;
    let t_out = (t + left + right - k) / stride + 1;
    let rows = n * t_out;
    let block = (GEMM_BLOCK / width).clamp(1, rows);
    let x = x.as_standard_layout();
    let x = x.as_slice()?;
    let mut out = vec![0.0f32; n * cout * t_out];
    let mut cols = vec![0.0f32; block * width];
    let mut y = vec![0.0f32; block * cout];
    for first in (0..rows).step_by(block) {
        let count = block.min(rows - first);
        for (r, row) in cols.chunks_exact_mut(width).take(count).enumerate() {
            let (b, pos) = ((first + r) / t_out, (first + r) % t_out);
            // Window start in unpadded samples; only its part inside the signal is copied.
            let start = (pos * stride) as isize - left as isize;
            let lo = (-start).clamp(0, k as isize) as usize;
            let hi = ((t as isize - start).clamp(0, k as isize) as usize).max(lo);
            for (c, dst) in row.chunks_exact_mut(k).enumerate() {
                dst[..lo].fill(0.0);
                dst[hi..].fill(0.0);
                let from = (b * cin + c) * t + (start + lo as isize) as usize;
                dst[lo..hi].copy_from_slice(&x[from..from + (hi - lo)]);
            }
        }
        let a = ndarray::ArrayView2::from_shape((count, width), &cols[..count * width]).ok()?;
        let mut c = ndarray::ArrayViewMut2::from_shape((count, cout), &mut y[..count * cout]).ok()?;
        general_mat_mul(1.0, &a, &w, 0.0, &mut c);
        for (r, sums) in y.chunks_exact(cout).take(count).enumerate() {
            epilogue.write(&mut out, t_out, (first + r) / t_out, (first + r) % t_out, sums);
        }
    }
    ndarray::Array4::from_shape_vec((n, cout, 1, t_out), out).ok()
}
