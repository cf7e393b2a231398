//! Speakers: id, espeak-ng base voice, target F0 and formant scale; built in or from a file.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What is wrong with a speaker list, a speaker id or the enrolled speakers' file.
#[derive(Debug)]
pub enum SpeakerError {
    /// A speaker breaks a rule (empty or duplicate id, F0 or formant scale out of range, bad id).
    Invalid(String),
    /// A file or directory could not be read, created or written.
    Io { action: &'static str, path: PathBuf, source: std::io::Error },
    /// A file is not the JSON it should be.
    Parse { path: PathBuf, source: serde_json::Error, expected: &'static str },
    /// An enrolled speaker's embedding is not `EMBEDDING` finite values.
    Embedding { path: PathBuf, index: usize, id: String },
    /// A rule broken by a speaker of this file.
    InFile { path: PathBuf, source: Box<SpeakerError> },
    /// The enrolled speakers could not be encoded.
    Encode(serde_json::Error),
}

impl std::fmt::Display for SpeakerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Invalid(m) => f.write_str(m),
            Self::Io { action, path, source } => write!(f, "cannot {action} `{}`: {source}", path.display()),
            Self::Parse { path, source, expected } => {
                write!(f, "`{}`: {source} ({expected})", path.display())
            }
            Self::Embedding { path, index, id } => write!(
                f,
                "`{}`: speaker {index} (`{id}`) has a malformed embedding; expected {} finite values",
                path.display(),
                crate::models::speaker::EMBEDDING
            ),
            Self::InFile { path, source } => write!(f, "`{}`: {source}", path.display()),
            Self::Encode(e) => write!(f, "cannot encode speakers: {e}"),
        }
    }
}

impl std::error::Error for SpeakerError {}

fn in_file(path: &Path) -> impl FnOnce(SpeakerError) -> SpeakerError + '_ {
    move |e| SpeakerError::InFile { path: path.to_owned(), source: Box::new(e) }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Speaker {
    pub id: String,
    /// espeak-ng voice the front end speaks with (e.g. `en-us`).
    pub base_voice: String,
    /// Median F0 the output is shifted to, in Hz.
    pub target_f0: f32,
    /// Formant scale: 1.0 keeps the front end's formants, >1 brightens, <1 darkens.
    pub formant_scale: f32,
}

/// The speakers shipped with the daemon.
pub fn builtin() -> Vec<Speaker> {
    let s = |id: &str, voice: &str, f0: f32, formant: f32| Speaker {
        id: id.to_owned(),
        base_voice: voice.to_owned(),
        target_f0: f0,
        formant_scale: formant,
    };
    vec![s("default", "en-us", 120.0, 1.0), s("alto", "en-us", 190.0, 1.12), s("bass", "en-gb", 90.0, 0.92)]
}

/// Reads speakers from a JSON file: `[{"id", "base_voice", "target_f0", "formant_scale"}]`.
pub fn load(path: &Path) -> Result<Vec<Speaker>, SpeakerError> {
    let text = std::fs::read_to_string(path).map_err(|source| SpeakerError::Io {
        action: "read",
        path: path.to_owned(),
        source,
    })?;
    let speakers: Vec<Speaker> = serde_json::from_str(&text).map_err(|source| SpeakerError::Parse {
        path: path.to_owned(),
        source,
        expected: "expected a list of speakers",
    })?;
    validate(&speakers).map_err(in_file(path))?;
    Ok(speakers)
}

pub fn validate(speakers: &[Speaker]) -> Result<(), SpeakerError> {
    let invalid = |m: String| Err(SpeakerError::Invalid(m));
    if speakers.is_empty() {
        return invalid("no speakers defined".to_owned());
    }
    for (i, s) in speakers.iter().enumerate() {
        if s.id.is_empty() || speakers[..i].iter().any(|p| p.id == s.id) {
            return invalid(format!("speaker {} has an empty or duplicate id `{}`", i + 1, s.id));
        }
        if !(50.0..=500.0).contains(&s.target_f0) {
            return invalid(format!("speaker `{}`: target_f0 {} is outside 50-500 Hz", s.id, s.target_f0));
        }
        if !(0.5..=2.0).contains(&s.formant_scale) {
            return invalid(format!(
                "speaker `{}`: formant_scale {} is outside 0.5-2.0",
                s.id, s.formant_scale
            ));
        }
    }
    Ok(())
}

