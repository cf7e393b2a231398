//! Validated requests: what the API hands the pipeline, checked against the configured limits
//! before any work starts. Parsing takes bytes and `key=value` pairs, not HTTP types, so the
//! HTTP routes and the WebSocket share it.

use super::error::RequestError;
use crate::config::Config;
use crate::speakers;
use serde::Deserialize;

/// A text-to-speech request, as posted to `/synthesize` or sent on the WebSocket.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SynthesisRequest {
    pub text: String,
    pub speaker_id: String,
    #[serde(default)]
    pub format: Option<String>,
    /// Stream the audio as each piece of the text is ready (POST /synthesize; the WebSocket
    /// always streams).
    #[serde(default)]
    pub stream: bool,
    #[serde(default)]
    pub quality: QualityMode,
}

/// When an answer's quality (pitch error, speaker similarity) is measured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QualityMode {
    /// After the answer is sent, if the request is in the `--quality-sample`.
    #[default]
    Sampled,
    /// Before the answer, which then carries the measurement (headers, WebSocket summary).
    Sync,
}

impl QualityMode {
    /// `sync` or `sampled`, as in the `x-autovoice-quality` header and the `quality` query key.
    pub fn parse(v: &str) -> Result<Self, RequestError> {
        match v {
            "sync" => Ok(Self::Sync),
            "sampled" => Ok(Self::Sampled),
            other => Err(RequestError::Parameter(format!(
                "quality `{other}` is unknown; expected sync or sampled"
            ))),
        }
    }
}

impl SynthesisRequest {
    /// Parses a JSON body and checks it: non-empty text within `max_text_chars` (whitespace
    /// runs collapsed to one space), WAV output.
    pub fn parse(cfg: &Config, bytes: &[u8]) -> Result<Self, RequestError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(RequestError::EmptyBody);
        }
        let mut req: Self = serde_json::from_slice(bytes).map_err(|e| RequestError::Json(e.to_string()))?;
        // Runs of whitespace are one space to the front end; the cache key uses the same text.
        req.text = req.text.split_whitespace().collect::<Vec<_>>().join(" ");
        if req.text.is_empty() {
            return Err(RequestError::EmptyText);
        }
        let chars = req.text.chars().count();
        if chars > cfg.max_text_chars {
            return Err(RequestError::TextTooLong { chars, limit: cfg.max_text_chars });
        }
        if let Some(f) = &req.format
            && f != "wav"
        {
            return Err(RequestError::Parameter(format!("format `{f}` is not supported; use `wav`")));
        }
        Ok(req)
    }
}

fn number(name: &str, v: &str) -> Result<f32, RequestError> {
    v.parse().map_err(|_| RequestError::Parameter(format!("{name} `{v}` is not a number")))
}

fn unknown(other: &str, expected: &str) -> RequestError {
    RequestError::Parameter(format!("unknown query parameter `{other}`; expected {expected}"))
}

/// A voice conversion: to a speaker, by a number of semitones, or both.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvertRequest {
    pub speaker_id: Option<String>,
    /// Semitones, -24..=24.
    pub pitch_shift: f32,
    pub quality: QualityMode,
}

impl ConvertRequest {
    /// From the query's `speaker_id` and/or `pitch_shift`, and `quality`.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self, RequestError> {
        let (mut speaker, mut shift, mut quality) = (None, None, QualityMode::Sampled);
        for (k, v) in pairs {
            match k {
                "speaker_id" => speaker = Some(v.to_owned()),
                "pitch_shift" => {
                    let s = number("pitch_shift", v)?;
                    if !(-24.0..=24.0).contains(&s) {
                        return Err(RequestError::Parameter(format!(
                            "pitch_shift {s} is outside -24..=24 semitones"
                        )));
                    }
                    shift = Some(s);
                }
                "quality" => quality = QualityMode::parse(v)?,
                other => return Err(unknown(other, "speaker_id, pitch_shift, quality")),
            }
        }
        if speaker.is_none() && shift.is_none() {
            return Err(RequestError::Parameter("give `speaker_id` and/or `pitch_shift`".to_owned()));
        }
        Ok(Self { speaker_id: speaker, pitch_shift: shift.unwrap_or(0.0), quality })
    }
}

/// A new speaker's id, espeak-ng base voice and formant scale.
#[derive(Debug, Clone, PartialEq)]
pub struct EnrollRequest {
    pub id: String,
    pub base_voice: String,
    pub formant_scale: f32,
}

impl EnrollRequest {
    /// From the query's `id`, `base_voice` (default `en-us`) and `formant_scale` (default 1).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self, RequestError> {
        let (mut id, mut voice, mut formant) = (None, None, None);
        for (k, v) in pairs {
            match k {
                "id" => id = Some(v.to_owned()),
                "base_voice" => voice = Some(v.to_owned()),
                "formant_scale" => {
                    let f = number("formant_scale", v)?;
                    if !(0.5..=2.0).contains(&f) {
                        return Err(RequestError::Parameter(format!("formant_scale {f} is outside 0.5-2.0")));
                    }
                    formant = Some(f);
                }
                other => return Err(unknown(other, "id, base_voice, formant_scale")),
            }
        }
        let id = id.ok_or_else(|| RequestError::Parameter("give the new speaker's `id`".to_owned()))?;
        speakers::check_id(&id).map_err(|e| RequestError::Parameter(e.to_string()))?;
        let base_voice = voice.unwrap_or_else(|| "en-us".to_owned());
        let voice_ok = !base_voice.is_empty()
            && base_voice.len() <= 32
            && base_voice.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-_".contains(&b));
        if !voice_ok {
            return Err(RequestError::Parameter(format!(
                "base_voice `{base_voice}` is not an espeak-ng voice name (e.g. en-us, en-gb+f3)"
            )));
        }
        Ok(Self { id, base_voice, formant_scale: formant.unwrap_or(1.0) })
    }
}
