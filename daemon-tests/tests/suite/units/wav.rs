//! Unit tests of WAV encoding and upload decoding (`daemon/src/wav.rs`), kept in the one test binary.

use autovoice_daemon::wav::*;

fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

#[test]
fn a_stream_header_and_pcm_read_back_leniently_only() {
    let mut bytes = stream_header(22_050).to_vec();
    push_pcm16(&mut bytes, &[0.0, 0.5, -0.5]);
    push_pcm16(&mut bytes, &[0.25]);
    let audio = decode(&bytes, true).expect("lenient read to the end");
    assert_eq!(audio.sample_rate, 22_050);
    assert_eq!(audio.samples.len(), 4);
    assert!((audio.samples[1] - 0.5).abs() < 1e-4 && (audio.samples[3] - 0.25).abs() < 1e-4);
    assert!(decode(&bytes, false).is_err(), "a strict reader refuses the unknown length");
    // The same header as a whole file's but for the two sizes.
    let (whole, stream) = (encode(&[0.5], 22_050), stream_header(22_050));
    assert_eq!(whole[8..40], stream[8..40]);
    assert_eq!(u32_at(&whole, 40), 2);
    assert_eq!(from_pcm16(22_050, &bytes[44..]), encode(&audio.samples, 22_050), "the same file");
}

#[test]
fn a_zero_sample_rate_is_refused_before_the_decoder_sees_it() {
    // symphonia 0.5 panics on it (TimeBase::new(1, 0)); found by the `wav` fuzz target.
    let mut zero = encode(&[0.1; 10], 16_000);
    zero[24..28].copy_from_slice(&0u32.to_le_bytes());
    let before = DECODER_PANICS.load(std::sync::atomic::Ordering::Relaxed);
    assert!(matches!(decode(&zero, false), Err(WavError::Unsupported(m)) if m.contains("0 Hz")));
    assert!(matches!(decode(&zero, true), Err(WavError::Unsupported(_))));
    let mut silent = encode(&[0.1; 10], 16_000);
    silent[32..34].copy_from_slice(&0u16.to_le_bytes());
    assert!(matches!(decode(&silent, false), Err(WavError::Malformed(m)) if m.contains("block size of 0")));
    assert_eq!(DECODER_PANICS.load(std::sync::atomic::Ordering::Relaxed), before, "no panic caught");
}

#[test]
fn round_trips_pcm16() {
    let s: Vec<f32> = (0..100).map(|i| ((i as f32) * 0.1).sin() * 0.5).collect();
    let a = decode(&encode(&s, 16_000), false).expect("decodes");
    assert_eq!(a.sample_rate, 16_000);
    assert_eq!(a.samples.len(), 100);
    assert!(a.samples.iter().zip(&s).all(|(x, y)| (x - y).abs() < 1e-4));
}

#[test]
fn rejects_what_it_cannot_read() {
    let good = encode(&[0.1; 10], 16_000);
    let mut truncated = good.clone();
    truncated.truncate(50);
    assert!(matches!(decode(&truncated, false), Err(WavError::Malformed(_))));
    assert!(decode(&truncated, true).is_ok(), "lenient mode reads what is there");
    let mut rate = good.clone();
    rate[24..28].copy_from_slice(&96_000u32.to_le_bytes());
    assert!(matches!(decode(&rate, false), Err(WavError::Unsupported(_))));
    assert!(matches!(decode(b"RIFX", false), Err(WavError::Malformed(_))));
    assert!(matches!(decode(b"", false), Err(WavError::Empty(_))));
}
