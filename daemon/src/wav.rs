//! Audio in and out: uploads decoded by symphonia (WAV of any common depth, FLAC, MP3, Ogg
//! Vorbis; 8-48 kHz, mixed to mono), answers encoded as 16-bit PCM WAV. Decoding says what is
//! wrong with a file and stays bounded in memory; nothing here panics on bad input.

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

#[cfg(test)]
fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

/// The most audio one file may decode to, in seconds at its own rate. A compressed upload
/// (FLAC of silence, say) can expand a thousandfold; past this the decoder stops and refuses
/// the file before it holds more than 10 minutes of mono samples.
pub const MAX_DECODED_SECS: u64 = 600;

/// Most channels a file may have; they are averaged to mono.
pub const MAX_CHANNELS: usize = 8;

/// Decodes an upload: WAV (8/16/24/32-bit PCM, 32/64-bit float, WAVE_FORMAT_EXTENSIBLE), FLAC,
/// MP3 or Ogg Vorbis, mixed to mono. `lenient` accepts a stream that ends before the length
/// its header declares (espeak-ng writes 0x7fffffff when streaming to a pipe, and the daemon's
/// own streamed WAVs declare 0xffffffff); uploads are strict.
pub fn decode(bytes: &[u8], lenient: bool) -> Result<Audio, WavError> {
    if bytes.is_empty() {
        return Err(WavError::Empty("the request body is empty; expected a WAV, FLAC, MP3 or Ogg file"));
    }
    let mut owned = bytes.to_vec();
    if lenient {
        declare_what_is_there(&mut owned);
    }
    // The decoders are third-party code fed hostile bytes: a panic in one becomes a refusal of
    // the file, never a lost worker (the fuzz target `wav` holds the daemon to that).
    std::panic::catch_unwind(move || decode_with_symphonia(owned, lenient)).unwrap_or_else(|_| {
        Err(WavError::Malformed("the decoder could not read this file (it is damaged)".to_owned()))
    })
}

/// Rewrites a RIFF file's declared sizes to what the buffer holds, so that a stream written
/// before its length was known is read to its last whole frame (the readers stop at the
/// declared length, and a last packet that runs past the end would be dropped whole).
fn declare_what_is_there(bytes: &mut [u8]) {
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" {
        return;
    }
    let total = u32::try_from(bytes.len() - 8).unwrap_or(u32::MAX);
    bytes[4..8].copy_from_slice(&total.to_le_bytes());
    let mut pos = 12usize;
    while pos + 8 <= bytes.len() {
        let size =
            u32::from_le_bytes([bytes[pos + 4], bytes[pos + 5], bytes[pos + 6], bytes[pos + 7]]) as usize;
        if &bytes[pos..pos + 4] == b"data" {
            let there = u32::try_from((bytes.len() - pos - 8) & !1).unwrap_or(u32::MAX);
            if size > there as usize {
                bytes[pos + 4..pos + 8].copy_from_slice(&there.to_le_bytes());
            }
            return;
        }
        // Chunks are padded to an even size.
        match (pos + 8).checked_add(size + (size & 1)) {
            Some(next) => pos = next,
            None => return,
        }
    }
}