/// F0 statistics of an enrollment recording (CREPE, voiced frames only).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct F0Stats {
    pub median_hz: f32,
    pub p10_hz: f32,
    pub p90_hz: f32,
    /// Share of frames that were voiced.
    pub voiced_ratio: f32,
}

/// A speaker enrolled through `POST /speakers`, as persisted.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Enrolled {
    pub speaker: Speaker,
    pub f0: F0Stats,
    /// GE2E embedding (256 values, unit length) of the recording.
    pub embedding: Vec<f32>,
}

/// The enrolled speakers' file in the data directory. Writes are atomic: a temporary file in
/// the same directory, flushed to disk, then renamed over the old one; a crash leaves either
/// the old or the new list, never a torn file.
#[derive(Debug, Clone)]
pub struct Store {
    path: PathBuf,
}

/// File name of the enrolled speakers inside the data directory.
pub const STORE_FILE: &str = "speakers.json";

impl Store {
    /// Opens (creating the directory if needed) and reads the enrolled speakers.
    pub fn open(dir: &Path) -> Result<(Self, Vec<Enrolled>), SpeakerError> {
        std::fs::create_dir_all(dir).map_err(|source| SpeakerError::Io {
            action: "create data directory",
            path: dir.to_owned(),
            source,
        })?;
        let path = dir.join(STORE_FILE);
        let list = match std::fs::read_to_string(&path) {
            Ok(text) => {
                serde_json::from_str::<Vec<Enrolled>>(&text).map_err(|source| SpeakerError::Parse {
                    path: path.clone(),
                    source,
                    expected: "expected the enrolled speakers written by autovoiced",
                })?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(source) => return Err(SpeakerError::Io { action: "read", path, source }),
        };
        for (i, e) in list.iter().enumerate() {
            if !embedding_ok(&e.embedding) {
                return Err(SpeakerError::Embedding { path, index: i + 1, id: e.speaker.id.clone() });
            }
        }
        let speakers: Vec<Speaker> = list.iter().map(|e| e.speaker.clone()).collect();
        if !speakers.is_empty() {
            validate(&speakers).map_err(in_file(&path))?;
        }
        Ok((Self { path }, list))
    }

    /// Replaces the file with `list`.
    pub fn save(&self, list: &[Enrolled]) -> Result<(), SpeakerError> {
        use std::io::Write as _;
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let tmp = dir.join(format!(".{STORE_FILE}.{}.tmp", std::process::id()));
        let text = serde_json::to_vec_pretty(list).map_err(SpeakerError::Encode)?;
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&text)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &self.path)?;
            // The rename is durable once the directory entry is.
            std::fs::File::open(dir)?.sync_all()
        };
        write().map_err(|source| {
            let _ = std::fs::remove_file(&tmp);
            SpeakerError::Io { action: "write", path: self.path.clone(), source }
        })
    }
}

fn embedding_ok(e: &[f32]) -> bool {
    e.len() == crate::models::speaker::EMBEDDING && e.iter().all(|v| v.is_finite())
}

/// Checks one enrollment record read from elsewhere (the shared store): its id, its
/// parameters and its embedding.
pub fn check_record(e: &Enrolled) -> Result<(), SpeakerError> {
    check_id(&e.speaker.id)?;
    validate(std::slice::from_ref(&e.speaker))?;
    if !embedding_ok(&e.embedding) {
        return Err(SpeakerError::Invalid(format!(
            "speaker `{}` has a malformed embedding; expected {} finite values",
            e.speaker.id,
            crate::models::speaker::EMBEDDING
        )));
    }
    Ok(())
}

/// Checks an id for enrollment: 1-32 characters of `a-z`, `0-9`, `_`, `-`.
pub fn check_id(id: &str) -> Result<(), SpeakerError> {
    let ok = !id.is_empty()
        && id.len() <= 32
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(SpeakerError::Invalid(format!(
            "speaker id `{id}` must be 1-32 characters of a-z, 0-9, `_` and `-`"
        )))
    }
}
