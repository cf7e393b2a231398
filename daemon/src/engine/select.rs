//! Chooses the compute backend once, at start-up: CUDA when the build has it and a device
//! answers a real computation, the CPU otherwise, keeping the reason for the log and `/ready`.
//! `--backend cuda` turns a missing device into a start-up error instead of a fallback.

use crate::config::BackendChoice;
use crate::metrics::label::Backend;

/// The backend in use and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    pub backend: Backend,
    pub requested: BackendChoice,
    /// The CUDA device in use, as its driver names it.
    pub device: Option<String>,
    /// Why the daemon runs on the CPU; `None` on CUDA.
    pub reason: Option<String>,
    /// A CUDA build that wanted CUDA (`auto`) and could not use it: worth a warning.
    pub fallback: bool,
}

/// `--backend cuda` on a build or machine that cannot run it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unavailable(pub String);

impl std::fmt::Display for Unavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "--backend cuda: {}", self.0)
    }
}

impl std::error::Error for Unavailable {}

/// What the build says without the `cuda` feature.
pub const NOT_BUILT: &str = "this build has no CUDA support (rebuild with `--features cuda`)";

/// Probes CUDA (unless the CPU is asked for) and decides.
pub fn select(requested: BackendChoice) -> Result<Selection, Unavailable> {
    let probe = match requested {
        BackendChoice::Cpu => None,
        BackendChoice::Auto | BackendChoice::Cuda => probe_cuda(),
    };
    decide(requested, probe)
}

/// The decision, given what probing CUDA found: `None` when the build has no CUDA, else the
/// device's name or why it cannot be used.
pub fn decide(
    requested: BackendChoice,
    cuda: Option<Result<String, String>>,
) -> Result<Selection, Unavailable> {
    let cpu = |reason: String, fallback: bool| Selection {
        backend: Backend::Cpu,
        requested,
        device: None,
        reason: Some(reason),
        fallback,
    };
    match (requested, cuda) {
        (BackendChoice::Cpu, _) => Ok(cpu("--backend cpu".to_owned(), false)),
        (_, Some(Ok(device))) => Ok(Selection {
            backend: Backend::Cuda,
            requested,
            device: Some(device),
            reason: None,
            fallback: false,
        }),
        (BackendChoice::Auto, None) => Ok(cpu(NOT_BUILT.to_owned(), false)),
        (BackendChoice::Auto, Some(Err(why))) => Ok(cpu(format!("CUDA unavailable: {why}"), true)),
        (BackendChoice::Cuda, None) => Err(Unavailable(NOT_BUILT.to_owned())),
        (BackendChoice::Cuda, Some(Err(why))) => Err(Unavailable(why)),
    }
}

#[cfg(not(feature = "cuda"))]
fn probe_cuda() -> Option<Result<String, String>> {
    None
}

#[cfg(feature = "cuda")]
fn probe_cuda() -> Option<Result<String, String>> {
    Some(cuda::probe())
}

#[cfg(feature = "cuda")]
mod cuda {
    use super::super::Gpu;
    use burn::tensor::Tensor;
    use std::sync::{Arc, Mutex};

    /// The first device's name once it has doubled a small tensor correctly; otherwise why not.
    /// burn's CUDA runtime panics when the driver library or a device is missing, so the attempt
    /// runs under `catch_unwind` with the panic message taken as the reason (not printed).
    pub fn probe() -> Result<String, String> {
        let name = match nvml_wrapper::Nvml::init() {
            Ok(nvml) => match nvml.device_count() {
                Ok(0) => return Err("NVML reports no NVIDIA device".to_owned()),
                Ok(_) => nvml.device_by_index(0).and_then(|d| d.name()).ok(),
                Err(e) => return Err(format!("NVML cannot count devices: {e}")),
            },
            // The driver's management library is missing: CUDA's own attempt below says more.
            Err(_) => None,
        };
        let caught: Arc<Mutex<Option<String>>> = Arc::default();
        let sink = caught.clone();
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let text = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            if let Ok(mut slot) = sink.lock() {
                *slot = Some(text);
            }
        }));
        let doubled = std::panic::catch_unwind(|| {
            let device = Default::default();
            let x = Tensor::<Gpu, 1>::from_floats([1.0, 2.0, 3.0], &device);
            (x * 2.0).into_data().to_vec::<f32>().map_err(|e| format!("{e:?}"))
        });
        std::panic::set_hook(previous);
        match doubled {
            Ok(Ok(v)) if v == [2.0, 4.0, 6.0] => Ok(name.unwrap_or_else(|| "CUDA device 0".to_owned())),
            Ok(Ok(v)) => Err(format!("the device computed {v:?} for [2, 4, 6]")),
            Ok(Err(e)) => Err(format!("reading back from the device failed: {e}")),
            Err(_) => {
                let why = caught.lock().ok().and_then(|mut s| s.take());
                Err(why.unwrap_or_else(|| "the CUDA runtime panicked".to_owned()).trim().to_owned())
            }
        }
    }
}

impl Selection {
    /// The CPU, asked for: for tests that build an engine directly (the daemon's test suite is
    /// a crate of its own, so this cannot be `cfg(test)`).
    pub fn cpu_for_tests() -> Self {
        Self {
            backend: Backend::Cpu,
            requested: BackendChoice::Cpu,
            device: None,
            reason: Some("--backend cpu".to_owned()),
            fallback: false,
        }
    }
}