fn decode_with_symphonia(bytes: Vec<u8>, lenient: bool) -> Result<Audio, WavError> {
    use symphonia::core::audio::SampleBuffer;
    use symphonia::core::codecs::{CODEC_TYPE_NULL, DecoderOptions};
    use symphonia::core::errors::Error;
    use symphonia::core::formats::FormatOptions;
    use symphonia::core::io::MediaSourceStream;
    use symphonia::core::meta::MetadataOptions;
    use symphonia::core::probe::Hint;

    let riff = bytes.starts_with(b"RIFF");
    let source = MediaSourceStream::new(Box::new(std::io::Cursor::new(bytes)), Default::default());
    let probed = symphonia::default::get_probe()
        .format(&Hint::new(), source, &FormatOptions::default(), &MetadataOptions::default())
        .map_err(|e| match e {
            // symphonia says "unsupported" for damage too ("missing data chunk"); only a named
            // format or sub-type it does not read is a well-formed file of another kind.
            Error::Unsupported(what) if riff && what.contains("unsupported") => {
                WavError::Unsupported(format!("a WAV file in a format the daemon does not read ({what})"))
            }
            Error::Unsupported(what) if riff => {
                WavError::Malformed(format!("not a well-formed WAV file ({what})"))
            }
            Error::Unsupported(_) => WavError::Malformed(
                "not an audio file the daemon reads (expected WAV, FLAC, MP3 or Ogg Vorbis)".to_owned(),
            ),
            other => WavError::Malformed(format!("not a readable audio file: {other}")),
        })?;
    let mut format = probed.format;
    let track = format
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
        .ok_or_else(|| WavError::Malformed("the file holds no audio track".to_owned()))?;
    let (track_id, params) = (track.id, track.codec_params.clone());
    let rate = params.sample_rate.ok_or_else(|| WavError::Malformed("no sample rate".to_owned()))?;
    if !(MIN_RATE..=MAX_RATE).contains(&rate) {
        return Err(WavError::Unsupported(format!(
            "sample rate {rate} Hz is outside {MIN_RATE}-{MAX_RATE} Hz"
        )));
    }
    if let Some(ch) = params.channels.map(|c| c.count())
        && !(1..=MAX_CHANNELS).contains(&ch)
    {
        return Err(WavError::Unsupported(format!(
            "{ch} channels; at most {MAX_CHANNELS} are mixed to mono"
        )));
    }
    let mut decoder =
        symphonia::default::get_codecs().make(&params, &DecoderOptions::default()).map_err(|e| {
            WavError::Unsupported(format!("{e}; supported: PCM and float WAV, FLAC, MP3, Ogg Vorbis"))
        })?;
    let cap = u64::from(rate) * MAX_DECODED_SECS;
    let mut samples: Vec<f32> = Vec::new();
    let mut buffer: Option<SampleBuffer<f32>> = None;
    loop {
        let packet = match format.next_packet() {
            Ok(p) => p,
            Err(Error::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(Error::ResetRequired) => break,
            Err(e) => return Err(WavError::Malformed(format!("damaged audio stream: {e}"))),
        };
        if packet.track_id() != track_id {
            continue;
        }
        let decoded = match decoder.decode(&packet) {
            Ok(d) => d,
            Err(Error::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(WavError::Malformed(format!("damaged audio data: {e}"))),
        };
        let spec = *decoded.spec();
        let ch = spec.channels.count();
        if !(1..=MAX_CHANNELS).contains(&ch) {
            return Err(WavError::Unsupported(format!(
                "{ch} channels; at most {MAX_CHANNELS} are mixed to mono"
            )));
        }
        if spec.rate != rate {
            return Err(WavError::Unsupported(format!(
                "the sample rate changes from {rate} to {} Hz",
                spec.rate
            )));
        }
        let frames = decoded.frames() as u64;
        if samples.len() as u64 + frames > cap {
            return Err(WavError::Unsupported(format!(
                "the file decodes to more than {MAX_DECODED_SECS} s of audio"
            )));
        }
        let buf = match &mut buffer {
            Some(b) if b.capacity() >= decoded.capacity() * ch => b,
            _ => buffer.insert(SampleBuffer::new(decoded.capacity() as u64, spec)),
        };
        buf.copy_interleaved_ref(decoded);
        for frame in buf.samples().chunks_exact(ch) {
            let v = frame.iter().sum::<f32>() / ch as f32;
            if !v.is_finite() {
                return Err(WavError::Malformed("audio contains NaN or infinite samples".to_owned()));
            }
            samples.push(v.clamp(-1.0, 1.0));
        }
    }
    if let Some(declared) = params.n_frames
        && !lenient
        && (samples.len() as u64) < declared
    {
        return Err(WavError::Malformed(format!(
            "the file declares {declared} frames but only {} follow (truncated?)",
            samples.len()
        )));
    }
    if samples.is_empty() {
        return Err(WavError::Empty("the file holds no samples"));
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
