//! Speakers: id, espeak-ng base voice, target F0 and formant scale; built in or from a file.

use serde::{Deserialize, Serialize};
use std::path::Path;

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
pub fn load(path: &Path) -> Result<Vec<Speaker>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let speakers: Vec<Speaker> = serde_json::from_str(&text)
        .map_err(|e| format!("`{}`: {e} (expected a list of speakers)", path.display()))?;
    validate(&speakers).map_err(|e| format!("`{}`: {e}", path.display()))?;
    Ok(speakers)
}

pub fn validate(speakers: &[Speaker]) -> Result<(), String> {
    if speakers.is_empty() {
        return Err("no speakers defined".to_owned());
    }
    for (i, s) in speakers.iter().enumerate() {
        if s.id.is_empty() || speakers[..i].iter().any(|p| p.id == s.id) {
            return Err(format!("speaker {} has an empty or duplicate id `{}`", i + 1, s.id));
        }
        if !(50.0..=500.0).contains(&s.target_f0) {
            return Err(format!("speaker `{}`: target_f0 {} is outside 50-500 Hz", s.id, s.target_f0));
        }
        if !(0.5..=2.0).contains(&s.formant_scale) {
            return Err(format!("speaker `{}`: formant_scale {} is outside 0.5-2.0", s.id, s.formant_scale));
        }
    }
    Ok(())
}
