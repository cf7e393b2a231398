//! The bytes of a cache entry in Redis: a magic and version, a SHA-256 of the rest, then the
//! entry's own encoding. Anything that does not check out (another program's value, a torn or
//! truncated write, a different version) is refused, so it is a miss and never garbage audio.

use sha2::{Digest, Sha256};

const MAGIC: &[u8; 4] = b"AVC1";
/// Bytes before the payload: the magic and the payload's SHA-256.
pub const HEADER: usize = MAGIC.len() + 32;

/// Wraps `payload` for storage.
pub fn seal(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&Sha256::digest(payload));
    out.extend_from_slice(payload);
    out
}

/// The payload of a sealed value, or why it is not one.
pub fn open(bytes: &[u8]) -> Result<&[u8], String> {
    if bytes.len() < HEADER {
        return Err(format!("{} bytes, shorter than the {HEADER}-byte header", bytes.len()));
    }
    if &bytes[..4] != MAGIC {
        return Err("not an AutoVoice cache entry (bad magic)".to_owned());
    }
    let payload = &bytes[HEADER..];
    if Sha256::digest(payload).as_slice() != &bytes[4..HEADER] {
        return Err(format!("checksum mismatch over {} payload bytes (truncated or corrupt)", payload.len()));
    }
    Ok(payload)
}
