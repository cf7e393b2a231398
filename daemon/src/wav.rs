//! WAV (RIFF) decoding and encoding: 16-bit PCM and 32-bit float, mono or stereo, 8-48 kHz.
//! Decoding says exactly what is wrong with a file; nothing here panics on bad input.

/// Why a buffer is not audio the daemon can use. The API maps each kind to its own status.
#[derive(Debug, Clone, PartialEq)]
pub enum WavError {
    /// Nothing to decode: no bytes, or a data chunk with no samples.
    Empty(&'static str),
    /// Not a well-formed RIFF/WAVE file.
    Malformed(String),
    /// Well-formed, but a rate, channel count or sample format the daemon does not read.
    Unsupported(String),
}

impl std::fmt::Display for WavError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Empty(m) => f.write_str(m),
            Self::Malformed(m) | Self::Unsupported(m) => f.write_str(m.as_str()),
        }
    }
}

impl std::error::Error for WavError {}

pub const MIN_RATE: u32 = 8_000;
pub const MAX_RATE: u32 = 48_000;

/// Decoded audio: mono samples in [-1, 1] and the sample rate.
#[derive(Debug, Clone)]
pub struct Audio {
    pub samples: Vec<f32>,
    pub sample_rate: u32,
}

impl Audio {
    pub fn duration_secs(&self) -> f64 {
        self.samples.len() as f64 / f64::from(self.sample_rate.max(1))
    }
}

fn u16_at(b: &[u8], i: usize) -> u16 {
    u16::from_le_bytes([b[i], b[i + 1]])
}

fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

/// Decodes a WAV file. `lenient` accepts a data chunk whose declared size runs past the end of
/// the buffer (espeak-ng writes 0x7fffffff when streaming to a pipe); uploads are strict.
pub fn decode(bytes: &[u8], lenient: bool) -> Result<Audio, WavError> {
    let bad = |m: &str| WavError::Malformed(m.to_owned());
    if bytes.is_empty() {
        return Err(WavError::Empty("the request body is empty; expected a WAV file"));
    }
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err(bad("not a RIFF/WAVE file (expected `RIFF....WAVE` at the start)"));
    }
    let mut pos = 12;
    let mut format: Option<(u16, u16, u32, u16)> = None;
    while pos + 8 <= bytes.len() {
        let id = &bytes[pos..pos + 4];
        let size = u32_at(bytes, pos + 4) as usize;
        let body = pos + 8;
        if id == b"fmt " {
            if size < 16 || body + 16 > bytes.len() {
                return Err(bad("truncated `fmt ` chunk"));
            }
            format = Some((
                u16_at(bytes, body),
                u16_at(bytes, body + 2),
                u32_at(bytes, body + 4),
                u16_at(bytes, body + 14),
            ));
        } else if id == b"data" {
            let (tag, channels, rate, bits) =
                format.ok_or_else(|| bad("`data` chunk before `fmt ` chunk"))?;
            let end = match body.checked_add(size) {
                Some(e) if e <= bytes.len() => e,
                _ if lenient => bytes.len(),
                _ => {
                    return Err(bad(&format!(
                        "`data` chunk declares {size} bytes but only {} follow",
                        bytes.len() - body
                    )));
                }
            };
            return samples(&bytes[body..end], tag, channels, rate, bits);
        }
        // Chunks are padded to an even size.
        pos = body.checked_add(size + (size & 1)).ok_or_else(|| bad("chunk size overflows"))?;
    }
    Err(bad("no `data` chunk"))
}

