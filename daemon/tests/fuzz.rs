//! Fuzzing of the WAV decoder behind uploads (conversion, enrollment) with fuzzkit: lying chunk
//! sizes, zero or huge channel counts and rates, odd bit depths, truncated data. Invariant: a
//! `WavError` or audio consistent with the bytes, never a panic, in bounded time.

use autovoice_daemon::wav::{MAX_RATE, MIN_RATE, decode, encode};
use fuzzkit::{Target, fuzz};
use std::time::Duration;

/// A float WAV with `channels` interleaved channels (the format uploads also come in).
fn float_wav(channels: u16, rate: u32, frames: usize) -> Vec<u8> {
    let data: Vec<u8> = (0..frames * usize::from(channels))
        .flat_map(|i| ((i as f32 * 0.01).sin() * 0.5).to_le_bytes())
        .collect();
    let mut b = Vec::new();
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&3u16.to_le_bytes()); // IEEE float
    b.extend_from_slice(&channels.to_le_bytes());
    b.extend_from_slice(&rate.to_le_bytes());
    b.extend_from_slice(&(rate * 4 * u32::from(channels)).to_le_bytes());
    b.extend_from_slice(&(4 * channels).to_le_bytes());
    b.extend_from_slice(&32u16.to_le_bytes());
    b.extend_from_slice(b"LIST\x04\x00\x00\x00INFO");
    b.extend_from_slice(b"data");
    b.extend_from_slice(&(data.len() as u32).to_le_bytes());
    b.extend_from_slice(&data);
    b
}

#[test]
fn the_wav_decoder_never_panics_and_its_audio_matches_the_bytes() {
    let tone: Vec<f32> = (0..800).map(|i| (i as f32 * 0.05).sin() * 0.8).collect();
    let seeds = vec![
        encode(&tone, 16_000),
        encode(&tone[..3], 8_000),
        float_wav(2, 22_050, 200),
        float_wav(1, 48_000, 50),
    ];
    const TOKENS: &[&str] =
        &["RIFF", "WAVE", "fmt ", "data", "LIST", "fact", "\u{1}\u{0}", "\u{3}\u{0}", "\u{fe}\u{ff}"];
    fuzz(
        Target {
            name: "wav",
            seeds,
            dictionary: TOKENS,
            default_secs: 4,
            case_limit: Duration::from_secs(5),
        },
        |input| {
            for lenient in [false, true] {
                if let Ok(audio) = decode(input, lenient) {
                    // Every sample comes from at least two bytes of the file (16-bit mono is the
                    // densest format read), and the rate is one the daemon accepts.
                    if audio.samples.len() * 2 > input.len() {
                        return Err(format!("{} samples from {} bytes", audio.samples.len(), input.len()));
                    }
                    if !(MIN_RATE..=MAX_RATE).contains(&audio.sample_rate) {
                        return Err(format!("accepted a {} Hz rate", audio.sample_rate));
                    }
                    if audio.samples.iter().any(|s| !s.is_finite() || s.abs() > 1.0 + 1e-6) {
                        return Err("samples outside [-1, 1] or not finite".to_owned());
                    }
                }
            }
            Ok(())
        },
    );
}
