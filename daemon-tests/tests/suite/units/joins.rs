//! Unit tests of joins between streamed pieces (`daemon/src/pipeline/joins.rs`), kept in the one test binary.

use autovoice_daemon::pipeline::joins::*;

fn join(pieces: &[Vec<f32>]) -> Vec<f32> {
    let mut j = Joiner::new();
    let mut out: Vec<f32> = pieces.iter().flat_map(|p| j.push(p.clone())).collect();
    out.extend(j.finish());
    out
}

#[test]
fn joins_lose_exactly_the_overlaps_and_keep_a_constant_constant() {
    let pieces = vec![vec![0.3; 1000], vec![0.3; 500], vec![0.3; 700]];
    let out = join(&pieces);
    assert_eq!(out.len(), 2200 - 2 * FADE, "each join overlaps FADE samples");
    assert!(out.iter().all(|v| (v - 0.3).abs() < 1e-6), "a constant crosses its joins unchanged");
}

#[test]
fn a_level_step_becomes_a_ramp() {
    let out = join(&[vec![0.0; 400], vec![0.5; 400]]);
    let worst = out.windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0, f32::max);
    assert!(worst <= 0.5 / FADE as f32 + 1e-6, "a 0.5 step spread over the fade: {worst}");
}

#[test]
fn a_piece_shorter_than_the_fade_is_kept_and_the_old_tail_fades_out() {
    let out = join(&[vec![0.4; 300], vec![0.4; 10], vec![0.4; 300]]);
    assert!(out.len() > 600 - 2 * FADE - 1, "{}", out.len());
    assert!(out.iter().all(|v| v.is_finite() && v.abs() <= 0.4 + 1e-6));
}

#[test]
fn the_pause_is_taken_off_for_the_transform_and_given_back_after_it() {
    let mut s = vec![0.5; 100];
    s.extend(vec![0.0; 5000]);
    assert_eq!(take_pause(&mut s.clone(), false), 5000 - MARGIN, "a sentence keeps its whole pause");
    assert_eq!(take_pause(&mut s, true), CUT_PAUSE - MARGIN, "a cut piece keeps a short one");
    assert_eq!(s.len(), 100 + MARGIN, "the transform sees the sound and the margin");
    let mut short = vec![0.5; 100];
    short.extend(vec![0.0; 10]);
    assert_eq!(take_pause(&mut short, true), 0, "a pause shorter than the margin stays as it is");
    assert_eq!(short.len(), 110);
    let mut quiet = vec![0.0; 50];
    assert_eq!(take_pause(&mut quiet, false), 50 - MARGIN.min(50));
}
