//! Fuzzing with fuzzkit of what the daemon reads from others: the decoder behind uploads (WAV,
//! FLAC, MP3 and Ogg seeds; lying chunk sizes, zero or huge channel counts and rates, odd bit depths, truncated data),
//! the legacy PyTorch weight reader (damaged pickles, huge declared sizes), and requests through
//! the router in process and WebSocket messages over a socket. Invariant: a clear error or a
//! result consistent with the input, never a panic, a hang or a 500, in bounded time.

use autovoice_daemon::models::torch_legacy;
use autovoice_daemon::wav::{DECODER_PANICS, MAX_DECODED_SECS, MAX_RATE, MIN_RATE, decode, encode};
use axum::body::Body;
use axum::http::Request;
use futures_util::{SinkExt, StreamExt};
use fuzzkit::{Target, fuzz};
use std::sync::Arc;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

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

/// `wav` encoded by `tool` (flac, lame or oggenc, installed by scripts/setup.sh).
fn encoded(wav: &[u8], tool: &str, args: &[&str], ext: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("dir");
    let (input, output) = (dir.path().join("in.wav"), dir.path().join(format!("out.{ext}")));
    std::fs::write(&input, wav).expect("write");
    let mut cmd = std::process::Command::new(tool);
    cmd.args(args);
    match tool {
        "lame" => cmd.arg(&input).arg(&output),
        _ => cmd.arg("-o").arg(&output).arg(&input),
    };
    let run =
        cmd.output().unwrap_or_else(|e| panic!("{tool} is needed (bash scripts/setup.sh installs it): {e}"));
    assert!(run.status.success(), "{tool}: {}", String::from_utf8_lossy(&run.stderr));
    std::fs::read(&output).expect("encoded")
}

