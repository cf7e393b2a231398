//! Unit tests of cached answers (`daemon/src/answer.rs`), kept in the one test binary.

use autovoice_daemon::answer::*;
use autovoice_daemon::cache::Entry;
use autovoice_daemon::quality::Measured;

fn output() -> Output {
    let wav = autovoice_daemon::wav::encode(&[0.0, 0.25, -0.25, 0.5], 22_050);
    let measured = Measured { output_f0: Some(190.5), pitch_error_cents: Some(3.25), similarity: Some(0.93) };
    Output {
        wav: wav.into(),
        report: Report { source_f0: Some(120.0), ratio: 1.5, measured: Some(measured) },
    }
}

#[test]
fn entries_round_trip_and_refuse_damage() {
    let out = output();
    let back = Output::decode(&out.encode()).expect("decodes");
    assert_eq!(back.wav, out.wav);
    assert_eq!(serde_json::to_value(back.report).ok(), serde_json::to_value(out.report).ok());
    let bytes = out.encode();
    assert!(Output::decode(&bytes[..bytes.len() - 3]).is_err(), "truncated audio is refused");
    assert!(Output::decode(&bytes[..10]).is_err());
    assert!(Output::decode(&[]).is_err());
}
