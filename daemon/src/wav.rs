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
    // the file, never a lost worker. Each is counted: the `wav` fuzz target fails on any, so
    // that a panicking input gets a check of its own before the decoder (check_riff_format).
    std::panic::catch_unwind(move || decode_with_symphonia(owned, lenient)).unwrap_or_else(|_| {
        DECODER_PANICS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Err(WavError::Malformed("the decoder could not read this file (it is damaged)".to_owned()))
    })
}

/// Panics caught inside the decoder since the process started.
pub static DECODER_PANICS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// The chunks of a RIFF buffer in order: where each starts and its id and declared size. It
/// stops at the first chunk whose header or padded size runs past what the buffer can index.
fn riff_chunks(bytes: &[u8]) -> impl Iterator<Item = (usize, [u8; 4], usize)> + '_ {
    let mut pos = if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" { 12usize } else { usize::MAX };
    std::iter::from_fn(move || {
        let header = bytes.get(pos..pos.checked_add(8)?)?;
        let id = [header[0], header[1], header[2], header[3]];
        let size = u32::from_le_bytes([header[4], header[5], header[6], header[7]]) as usize;
        let at = pos;
        // Chunks are padded to an even size.
        pos = (pos + 8).saturating_add(size + (size & 1));
        Some((at, id, size))
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
    let data = riff_chunks(bytes).find(|(_, id, _)| id == b"data");
    if let Some((pos, _, size)) = data {
        let there = u32::try_from((bytes.len() - pos - 8) & !1).unwrap_or(u32::MAX);
        if size > there as usize {
            bytes[pos + 4..pos + 8].copy_from_slice(&there.to_le_bytes());
        }
    }
}

/// A WAV's `fmt ` fields the daemon refuses before any decoder sees them: symphonia 0.5 panics
/// on a zero sample rate (found by the `wav` fuzz target), and the limits are ours anyway.
fn check_riff_format(bytes: &[u8]) -> Result<(), WavError> {
    for (pos, id, size) in riff_chunks(bytes) {
        if &id != b"fmt " {
            continue;
        }
        let Some(body) = bytes.get(pos + 8..pos + 8 + size.min(16)).filter(|b| b.len() == 16) else {
            return Err(WavError::Malformed("truncated `fmt ` chunk".to_owned()));
        };
        let channels = usize::from(u16::from_le_bytes([body[2], body[3]]));
        let rate = u32::from_le_bytes([body[4], body[5], body[6], body[7]]);
        let block_align = u16::from_le_bytes([body[12], body[13]]);
        within_limits(rate, channels)?;
        if block_align == 0 {
            return Err(WavError::Malformed("the `fmt ` chunk declares a block size of 0".to_owned()));
        }
    }
    Ok(())
}

/// The containers uploads may come in, by their first bytes.
#[derive(Clone, Copy)]
enum Container {
    Wav,
    Flac,
    Ogg,
    Mp3,
}

impl Container {
    fn of(bytes: &[u8]) -> Result<Self, WavError> {
        let after_tag = bytes.get(id3v2_len(bytes)..).unwrap_or_default();
        match bytes {
            [b'R', b'I', b'F', b'F', ..] => Ok(Self::Wav),
            [b'f', b'L', b'a', b'C', ..] => Ok(Self::Flac),
            [b'O', b'g', b'g', b'S', ..] => Ok(Self::Ogg),
            _ if matches!(after_tag, [0xFF, b, ..] if b & 0xE0 == 0xE0) => Ok(Self::Mp3),
            _ => Err(WavError::Malformed(
                "not an audio file the daemon reads (expected WAV, FLAC, MP3 or Ogg Vorbis)".to_owned(),
            )),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Wav => "WAV",
            Self::Flac => "FLAC",
            Self::Ogg => "Ogg",
            Self::Mp3 => "MP3",
        }
    }
}

/// Bytes of an ID3v2 tag at the start (MP3 files often begin with one), 0 without one.
fn id3v2_len(bytes: &[u8]) -> usize {
    match bytes {
        [b'I', b'D', b'3', _, _, flags, s0, s1, s2, s3, ..]
            if [s0, s1, s2, s3].iter().all(|b| **b < 0x80) =>
        {
            // The size is "syncsafe": seven bits per byte; a footer adds ten more bytes.
            let size = (usize::from(*s0) << 21)
                | (usize::from(*s1) << 14)
                | (usize::from(*s2) << 7)
                | usize::from(*s3);
            10 + size + if flags & 0x10 != 0 { 10 } else { 0 }
        }
        _ => 0,
    }
}

/// The reader `R` over `source`, as the trait object the decoding loop takes.
fn open<R: symphonia::core::formats::FormatReader + 'static>(
    source: symphonia::core::io::MediaSourceStream,
) -> symphonia::core::errors::Result<Box<dyn symphonia::core::formats::FormatReader>> {
    let reader = R::try_new(source, &symphonia::core::formats::FormatOptions::default())?;
    Ok(Box::new(reader))
}

