//! Unit tests of the models' CPU kernels (`daemon/src/models/kernels/cpu.rs`) against the generic
//! burn-op versions they replace, on shapes that exercise padding, strides, partial blocks and
//! batches.

use autovoice_daemon::models::kernels::{
    ConvLayer, ConvParts, ConvPath, ModelBackend, gemm_layout, lstm_cell,
};
use burn::backend::NdArray;
use burn::tensor::{Tensor, TensorData, Tolerance};

type Cpu = NdArray<f32>;

/// Deterministic values in [-1, 1).
fn values(n: usize, seed: u32) -> Vec<f32> {
    let mut x = seed.wrapping_mul(2_654_435_761).max(1);
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 8) as f32 / (1u32 << 23) as f32 - 1.0
        })
        .collect()
}

fn t<const D: usize>(shape: [usize; D], seed: u32) -> Tensor<Cpu, D> {
    let n = shape.iter().product();
    Tensor::from_data(TensorData::new(values(n, seed), shape), &Default::default())
}

#[test]
fn matmul_matches_burn() {
    // One block; the speaker encoder's recurrent shape (column blocks on the calling thread,
    // the last one partial); and one large enough for OpenBLAS's threads.
    for (m, k, n) in [(3, 5, 7), (8, 256, 1000), (64, 512, 1024)] {
        let (a, b) = (t([m, k], 1), t([k, n], 2));
        let fast = Cpu::matmul_2d(a.clone(), &b).into_data();
        assert_eq!(fast.shape, vec![m, n]);
        fast.assert_approx_eq::<f32>(&a.matmul(b).into_data(), Tolerance::rel_abs(1e-5, 1e-4));
    }
}

/// The LSTM cell in f64 from unscaled gates, as PyTorch defines it, for `lstm_cell`'s scaled
/// pre-activations (-1 for i, f, o; -2 for g): returns (h, c).
fn lstm_reference(scaled: &[f32], c: &[f32], hidden: usize) -> (Vec<f32>, Vec<f32>) {
    let sigmoid = |x: f64| 1.0 / (1.0 + (-x).exp());
    let (mut h_out, mut c_out) = (Vec::new(), Vec::new());
    for (row, c_row) in scaled.chunks_exact(4 * hidden).zip(c.chunks_exact(hidden)) {
        for (j, c_prev) in c_row.iter().enumerate() {
            let gate = |k: usize, scale: f64| f64::from(row[k * hidden + j]) / scale;
            let (i, f) = (sigmoid(gate(0, -1.0)), sigmoid(gate(1, -1.0)));
            let (g, o) = (gate(2, -2.0).tanh(), sigmoid(gate(3, -1.0)));
            let cell = f * f64::from(*c_prev) + i * g;
            c_out.push(cell as f32);
            h_out.push((o * cell.tanh()) as f32);
        }
    }
    (h_out, c_out)
}

#[test]
fn lstm_cell_matches_the_definition() {
    // Pre-activations up to +-8 reach the saturated ends of sigmoid and tanh.
    let input = t([3, 16], 3) * 8.0;
    let (recurrent, c) = (t([3, 16], 4), t([3, 4], 5) * 3.0);
    let scaled = (input.clone() + recurrent.clone()).into_data().into_vec::<f32>().expect("f32 data");
    let c_host = c.clone().into_data().into_vec::<f32>().expect("f32 data");
    let (h_ref, c_ref) = lstm_reference(&scaled, &c_host, 4);
    let host = |v: Vec<f32>| TensorData::new(v, [3, 4]);
    let (h, c2) = Cpu::lstm_cell(input.clone(), recurrent.clone(), c.clone());
    h.into_data().assert_approx_eq::<f32>(&host(h_ref.clone()), Tolerance::absolute(1e-6));
    c2.into_data().assert_approx_eq::<f32>(&host(c_ref.clone()), Tolerance::absolute(1e-6));
    // The generic version with burn ops, on this backend, whose `recip` is an approximate
    // reciprocal (about 14 bits, 2^-14 = 6.1e-5 relative; which SIMD path runs depends on the
    // CPU): close, not as close. Cell values reach |c| = 4 and pass through two reciprocals, so
    // the error bound is 4 * 2 * 2^-14 = 4.9e-4 (1.4e-4 measured on an AMD EPYC machine, under
    // 1e-4 on others).
    let (h, c2) = lstm_cell(input, recurrent, c);
    h.into_data().assert_approx_eq::<f32>(&host(h_ref), Tolerance::absolute(5e-4));
    c2.into_data().assert_approx_eq::<f32>(&host(c_ref), Tolerance::absolute(5e-4));
}

