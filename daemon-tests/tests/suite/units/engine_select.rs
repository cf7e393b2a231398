//! Unit tests of the backend selection (`daemon/src/engine/select.rs`), kept in the one test binary.

use autovoice_daemon::config::BackendChoice;
use autovoice_daemon::engine::select::*;
use autovoice_daemon::metrics::label::Backend;

#[test]
fn auto_takes_a_working_device_and_falls_back_with_the_reason() {
    let gpu = decide(BackendChoice::Auto, Some(Ok("NVIDIA H200".into()))).expect("cuda");
    assert_eq!((gpu.backend, gpu.device.as_deref(), gpu.reason), (Backend::Cuda, Some("NVIDIA H200"), None));
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