#[test]
fn the_wav_decoder_never_panics_and_its_audio_matches_the_bytes() {
    let tone: Vec<f32> = (0..800).map(|i| (i as f32 * 0.05).sin() * 0.8).collect();
    let mut seeds = vec![
        encode(&tone, 16_000),
        encode(&tone[..3], 8_000),
        float_wav(2, 22_050, 200),
        float_wav(1, 48_000, 50),
    ];
    // The compressed formats uploads also come in, from the reference encoders.
    for (tool, args, ext) in [
        ("flac", &["-s", "-f"][..], "flac"),
        ("lame", &["--quiet"][..], "mp3"),
        ("oggenc", &["-Q"][..], "ogg"),
    ] {
        seeds.push(encoded(&encode(&tone, 16_000), tool, args, ext));
    }
    const TOKENS: &[&str] = &[
        "RIFF",
        "WAVE",
        "fmt ",
        "data",
        "LIST",
        "fact",
        "\u{1}\u{0}",
        "\u{3}\u{0}",
        "\u{fe}\u{ff}",
        "fLaC",
        "OggS",
        "\u{1}vorbis",
        "ID3",
        "\u{ff}\u{fb}",
        "Xing",
    ];
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
                let panics = DECODER_PANICS.load(std::sync::atomic::Ordering::Relaxed);
                let decoded = decode(input, lenient);
                // A panic caught inside the decoder is refused cleanly, but it is still a
                // panic in a third-party decoder that needs a check of its own.
                if DECODER_PANICS.load(std::sync::atomic::Ordering::Relaxed) != panics {
                    return Err("the decoder panicked (caught and refused)".to_owned());
                }
                if let Ok(audio) = decoded {
                    // A WAV's every sample comes from at least one byte of the file (8-bit mono
                    // is the densest PCM read); a compressed file stays under the decode cap.
                    // The rate is one the daemon accepts.
                    let most = if input.starts_with(b"RIFF") {
                        input.len()
                    } else {
                        audio.sample_rate as usize * MAX_DECODED_SECS as usize
                    };
                    if audio.samples.len() > most {
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

/// A small file in PyTorch's legacy `torch.save` layout: the magic number, protocol and system
/// info pickles, a state dict of a 2x3 float tensor `w` and a 3-element one `b`, the storage
/// keys, then the storages.
fn legacy_file(w_shape: &[u64]) -> Vec<u8> {
    fn text(out: &mut Vec<u8>, s: &str) {
        out.push(b'X');
        out.extend_from_slice(&(s.len() as u32).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
    }
    fn tensor(out: &mut Vec<u8>, ty: &str, key: &str, shape: &[u64]) {
        out.extend_from_slice(b"ctorch._utils\n_rebuild_tensor_v2\n(");
        out.push(b'(');
        text(out, "storage");
        out.extend_from_slice(format!("ctorch\n{ty}\n").as_bytes());
        text(out, key);
        text(out, "cpu");
        out.extend_from_slice(&[b'K', 6, b'N', b't', b'Q', b'K', 0, b'(']);
        // LONG1 with eight bytes: sizes beyond 32 bits, as a hostile file may claim.
        let int = |out: &mut Vec<u8>, v: u64| {
            out.extend_from_slice(&[0x8a, 8]);
            out.extend_from_slice(&v.to_le_bytes());
        };
        for d in shape {
            int(out, *d);
        }
        out.push(b't');
        // Row-major strides.
        out.push(b'(');
        for i in 0..shape.len() {
            int(out, shape[i + 1..].iter().fold(1u64, |a, d| a.wrapping_mul(*d)));
        }
        out.extend_from_slice(&[b't', 0x89, b'}', b't', b'R']);
    }
    let mut f = vec![0x80, 2, 0x8a, 10];
    f.extend_from_slice(&0x1950_a86a_20f9_469c_fc6c_u128.to_le_bytes()[..10]);
    f.extend_from_slice(&[b'.', 0x80, 2, b'M']);
    f.extend_from_slice(&1001u16.to_le_bytes());
    f.extend_from_slice(&[b'.', 0x80, 2, b'}', b'.', 0x80, 2, b'}', b'(']);
    text(&mut f, "w");
    tensor(&mut f, "FloatStorage", "0", w_shape);
    text(&mut f, "b");
    tensor(&mut f, "FloatStorage", "1", &[3]);
    f.extend_from_slice(&[b'u', b'.', 0x80, 2, b']', b'(']);
    text(&mut f, "0");
    text(&mut f, "1");
    f.extend_from_slice(b"e.");
    f.extend_from_slice(&6i64.to_le_bytes());
    for v in [0.5f32, -1.0, 2.0, 0.25, 3.5, -0.125] {
        f.extend_from_slice(&v.to_le_bytes());
    }
    f.extend_from_slice(&3i64.to_le_bytes());
    for v in [1.0f32, 2.0, 3.0] {
        f.extend_from_slice(&v.to_le_bytes());
    }
    f
}

#[test]
fn the_legacy_weight_reader_never_panics_nor_allocates_what_a_file_only_claims() {
    let seed = legacy_file(&[2, 3]);
    // The seed is what the reader is for, read back exactly; another element type is refused.
    let tensors = torch_legacy::read(&seed, None).expect("the seed reads");
    assert_eq!(tensors.get("w"), Some(&(vec![2, 3], vec![0.5, -1.0, 2.0, 0.25, 3.5, -0.125])));
    assert_eq!(tensors.get("b"), Some(&(vec![3], vec![1.0, 2.0, 3.0])));
    let mut ints = seed.clone();
    let at = ints.windows(12).rposition(|w| w == b"FloatStorage").expect("storage type");
    ints[at..at + 12].copy_from_slice(b"ShortStorage");
    let err = torch_legacy::read(&ints, None).err().unwrap_or_default();
    assert!(err.contains("only float32"), "{err}");
    // Dimensions whose product overflows are refused, not wrapped into a small tensor (found
    // by reading the size arithmetic: 3 x 2^32 x 2^32 wrapped to 0 on 64 bits).
    let err = torch_legacy::read(&legacy_file(&[1 << 32, 1 << 32, 3]), None).err().unwrap_or_default();
    assert!(err.contains("is too large"), "{err}");
    let err = torch_legacy::read(&legacy_file(&[1 << 20, 1 << 20]), None).err().unwrap_or_default();
    assert!(err.contains("runs past the end of its storage"), "{err}");
    const TOKENS: &[&str] = &[
        "ctorch._utils\n_rebuild_tensor_v2\n",
        "ctorch\nFloatStorage\n",
        "ccollections\nOrderedDict\n",
        "\u{80}\u{2}",
        ".",
        "(",
        "t",
        "Q",
        "R",
        "K\u{ff}",
        "J\u{ff}\u{ff}\u{ff}\u{7f}",
        "\u{ff}\u{ff}\u{ff}\u{ff}\u{ff}\u{ff}\u{ff}\u{7f}",
    ];
    fuzz(
        Target {
            name: "torch-legacy",
            seeds: vec![seed],
            dictionary: TOKENS,
            default_secs: 3,
            case_limit: Duration::from_secs(5),
        },
        |input| {
            let _ = torch_legacy::is_legacy(input);
            if let Ok(tensors) = torch_legacy::read(input, None) {
                let mut values = 0usize;
                for (name, (shape, v)) in &tensors {
                    if shape.iter().try_fold(1usize, |a, d| a.checked_mul(*d)) != Some(v.len()) {
                        return Err(format!("`{name}`: shape {shape:?} with {} values", v.len()));
                    }
                    values += v.len();
                }
                // Every value was read from four bytes of the file: nothing was made up.
                if values * 4 > input.len() {
                    return Err(format!("{values} values from {} bytes", input.len()));
                }
            }
            Ok(())
        },
    );
}

/// Turns fuzz bytes into a request: the first byte picks the route, a first line (up to a
/// newline) is the query or a header value, the rest is the body.
fn http_request(input: &[u8]) -> Option<Request<Body>> {
    let (&pick, rest) = input.split_first()?;
    let cut = rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
    let line = String::from_utf8_lossy(&rest[..cut]).into_owned();
    let body = rest.get(cut + 1..).unwrap_or_default().to_vec();
    let json = |b: axum::http::request::Builder| b.header("content-type", "application/json");
    let req = match pick % 6 {
        0 => json(Request::post("/synthesize")).body(Body::from(rest.to_vec())),
        1 => json(Request::post("/synthesize")).header("x-autovoice-quality", line).body(Body::from(body)),
        2 => Request::post(format!("/convert?{line}")).body(Body::from(body)),
        3 => Request::post(format!("/speakers?{line}"))
            .header("content-type", "audio/wav")
            .body(Body::from(body)),
        4 => Request::get(format!("/{line}")).body(Body::empty()),
        _ => Request::builder().method(line.as_str()).uri("/synthesize").body(Body::from(body)),
    };
    req.ok()
}

#[test]
fn requests_through_the_router_get_an_answer_and_never_a_500() {
    // Models not loaded: a valid synthesis is answered 503 at once, so the cases stay fast.
    let rt = Arc::new(tokio::runtime::Runtime::new().expect("runtime"));
    let state = crate::common::state_with(|_| {}, None, false);
    let seeds: Vec<Vec<u8>> = [
        &b"\x00{\"text\": \"Hello.\", \"speaker_id\": \"alto\", \"stream\": true}"[..],
        b"\x01sync\n{\"text\": \"Hi there.\", \"speaker_id\": \"bass\", \"quality\": \"sync\"}",
        b"\x02speaker_id=alto&pitch_shift=2&quality=sync\nRIFF\x24\x00\x00\x00WAVEfmt ",
        b"\x03id=new-voice&base_voice=en-gb&formant_scale=0.9\nRIFF",
        b"\x04speakers",
        b"\x05PUT\n{}",
    ]
    .iter()
    .map(|s| s.to_vec())
    .collect();
    const TOKENS: &[&str] = &[
        "\"text\"",
        "\"speaker_id\"",
        "\"stream\"",
        "\"quality\"",
        "\"format\"",
        "true",
        "null",
        "\"sync\"",
        "\"sampled\"",
        "{",
        "}",
        ":",
        ",",
        "\\u0000",
        "%00",
        "&",
        "=",
        "pitch_shift",
        "speaker_id",
        "1e308",
        "-0",
        "\u{feff}",
    ];
    fuzz(
        Target {
            name: "router",
            seeds,
            dictionary: TOKENS,
            default_secs: 3,
            case_limit: Duration::from_secs(10),
        },
        move |input| {
            let Some(req) = http_request(input) else { return Ok(()) };
            let (status, _, body) = rt.block_on(crate::common::send(&state, req));
            if status >= 500 && status != 503 {
                return Err(format!("HTTP {status}: {}", String::from_utf8_lossy(&body)));
            }
            if status >= 400 {
                let v: serde_json::Value = serde_json::from_slice(&body)
                    .map_err(|e| format!("HTTP {status} with a body that is not JSON ({e})"))?;
                if !v["error"]["type"].is_string() || !v["error"]["message"].is_string() {
                    return Err(format!("HTTP {status} without an error type and message: {v}"));
                }
            }
            Ok(())
        },
    );
}

#[test]
fn websocket_messages_each_get_one_answer_and_the_socket_survives() {
    let rt = Arc::new(tokio::runtime::Runtime::new().expect("runtime"));
    let state = crate::common::state_with(|_| {}, None, false);
    let ws = rt.block_on(async {
        let addr = crate::common::serve(state).await;
        let (ws, _) =
            tokio_tungstenite::connect_async(format!("ws://{addr}/ws/synthesize")).await.expect("connect");
        tokio::sync::Mutex::new(ws)
    });
    let seeds: Vec<Vec<u8>> = [
        &br#"{"text": "Hello.", "speaker_id": "alto"}"#[..],
        br#"{"cancel": true}"#,
        br#"{"cancel": false}"#,
        br#"{"text": "Hi", "speaker_id": "nobody", "quality": "sync"}"#,
        b"\xff\xfe binary",
    ]
    .iter()
    .map(|s| s.to_vec())
    .collect();
    const TOKENS: &[&str] =
        &["\"text\"", "\"speaker_id\"", "\"cancel\"", "true", "false", "{", "}", ":", ","];
    fuzz(
        Target {
            name: "websocket",
            seeds,
            dictionary: TOKENS,
            default_secs: 3,
            case_limit: Duration::from_secs(10),
        },
        move |input| {
            rt.block_on(async {
                let mut ws = ws.lock().await;
                let msg = match std::str::from_utf8(input) {
                    Ok(t) => Message::Text(t.to_owned().into()),
                    Err(_) => Message::Binary(input.to_vec().into()),
                };
                ws.send(msg).await.map_err(|e| format!("the socket did not take a message: {e}"))?;
                let answer = tokio::time::timeout(Duration::from_secs(5), ws.next())
                    .await
                    .map_err(|_| "no answer within 5 s".to_owned())?;
                match answer {
                    Some(Ok(Message::Text(t))) => {
                        let v: serde_json::Value = serde_json::from_str(&t)
                            .map_err(|e| format!("an answer that is not JSON: {e}"))?;
                        let known = ["error", "cancelled", "done"].iter().any(|k| v.get(k).is_some());
                        if known { Ok(()) } else { Err(format!("an unexpected answer: {v}")) }
                    }
                    other => Err(format!("the socket answered {other:?}")),
                }
            })
        },
    );
}
