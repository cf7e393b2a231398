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

#[cfg(test)]
impl Selection {
    /// The CPU, asked for: for tests that build an engine directly.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_takes_a_working_device_and_falls_back_with_the_reason() {
        let gpu = decide(BackendChoice::Auto, Some(Ok("NVIDIA H200".into()))).expect("cuda");
        assert_eq!(
            (gpu.backend, gpu.device.as_deref(), gpu.reason),
            (Backend::Cuda, Some("NVIDIA H200"), None)
        );
        assert!(!gpu.fallback);
        let fell = decide(BackendChoice::Auto, Some(Err("no NVIDIA driver".into()))).expect("cpu");
        assert_eq!(fell.backend, Backend::Cpu);
        assert_eq!(fell.reason.as_deref(), Some("CUDA unavailable: no NVIDIA driver"));
        assert!(fell.fallback, "a CUDA build that could not use CUDA fell back");
        let plain = decide(BackendChoice::Auto, None).expect("cpu build");
        assert_eq!(
            (plain.backend, plain.reason.as_deref(), plain.fallback),
            (Backend::Cpu, Some(NOT_BUILT), false)
        );
    }

    #[test]
    fn cuda_required_is_an_error_without_a_device_and_cpu_never_probes() {
        assert_eq!(
            decide(BackendChoice::Cuda, Some(Err("NVML reports no NVIDIA device".into()))),
            Err(Unavailable("NVML reports no NVIDIA device".into()))
        );
        let e = decide(BackendChoice::Cuda, None).expect_err("cpu build");
        assert_eq!(e.to_string(), format!("--backend cuda: {NOT_BUILT}"));
        let cpu = decide(BackendChoice::Cpu, Some(Ok("NVIDIA H200".into()))).expect("cpu");
        assert_eq!(
            (cpu.backend, cpu.reason.as_deref(), cpu.fallback),
            (Backend::Cpu, Some("--backend cpu"), false)
        );
    }

    #[test]
    fn this_machine_selects_what_its_build_allows() {
        // No GPU on the machines CI runs on: a CPU build says it has no CUDA, a CUDA build gives
        // the probe's reason, and neither panics or prints the runtime's panic.
        let s = select(BackendChoice::Auto).expect("auto never fails");
        if s.backend == Backend::Cpu && cfg!(feature = "cuda") {
            assert!(s.reason.as_deref().is_some_and(|r| r.starts_with("CUDA unavailable: ")), "{s:?}");
            assert!(s.fallback);
        }
        if !cfg!(feature = "cuda") {
            assert_eq!((s.backend, s.reason.as_deref(), s.fallback), (Backend::Cpu, Some(NOT_BUILT), false));
        }
    }
}
