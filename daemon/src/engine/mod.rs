//! The compute engine: the signal path and the neural models on the backend chosen at start-up,
//! the CPU (burn's ndarray) or, in a `--features cuda` build with a working device, CUDA. Such a
//! build compiles both backends, so it can fall back at run time; code that computes stays
//! generic over the backend and reaches the chosen one through [`on_engine!`].

pub mod select;

pub use select::{Selection, Unavailable, select};

use crate::dsp::{self, Dsp};
use crate::metrics::label::Backend;
use crate::models::crepe::Capacity;
use crate::models::kernels::ModelBackend;
use crate::models::{self, LoadError};
use crate::quality::Quality;
use std::path::Path;
use std::sync::OnceLock;

/// The CPU backend: burn's ndarray with its SIMD kernels and threads.
pub type Cpu = burn::backend::NdArray<f32>;
/// The GPU backend: burn's CUDA.
#[cfg(feature = "cuda")]
pub type Gpu = burn::backend::Cuda;

/// The backend a build prefers, for benches that run one directly: CUDA in a `--features cuda`
/// build, the CPU otherwise. The daemon itself chooses at run time (`select`).
#[cfg(feature = "cuda")]
pub type Preferred = Gpu;
#[cfg(not(feature = "cuda"))]
pub type Preferred = Cpu;

/// FFT size and hop of the signal path.
const N_FFT: usize = 1024;
const HOP: usize = 256;

/// Everything that computes, on one backend: the signal path (built first, so the daemon serves
/// while the models load) and the neural models once loaded.
pub struct Stack<B: ModelBackend> {
    pub dsp: Dsp<B>,
    quality: OnceLock<Quality<B>>,
}

impl<B: ModelBackend> Stack<B> {
    /// Builds the signal path on `device` and runs it once, so the first request does not pay
    /// for kernel compilation and allocation.
    fn build(device: B::Device) -> Self {
        let dsp = Dsp::<B>::new(device, N_FFT, HOP);
        let warm: Vec<f32> = (0..4096).map(|i| (i as f32 * 0.06).sin() * 0.3).collect();
        let _ = dsp::to_vec(dsp.pitch_shift(dsp.tensor(&warm), 1.5, 1.0));
        Self { dsp, quality: OnceLock::new() }
    }

    /// CREPE and the speaker encoder, once loaded.
    pub fn quality(&self) -> Option<&Quality<B>> {
        self.quality.get()
    }

    fn load_quality(&self, dir: &Path, capacity: Capacity) -> Loaded {
        let device = &self.dsp.device;
        let crepe = models::crepe::Crepe::load(&dir.join(capacity.file()), capacity, device);
        let encoder = models::speaker::SpeakerEncoder::load(&dir.join(models::speaker::FILE), device);
        match (crepe, encoder) {
            (Ok(crepe), Ok(encoder)) => {
                let _ = self.quality.set(Quality { crepe, encoder });
                Loaded { crepe: None, encoder: None }
            }
            (crepe, encoder) => Loaded { crepe: crepe.err(), encoder: encoder.err() },
        }
    }
}

/// Why each neural model did not load; both `None` when both did.
pub struct Loaded {
    pub crepe: Option<LoadError>,
    pub encoder: Option<LoadError>,
}

/// The stack on the chosen backend.
// One engine per process, kept in a `OnceLock`: the variants' sizes do not matter.
#[allow(clippy::large_enum_variant)]
pub enum Engine {
    Cpu(Stack<Cpu>),
    #[cfg(feature = "cuda")]
    Cuda(Stack<Gpu>),
}

/// Runs `$body` with `$stack` bound to the engine's [`Stack`], whichever backend it is on: the
/// body is compiled once per backend.
#[macro_export]
macro_rules! on_engine {
    ($engine:expr, $stack:ident => $body:expr) => {
        match $engine {
            $crate::engine::Engine::Cpu($stack) => $body,
            #[cfg(feature = "cuda")]
            $crate::engine::Engine::Cuda($stack) => $body,
        }
    };
}

impl Engine {
    /// Builds and warms the signal path on the selected backend.
    pub fn build(selection: &Selection) -> Self {
        match selection.backend {
            #[cfg(feature = "cuda")]
            Backend::Cuda => Self::Cuda(Stack::build(Default::default())),
            // Without the `cuda` feature `select` never picks CUDA, so this arm is the CPU's.
            #[cfg(not(feature = "cuda"))]
            Backend::Cuda => Self::Cpu(Stack::build(Default::default())),
            Backend::Cpu => Self::Cpu(Stack::build(Default::default())),
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Self::Cpu(_) => Backend::Cpu,
            #[cfg(feature = "cuda")]
            Self::Cuda(_) => Backend::Cuda,
        }
    }

    /// Loads CREPE of `capacity` and the speaker encoder from `dir` onto the engine's device.
    pub fn load_quality(&self, dir: &Path, capacity: Capacity) -> Loaded {
        on_engine!(self, s => s.load_quality(dir, capacity))
    }

    /// Whether the neural models are loaded.
    pub fn has_quality(&self) -> bool {
        on_engine!(self, s => s.quality().is_some())
    }
}
