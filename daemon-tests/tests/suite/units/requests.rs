//! Unit tests of request parsing (`daemon/src/pipeline/request.rs`), kept in the one test binary.

use autovoice_daemon::config::Config;
use autovoice_daemon::pipeline::RequestError;
use autovoice_daemon::pipeline::request::*;

#[test]
fn synthesis_requests_are_checked_against_the_limits() {
    let cfg = Config::for_tests();
    assert_eq!(SynthesisRequest::parse(&cfg, b"  ").err(), Some(RequestError::EmptyBody));
    assert!(matches!(SynthesisRequest::parse(&cfg, b"{"), Err(RequestError::Json(_))));
    let long = format!(r#"{{"text":"{}","speaker_id":"alto"}}"#, "a".repeat(cfg.max_text_chars + 1));
    assert_eq!(
        SynthesisRequest::parse(&cfg, long.as_bytes()).err(),
        Some(RequestError::TextTooLong { chars: cfg.max_text_chars + 1, limit: cfg.max_text_chars })
    );
    let ok = SynthesisRequest::parse(&cfg, br#"{"text":"Hi.","speaker_id":"alto","format":"wav"}"#);
    assert_eq!(ok.map(|r| r.speaker_id).ok().as_deref(), Some("alto"));
    let spaced = SynthesisRequest::parse(&cfg, b"{\"text\":\"  Hi,\\n\\tthere.  \",\"speaker_id\":\"alto\"}");
    assert_eq!(spaced.map(|r| r.text).ok().as_deref(), Some("Hi, there."));
    let r = SynthesisRequest::parse(
        &cfg,
        br#"{"text":"Hi.","speaker_id":"alto","stream":true,"quality":"sync"}"#,
    )
    .expect("valid");
    assert!(r.stream && r.quality == QualityMode::Sync);
    let plain = SynthesisRequest::parse(&cfg, br#"{"text":"Hi.","speaker_id":"alto"}"#).expect("valid");
    assert!(!plain.stream && plain.quality == QualityMode::Sampled, "defaults: whole answer, sampled");
    let e = SynthesisRequest::parse(&cfg, br#"{"text":"Hi.","speaker_id":"alto","quality":"now"}"#)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("unknown variant `now`"), "{e}");
}

#[test]
fn query_parameters_are_named_in_errors() {
    let e = ConvertRequest::from_pairs([("pitch_shift", "x")]).err().map(|e| e.to_string());
    assert_eq!(e.as_deref(), Some("pitch_shift `x` is not a number"));
    assert!(ConvertRequest::from_pairs([]).is_err(), "a conversion must say what to do");
    let r = ConvertRequest::from_pairs([("pitch_shift", "2"), ("quality", "sync")]).expect("valid");
    assert_eq!(r.quality, QualityMode::Sync);
    let e =
        ConvertRequest::from_pairs([("pitch_shift", "2"), ("quality", "later")]).err().map(|e| e.to_string());
    assert_eq!(e.as_deref(), Some("quality `later` is unknown; expected sync or sampled"));
    let r = EnrollRequest::from_pairs([("id", "new-voice"), ("base_voice", "en-gb+f3")]).expect("valid");
    assert_eq!((r.base_voice.as_str(), r.formant_scale), ("en-gb+f3", 1.0));
    let e = EnrollRequest::from_pairs([("id", "Bad Id")]).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(e.contains("must be 1-32 characters"), "{e}");
}
