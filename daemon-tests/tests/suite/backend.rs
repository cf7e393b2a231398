//! The compute engine: the backend chosen at start-up, reported in `/ready`, the
//! `autovoice_compute_backend` gauge, the fallback to the CPU, and one loaded engine shared by
//! states that ask for the same models (the binary's log line and refusal: daemon/tests/binary/). These machines have no GPU, so in a
//! `--features cuda` build (`scripts/check-cuda-fallback.sh`) the same tests prove the
//! fallback: CUDA is probed for real, fails, and the daemon serves on the CPU saying why.

use crate::common::{get, json, metric, ready_state, send, state_with};
use autovoice_daemon::config::BackendChoice;

/// What `/ready` and the log give as the reason for the CPU: the probe's error after
/// `CUDA unavailable: ` in a CUDA build, that the build has none otherwise.
fn reason_is_right(reason: &str) -> bool {
    if cfg!(feature = "cuda") {
        reason.strip_prefix("CUDA unavailable: ").is_some_and(|why| !why.is_empty())
    } else {
        reason == "this build has no CUDA support (rebuild with `--features cuda`)"
    }
}

#[tokio::test]
async fn ready_and_the_gauge_name_the_backend_and_why_it_is_not_cuda() {
    let state = state_with(|_| {}, None, true);
    let (status, _, body) = send(&state, get("/ready")).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let backend = &json(&body)["backend"];
    assert_eq!(backend["requested"], "auto", "{backend}");
    if backend["name"] == "cuda" {
        // A CUDA build on a machine with a working GPU: no fallback to explain.
        assert!(cfg!(feature = "cuda") && has_gpu(), "{backend}");
        assert!(backend["device"].is_string() && backend["reason"].is_null(), "{backend}");
        assert_eq!(metric(&state, r#"autovoice_compute_backend{backend="cuda"}"#), 1.0);
        return;
    }
    assert_eq!(backend["name"], "cpu", "{backend}");
    assert_eq!(backend["device"], serde_json::Value::Null, "{backend}");
    assert!(reason_is_right(backend["reason"].as_str().unwrap_or_default()), "{backend}");
    assert_eq!(backend["fallback"], cfg!(feature = "cuda"), "only a CUDA build falls back: {backend}");
    assert_eq!(metric(&state, r#"autovoice_compute_backend{backend="cpu"}"#), 1.0);
    assert_eq!(metric(&state, r#"autovoice_compute_backend{backend="cuda"}"#), 0.0);
    let text = state.metrics.render().expect("render");
    assert!(text.contains(r#"autovoice_compute_backend{backend="cuda"} 0"#), "both series exported");
}

#[tokio::test]
async fn asking_for_the_cpu_never_probes_and_says_so() {
    let state = state_with(|c| c.backend = BackendChoice::Cpu, None, true);
    let (status, _, body) = send(&state, get("/ready")).await;
    assert_eq!(status, 200);
    let backend = &json(&body)["backend"];
    assert_eq!((backend["name"].as_str(), backend["requested"].as_str()), (Some("cpu"), Some("cpu")));
    assert_eq!(
        (backend["reason"].as_str(), backend["fallback"].as_bool()),
        (Some("--backend cpu"), Some(false))
    );
}

#[tokio::test]
async fn states_share_a_loaded_engine_only_when_they_ask_for_the_same_models() {
    let base = ready_state();
    let quiet = state_with(|c| c.no_quality = true, None, true);
    let (a, b) = (base.engine().expect("engine"), quiet.engine().expect("engine"));
    assert!(std::ptr::eq(a, b), "the same models are loaded once");
    assert!(quiet.is_ready());
    assert_ne!(base.fingerprint(), quiet.fingerprint(), "whether outputs are measured is in the keys");
    for (mine, theirs) in base.speaker_list().iter().zip(quiet.speaker_list()) {
        assert_eq!(mine.embedding.get(), theirs.embedding.get(), "{}", mine.speaker.id);
        assert!(theirs.embedding.get().is_some());
    }
    assert_eq!(metric(&quiet, r#"autovoice_model_loaded{model="speaker_encoder"}"#), 1.0);
    let full = state_with(|c| c.crepe_capacity = autovoice_daemon::config::CrepeCapacity::Full, None, true);
    assert!(!std::ptr::eq(a, full.engine().expect("engine")), "another CREPE is another engine");
    assert!(full.is_ready());
}

/// Whether this machine has an NVIDIA driver with a device node.
fn has_gpu() -> bool {
    std::path::Path::new("/dev/nvidiactl").exists()
}
