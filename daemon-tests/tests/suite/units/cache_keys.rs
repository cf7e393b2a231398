//! Unit tests of cache keys (`daemon/src/pipeline/cached.rs`), kept in the one test binary.

use autovoice_daemon::pipeline::cached::*;
use autovoice_daemon::state::SpeakerEntry;

#[test]
fn keys_change_with_everything_that_decides_the_bytes() {
    let fp = fingerprint("cpu", "espeak-ng 1.51", b"weights", true);
    let spk = |f0: f32, formant: f32| {
        SpeakerEntry::for_key(autovoice_daemon::speakers::Speaker {
            id: "alto".into(),
            base_voice: "en-us".into(),
            target_f0: f0,
            formant_scale: formant,
        })
    };
    let (a, b, c) = (spk(190.0, 1.12), spk(191.0, 1.12), spk(190.0, 1.13));
    let base = synthesis_key(&fp, "Hello.", &a);
    assert_eq!(base, synthesis_key(&fp, "Hello.", &spk(190.0, 1.12)), "same inputs, same key");
    assert_ne!(base, synthesis_key(&fp, "Hello!", &a));
    assert_ne!(base, stream_key(&fp, "Hello.", &a), "a streamed answer is not the whole answer");
    assert_ne!(base, synthesis_key(&fp, "Hello.", &b), "a changed target F0 is a miss");
    assert_ne!(base, synthesis_key(&fp, "Hello.", &c), "a changed formant scale is a miss");
    for other in [
        fingerprint("cuda", "espeak-ng 1.51", b"weights", true),
        fingerprint("cpu", "espeak-ng 1.52", b"weights", true),
        fingerprint("cpu", "espeak-ng 1.51", b"other weights", true),
        fingerprint("cpu", "espeak-ng 1.51", b"weights", false),
    ] {
        assert_ne!(base, synthesis_key(&other, "Hello.", &a), "a new backend, front end or model is a miss");
    }
    let conv = convert_key(&fp, b"RIFF...", Some(&a), 0.0);
    assert_ne!(conv, convert_key(&fp, b"RIFF...", Some(&a), 2.0), "a changed pitch shift is a miss");
    assert_ne!(conv, convert_key(&fp, b"RIFF..!", Some(&a), 0.0));
    assert_ne!(conv, convert_key(&fp, b"RIFF...", None, 0.0));
    let _ = a.embedding.set(vec![0.5; 4]);
    assert_ne!(conv, convert_key(&fp, b"RIFF...", Some(&a), 0.0), "a new embedding is a miss");
}
