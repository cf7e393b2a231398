//! The upload formats users record in: WAV at every common depth (8-bit unsigned to 64-bit
//! float, WAVE_FORMAT_EXTENSIBLE), FLAC, MP3 and Ogg Vorbis encoded by the reference encoders
//! (flac, lame, oggenc), each decoded to the right rate, length and pitch; and the files that
//! must still be refused with their own 4xx.

use crate::common::*;
use autovoice_daemon::wav::{self, WavError};
use std::process::Command;

/// A WAV file: `fmt ` with `tag`, then `data` holding `frames` written by `sample`.
fn wav_file(tag: u16, channels: u16, rate: u32, bits: u16, extensible: bool, data: &[u8]) -> Vec<u8> {
    let block = channels * bits / 8;
    let mut fmt = Vec::new();
    fmt.extend_from_slice(&(if extensible { 0xFFFEu16 } else { tag }).to_le_bytes());
    fmt.extend_from_slice(&channels.to_le_bytes());
    fmt.extend_from_slice(&rate.to_le_bytes());
    fmt.extend_from_slice(&(rate * u32::from(block)).to_le_bytes());
    fmt.extend_from_slice(&block.to_le_bytes());
    fmt.extend_from_slice(&bits.to_le_bytes());
    if extensible {
        fmt.extend_from_slice(&22u16.to_le_bytes());
        fmt.extend_from_slice(&bits.to_le_bytes()); // valid bits
        let mask: u32 = if channels == 1 { 0x4 } else { 0x3 };
        fmt.extend_from_slice(&mask.to_le_bytes());
        // KSDATAFORMAT_SUBTYPE_PCM or _IEEE_FLOAT: the tag, then the fixed GUID tail.
        fmt.extend_from_slice(&u32::from(tag).to_le_bytes());
        fmt.extend_from_slice(&[0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71]);
    }
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&((4 + 8 + fmt.len() + 8 + data.len()) as u32).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&(fmt.len() as u32).to_le_bytes());
    out.extend_from_slice(&fmt);
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(data);
    out
}

/// Samples of a 440 Hz tone at half scale, as `bits`-bit little-endian values, `channels` wide.
fn tone_bytes(rate: u32, secs: f64, bits: u16, float: bool, channels: u16) -> Vec<u8> {
    let mut out = Vec::new();
    for s in tone(440.0, secs, rate, 0.5) {
        for _ in 0..channels {
            let v = f64::from(s);
            match (bits, float) {
                (8, false) => out.push((128.0 + v * 127.0).round() as u8),
                (16, false) => out.extend_from_slice(&((v * 32767.0).round() as i16).to_le_bytes()),
                (24, false) => out.extend_from_slice(&((v * 8_388_607.0).round() as i32).to_le_bytes()[..3]),
                (32, false) => out.extend_from_slice(&((v * 2_147_483_647.0).round() as i32).to_le_bytes()),
                (32, true) => out.extend_from_slice(&(v as f32).to_le_bytes()),
                (64, true) => out.extend_from_slice(&v.to_le_bytes()),
                _ => unreachable!("no such test format"),
            }
        }
    }
    out
}

/// The tone's frequency from its upward crossings of +0.1 after a dip below -0.1: the
/// hysteresis ignores the near-silent encoder delay an MP3 starts and ends with.
fn frequency(audio: &wav::Audio) -> f64 {
    let (mut low, mut ups, mut first, mut last) = (false, 0usize, None, 0usize);
    for (i, &v) in audio.samples.iter().enumerate() {
        if v < -0.1 {
            low = true;
        } else if low && v > 0.1 {
            low = false;
            ups += 1;
            first.get_or_insert(i);
            last = i;
        }
    }
    let span = (last - first.unwrap_or(last)) as f64 / f64::from(audio.sample_rate);
    if ups < 2 { 0.0 } else { (ups - 1) as f64 / span }
}

fn assert_tone(audio: &wav::Audio, rate: u32, secs: f64, what: &str) {
    assert_eq!(audio.sample_rate, rate, "{what}: rate");
    let d = audio.duration_secs();
    assert!((d - secs).abs() < 0.08, "{what}: {d} s, expected {secs}");
    let f = frequency(audio);
    assert!((f - 440.0).abs() < 8.0, "{what}: {f} Hz, expected 440");
    let peak = audio.samples.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    assert!((0.4..0.6).contains(&peak), "{what}: peak {peak}, expected 0.5");
}

#[test]
fn wav_files_of_every_common_depth_and_the_extensible_header_decode_alike() {
    for (tag, bits, float, ext, ch) in [
        (1u16, 8u16, false, false, 1u16),
        (1, 16, false, false, 2),
        (1, 24, false, false, 1),
        (1, 24, false, true, 2),
        (1, 32, false, false, 1),
        (3, 32, true, false, 1),
        (3, 32, true, true, 1),
        (3, 64, true, false, 2),
    ] {
        let what = format!("tag {tag}, {bits}-bit, extensible {ext}, {ch} channels");
        let file = wav_file(tag, ch, 16_000, bits, ext, &tone_bytes(16_000, 0.5, bits, float, ch));
        let audio = wav::decode(&file, false).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_tone(&audio, 16_000, 0.5, &what);
    }
}