fn samples(data: &[u8], tag: u16, channels: u16, rate: u32, bits: u16) -> Result<Audio, WavError> {
    let unsupported = WavError::Unsupported;
    if !(MIN_RATE..=MAX_RATE).contains(&rate) {
        return Err(unsupported(format!("sample rate {rate} Hz is outside {MIN_RATE}-{MAX_RATE} Hz")));
    }
    if !(1..=2).contains(&channels) {
        return Err(unsupported(format!("{channels} channels; only mono and stereo are supported")));
    }
    // WAVE_FORMAT_EXTENSIBLE (0xFFFE) carries the real format in a sub-format GUID; accept it
    // for the same bit depths.
    let frame_values: Vec<f32> = match (tag, bits) {
        (1 | 0xFFFE, 16) => {
            data.chunks_exact(2).map(|c| f32::from(i16::from_le_bytes([c[0], c[1]])) / 32768.0).collect()
        }
        (3 | 0xFFFE, 32) => data
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]).clamp(-1.0, 1.0))
            .collect(),
        _ => {
            return Err(unsupported(format!(
                "format tag {tag} with {bits} bits; supported: 16-bit PCM, 32-bit float"
            )));
        }
    };
    if frame_values.iter().any(|v| !v.is_finite()) {
        return Err(WavError::Malformed("audio contains NaN or infinite samples".to_owned()));
    }
    let ch = usize::from(channels);
    let samples: Vec<f32> =
        frame_values.chunks_exact(ch).map(|f| f.iter().sum::<f32>() / ch as f32).collect();
    if samples.is_empty() {
        return Err(WavError::Empty("the WAV file holds no samples"));
    }
    Ok(Audio { samples, sample_rate: rate })
}

/// Encodes mono samples as a 16-bit PCM WAV file.
pub fn encode(samples: &[f32], sample_rate: u32) -> Vec<u8> {
    let data_len = u32::try_from(samples.len() * 2).unwrap_or(u32::MAX - 36);
    let mut out = Vec::with_capacity(44 + samples.len() * 2);
    out.extend_from_slice(&header(sample_rate, 36 + data_len, data_len));
    push_pcm16(&mut out, samples);
    out
}

/// A whole WAV file around 16-bit mono PCM data already encoded (a finished stream's).
pub fn from_pcm16(sample_rate: u32, pcm: &[u8]) -> Vec<u8> {
    let data_len = u32::try_from(pcm.len()).unwrap_or(u32::MAX - 36);
    let mut out = Vec::with_capacity(44 + pcm.len());
    out.extend_from_slice(&header(sample_rate, 36 + data_len, data_len));
    out.extend_from_slice(pcm);
    out
}

/// The header of a WAV stream whose length is not known when it starts: the RIFF and data
/// sizes are 0xFFFFFFFF, as espeak-ng and streaming TTS servers write them, and a reader takes
/// the data to the end of the stream ([`decode`] with `lenient`).
pub fn stream_header(sample_rate: u32) -> [u8; 44] {
    header(sample_rate, u32::MAX, u32::MAX)
}

/// Mono samples as 16-bit little-endian PCM, appended to `out`.
pub fn push_pcm16(out: &mut Vec<u8>, samples: &[f32]) {
    out.reserve(samples.len() * 2);
    for s in samples {
        // Saturating float-to-int conversion: out-of-range values clip instead of wrapping.
        out.extend_from_slice(&((s.clamp(-1.0, 1.0) * 32767.0).round() as i16).to_le_bytes());
    }
}

fn header(sample_rate: u32, riff_len: u32, data_len: u32) -> [u8; 44] {
    let mut h = [0u8; 44];
    let fields: [&[u8]; 13] = [
        b"RIFF",
        &riff_len.to_le_bytes(),
        b"WAVEfmt ",
        &16u32.to_le_bytes(),
        &1u16.to_le_bytes(),
        &1u16.to_le_bytes(),
        &sample_rate.to_le_bytes(),
        &(sample_rate * 2).to_le_bytes(),
        &2u16.to_le_bytes(),
        &16u16.to_le_bytes(),
        b"data",
        &data_len.to_le_bytes(),
        &[],
    ];
    let mut at = 0;
    for f in fields {
        h[at..at + f.len()].copy_from_slice(f);
        at += f.len();
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
