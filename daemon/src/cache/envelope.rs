//! The bytes of a cache entry in Redis: a magic and version, a SHA-256 of the rest, then the
//! entry's own encoding. Anything that does not check out (another program's value, a torn or
//! truncated write, a different version) is refused, so it is a miss and never garbage audio.

use sha2::{Digest, Sha256};

const MAGIC: &[u8; 4] = b"AVC1";
const HEADER: usize = MAGIC.len() + 32;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_damage() {
        let sealed = seal(b"hello audio");
        assert_eq!(open(&sealed), Ok(&b"hello audio"[..]));
        let e = open(&sealed[..sealed.len() - 1]).err().unwrap_or_default();
        assert!(e.contains("checksum mismatch"), "{e}");
        let mut flipped = sealed.clone();
        flipped[HEADER + 2] ^= 1;
        assert!(open(&flipped).is_err());
        assert!(open(b"AVC1").err().unwrap_or_default().contains("shorter"));
        let mut other = sealed;
        other[0] = b'X';
        assert!(open(&other).err().unwrap_or_default().contains("magic"));
    }
}