/// `tool args... IN OUT` run on a 440 Hz WAV; the encoded file's bytes.
fn encoded(tool: &str, args: &[&str], ext: &str, rate: u32, secs: f64) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("dir");
    let input = dir.path().join("in.wav");
    std::fs::write(&input, wav_file(1, 1, rate, 16, false, &tone_bytes(rate, secs, 16, false, 1)))
        .expect("write");
    let output = dir.path().join(format!("out.{ext}"));
    let mut cmd = Command::new(tool);
    cmd.args(args);
    match tool {
        "oggenc" | "flac" => cmd.arg("-o").arg(&output).arg(&input),
        _ => cmd.arg(&input).arg(&output),
    };
    let run =
        cmd.output().unwrap_or_else(|e| panic!("{tool} is needed (bash scripts/setup.sh installs it): {e}"));
    assert!(run.status.success(), "{tool}: {}", String::from_utf8_lossy(&run.stderr));
    std::fs::read(&output).expect("encoded file")
}

#[test]
fn flac_mp3_and_ogg_vorbis_from_the_reference_encoders_decode_to_the_same_tone() {
    for (tool, args, ext) in [
        ("flac", &["-s", "-f"][..], "flac"),
        ("lame", &["--quiet", "-b", "128"][..], "mp3"),
        ("oggenc", &["-Q", "-q", "5"][..], "ogg"),
    ] {
        let file = encoded(tool, args, ext, 22_050, 1.0);
        let audio = wav::decode(&file, false).unwrap_or_else(|e| panic!("{ext}: {e}"));
        assert_tone(&audio, 22_050, 1.0, ext);
    }
}

#[test]
fn damaged_unsupported_and_oversized_files_keep_their_own_errors() {
    // A FLAC cut in half: the stream declares more frames than follow.
    let flac = encoded("flac", &["-s", "-f"], "flac", 16_000, 1.0);
    let half = &flac[..flac.len() / 2];
    assert!(
        matches!(wav::decode(half, false), Err(WavError::Malformed(_))),
        "{:?}",
        wav::decode(half, false)
    );
    // GSM 6.10 (tag 0x31) is a well-formed WAV the daemon does not read: 415, not 400.
    let gsm = wav_file(0x31, 1, 8_000, 8, false, &[0u8; 520]);
    assert!(
        matches!(wav::decode(&gsm, false), Err(WavError::Unsupported(_))),
        "{:?}",
        wav::decode(&gsm, false)
    );
    // A RIFF/WAVE file without its data chunk is damaged: 400.
    let mut no_data = wav_file(1, 1, 16_000, 16, false, &[]);
    no_data.truncate(no_data.len() - 8);
    assert!(
        matches!(wav::decode(&no_data, false), Err(WavError::Malformed(_))),
        "{:?}",
        wav::decode(&no_data, false)
    );
    for (ch, rate, why) in [(9u16, 16_000u32, "channels"), (1, 96_000, "Hz"), (1, 4_000, "Hz")] {
        let f = wav_file(1, ch, rate, 16, false, &tone_bytes(rate, 0.1, 16, false, ch));
        match wav::decode(&f, false) {
            Err(WavError::Unsupported(m)) => assert!(m.contains(why), "{m}"),
            other => panic!("{ch} channels at {rate} Hz: {other:?}"),
        }
    }
    // Eleven minutes of silence is a few kilobytes of FLAC: refused by what it decodes to,
    // before it is held in memory.
    let dir = tempfile::tempdir().expect("dir");
    let input = dir.path().join("silence.wav");
    std::fs::write(&input, wav_file(1, 1, 8_000, 16, false, &vec![0u8; 8_000 * 2 * 660])).expect("write");
    let out = dir.path().join("silence.flac");
    let run = Command::new("flac").args(["-s", "-f", "-o"]).arg(&out).arg(&input).output().expect("flac");
    assert!(run.status.success());
    let bomb = std::fs::read(&out).expect("flac");
    assert!(bomb.len() < 200_000, "{} bytes", bomb.len());
    match wav::decode(&bomb, false) {
        Err(WavError::Unsupported(m)) => assert!(m.contains("600 s"), "{m}"),
        other => panic!("eleven minutes: {:?}", other.map(|a| a.duration_secs())),
    }
    // Not audio at all, and nothing.
    assert!(matches!(wav::decode(b"hello, this is text and not audio", false), Err(WavError::Malformed(_))));
    assert!(matches!(wav::decode(b"", false), Err(WavError::Empty(_))));
}

#[tokio::test]
async fn a_24_bit_extensible_recording_is_converted_through_the_api() {
    let state = ready_state();
    let file = wav_file(1, 2, 44_100, 24, true, &tone_bytes(44_100, 1.0, 24, false, 2));
    let (status, headers, body) = send(&state, post("/convert?speaker_id=alto", file)).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(headers["content-type"], "audio/wav");
    let out = wav::decode(&body, false).expect("a WAV answer");
    assert!((out.duration_secs() - 1.0).abs() < 0.1, "{} s", out.duration_secs());
    // The same with its data cut off is a 400 that says so.
    let mut cut = wav_file(1, 2, 44_100, 24, true, &tone_bytes(44_100, 1.0, 24, false, 2));
    cut.truncate(cut.len() / 2);
    let (status, _, body) = send(&state, post("/convert?speaker_id=alto", cut)).await;
    assert_eq!(status, 400);
    assert!(String::from_utf8_lossy(&body).contains("truncated"), "{}", String::from_utf8_lossy(&body));
}