fn parts(
    n_out: usize,
    n_in: usize,
    k: usize,
    pad: (usize, usize),
    stride: usize,
    seed: u32,
) -> ConvParts<Cpu> {
    let host = |s: u32| values(n_out, seed + s);
    ConvParts {
        weight: t([n_out, n_in, 1, k], seed),
        bias: host(1),
        scale: host(2).iter().map(|v| v + 1.5).collect(),
        shift: host(3),
        pad,
        stride,
    }
}

/// Each path against burn's ops (`ConvLayer::direct`) on the same layer.
fn assert_path(
    path: ConvPath,
    (n, cin, cout, time, k, pad, stride): (usize, usize, usize, usize, usize, (usize, usize), usize),
    tolerance: Tolerance<f32>,
) {
    let x = t([n, cin, 1, time], 7);
    let reference = Cpu::conv_forward(x.clone(), &ConvLayer::direct(parts(cout, cin, k, pad, stride, 11)));
    let layer = match path {
        ConvPath::Direct => ConvLayer::direct(parts(cout, cin, k, pad, stride, 11)),
        _ => {
            let parts = parts(cout, cin, k, pad, stride, 11);
            ConvLayer::with_path(gemm_layout(parts.weight.clone()), path, parts)
        }
    };
    let fast = Cpu::conv_forward(x, &layer);
    assert_eq!(fast.dims(), reference.dims(), "{path:?}");
    fast.into_data().assert_approx_eq::<f32>(&reference.into_data(), tolerance);
}

#[test]
fn conv_paths_match_burn_conv2d() {
    // (batch, in, out, time, kernel, pad, stride): CREPE's first layer in small, "same"
    // convolutions, a kernel longer than the signal, an unpadded strided one.
    let cases = [
        (2, 1, 6, 40, 16, (7, 7), 4),
        (3, 5, 4, 12, 4, (1, 2), 1),
        (2, 3, 2, 5, 8, (3, 4), 1),
        (1, 2, 3, 9, 3, (0, 0), 2),
    ];
    for case in cases {
        assert_path(ConvPath::Im2col, case, Tolerance::absolute(1e-5));
        if case.6 == 1 {
            assert_path(ConvPath::Shift, case, Tolerance::absolute(1e-5));
        }
    }
}

#[test]
fn conv_paths_in_blocks_match_one_block() {
    // More values than one GEMM block holds, for both GEMM paths: sums of 4096 and 32768
    // products (each up to 1 in size), summed in another order than burn's, so f32 rounding
    // of up to about 1e-3. A wrong tap or offset would be off by a whole product.
    let tolerance = Tolerance::rel_abs(1e-4, 5e-3);
    assert_path(ConvPath::Im2col, (3, 64, 8, 30_000, 64, (31, 32), 1), tolerance);
    assert_path(ConvPath::Shift, (40, 512, 8, 700, 64, (31, 32), 1), tolerance);
}

#[test]
fn paths_follow_the_measured_rule() {
    use autovoice_daemon::models::kernels::cpu::choose_path;
    // CREPE full: 1 -> 1024 (stride 4), 1024 -> 128, 128 -> 128, 128 -> 256, 256 -> 512.
    assert_eq!(choose_path(1, 1024, 4), ConvPath::Im2col);
    assert_eq!(choose_path(1024, 128, 1), ConvPath::Shift);
    assert_eq!(choose_path(128, 128, 1), ConvPath::Direct);
    assert_eq!(choose_path(128, 256, 1), ConvPath::Im2col);
    assert_eq!(choose_path(256, 512, 1), ConvPath::Im2col);
    // CREPE tiny (at most 128 channels) stays direct: 1 -> 128 (stride 4), 128 -> 16, 32 -> 64.
    assert_eq!(choose_path(1, 128, 4), ConvPath::Direct);
    assert_eq!(choose_path(128, 16, 1), ConvPath::Direct);
    assert_eq!(choose_path(32, 64, 1), ConvPath::Direct);
}