/// The rate and channel count the daemon reads, wherever a file declares them.
fn within_limits(rate: u32, channels: usize) -> Result<(), WavError> {
    if !(MIN_RATE..=MAX_RATE).contains(&rate) {
        return Err(WavError::Unsupported(format!(
            "sample rate {rate} Hz is outside {MIN_RATE}-{MAX_RATE} Hz"
        )));
    }
    if !(1..=MAX_CHANNELS).contains(&channels) {
        return Err(WavError::Unsupported(format!(
            "{channels} channels; at most {MAX_CHANNELS} are mixed to mono"
        )));
    }
    Ok(())
}

fn decode_with_symphonia(bytes: Vec<u8>, lenient: bool) -> Result<Audio, WavError> {
    use symphonia::core::audio::SampleBuffer;
    use symphonia::core::codecs::{CODEC_TYPE_NULL, DecoderOptions};
    use symphonia::core::errors::Error;
    use symphonia::core::io::MediaSourceStream;

    // The container is named by the file's first bytes, not searched for: symphonia's probe
    // scans past leading junk for a marker, which let a damaged header through unchecked.
    let kind = Container::of(&bytes)?;
    let riff = matches!(kind, Container::Wav);
    if riff {
        check_riff_format(&bytes)?;
    }
    let skip = id3v2_len(&bytes);
    let mut source = MediaSourceStream::new(Box::new(std::io::Cursor::new(bytes)), Default::default());
    if skip > 0 {
        use std::io::Read;
        std::io::copy(&mut (&mut source).take(skip as u64), &mut std::io::sink())
            .map_err(|e| WavError::Malformed(format!("truncated ID3 tag: {e}")))?;
    }
    use symphonia::default::formats::{FlacReader, MpaReader, OggReader, WavReader};
    let opened = match kind {
        Container::Wav => open::<WavReader>(source),
        Container::Flac => open::<FlacReader>(source),
        Container::Ogg => open::<OggReader>(source),
        Container::Mp3 => open::<MpaReader>(source),
    };
    let mut format = opened.map_err(|e| match e {
        // symphonia says "unsupported" for damage too ("missing data chunk"); only a named
        // format or sub-type it does not read is a well-formed file of another kind.
        Error::Unsupported(what) if riff && what.contains("unsupported") => {
            WavError::Unsupported(format!("a WAV file in a format the daemon does not read ({what})"))
        }
        other => WavError::Malformed(format!("not a readable {} file: {other}", kind.name())),
    })?;
    let track = format
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
        .ok_or_else(|| WavError::Malformed("the file holds no audio track".to_owned()))?;
    let (track_id, params) = (track.id, track.codec_params.clone());
    let rate = params.sample_rate.ok_or_else(|| WavError::Malformed("no sample rate".to_owned()))?;
    // A reader that does not know the channel count yet is checked per packet below.
    within_limits(rate, params.channels.map_or(1, |c| c.count()))?;
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
        within_limits(rate, ch)?;
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
