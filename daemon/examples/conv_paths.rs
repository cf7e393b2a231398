//! Times each way the CPU backend can run CREPE's convolution layers (burn's direct
//! convolution, im2col + GEMM, shifted-sum GEMM) on the shapes of CREPE tiny (256 frames) and
//! full (32 frames), with ReLU and batch norm. `kernels::cpu::choose_path` encodes the winners;
//! docs/benchmarks.md records a run. `cargo run --release -p autovoice-daemon --example conv_paths`

use autovoice_daemon::models::kernels::{ConvLayer, ConvParts, ConvPath, ModelBackend, gemm_layout};
use burn::backend::NdArray;
use burn::tensor::{Distribution, Tensor};
use std::time::Instant;

type Cpu = NdArray<f32>;

/// Mean milliseconds of `runs` calls after one warm-up call.
fn millis(runs: u32, mut f: impl FnMut()) -> f64 {
    f();
    let start = Instant::now();
    for _ in 0..runs {
        f();
    }
    start.elapsed().as_secs_f64() * 1e3 / f64::from(runs)
}

fn main() {
    let device = Default::default();
    let models =
        [("tiny", 256usize, [128usize, 16, 16, 16, 32, 64]), ("full", 32, [1024, 128, 128, 128, 256, 512])];
    println!("model layer in->out time | direct ms | im2col ms | shift ms | chosen");
    for (name, frames, channels) in models {
        let (mut cin, mut time) = (1, 1024);
        for (i, &cout) in channels.iter().enumerate() {
            let (k, pad, stride) = if i == 0 { (512, (254, 254), 4) } else { (64, (31, 32), 1) };
            let x = Tensor::<Cpu, 4>::random([frames, cin, 1, time], Distribution::Default, &device);
            let parts = || ConvParts {
                weight: Tensor::<Cpu, 4>::random([cout, cin, 1, k], Distribution::Default, &device),
                bias: vec![0.1; cout],
                scale: vec![1.0; cout],
                shift: vec![0.0; cout],
                pad,
                stride,
            };
            let direct = ConvLayer::direct(parts());
            let chosen = Cpu::conv_layer(parts()).path;
            let mut row = vec![millis(3, || drop(Cpu::conv_forward(x.clone(), &direct).into_data()))];
            for path in [ConvPath::Im2col, ConvPath::Shift] {
                if path == ConvPath::Shift && stride != 1 {
                    row.push(f64::NAN);
                    continue;
                }
                let parts = parts();
                let layer = ConvLayer::with_path(gemm_layout(parts.weight.clone()), path, parts);
                row.push(millis(3, || drop(Cpu::conv_forward(x.clone(), &layer).into_data())));
            }
            println!(
                "{name} {} {cin}->{cout} {time} | {:.1} | {:.1} | {:.1} | {:?}",
                i + 1,
                row[0],
                row[1],
                row[2],
                chosen
            );
            // The convolution's output length, then max-pooling by 2.
            let conv_out = (time + pad.0 + pad.1 - k) / stride + 1;
            time = conv_out / 2;
            cin = cout;
        }
    }
}
