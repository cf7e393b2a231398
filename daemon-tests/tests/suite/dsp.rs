//! The voice transform on the CPU backend: pitch lands where asked (220 Hz + 12 semitones =
//! 440 Hz within 10 cents), duration is kept, formant correction keeps the envelope, resampling
//! keeps frequencies, loudness normalisation hits its target.

use autovoice_daemon::dsp::{Dsp, estimate_f0, normalize_loudness, resample, to_vec};
use autovoice_daemon::engine::Cpu as Engine;

const SR: u32 = 22_050;

fn dsp() -> Dsp<Engine> {
    Dsp::new(Default::default(), 1024, 256)
}

fn tone(freqs: &[(f64, f64)], secs: f64, sr: u32) -> Vec<f32> {
    let n = (secs * f64::from(sr)) as usize;
    (0..n)
        .map(|i| {
            let t = i as f64 / f64::from(sr);
            freqs.iter().map(|(f, a)| a * (2.0 * std::f64::consts::PI * f * t).sin()).sum::<f64>() as f32
        })
        .collect()
}

/// Frequency of the strongest component between `lo` and `hi` Hz, by a fine DFT scan of the
/// Hann-windowed middle of the signal.
fn peak_hz(x: &[f32], sr: u32, lo: f64, hi: f64) -> f64 {
    let start = x.len() / 4;
    let seg = &x[start..start + x.len() / 2];
    let n = seg.len() as f64;
    let power = |f: f64| {
        let (mut re, mut im) = (0.0, 0.0);
        for (i, v) in seg.iter().enumerate() {
            let w = 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / n).cos();
            let a = 2.0 * std::f64::consts::PI * f * i as f64 / f64::from(sr);
            re += f64::from(*v) * w * a.cos();
            im += f64::from(*v) * w * a.sin();
        }
        re * re + im * im
    };
    let mut best = (lo, 0.0);
    let mut f = lo;
    while f <= hi {
        let p = power(f);
        if p > best.1 {
            best = (f, p);
        }
        f += 0.5;
    }
    // Refine around the coarse peak.
    let (mut b, mut bp) = best;
    let mut g = b - 0.5;
    while g <= b + 0.5 {
        let p = power(g);
        if p > bp {
            (b, bp) = (g, p);
        }
        g += 0.02;
    }
    b
}

fn cents(a: f64, b: f64) -> f64 {
    1200.0 * (a / b).log2()
}

#[test]
fn a_220_hz_tone_shifted_up_an_octave_is_440_hz_within_10_cents() {
    let d = dsp();
    let x = tone(&[(220.0, 0.5)], 2.0, SR);
    let ratio = 2f32.powf(12.0 / 12.0);
    let y = to_vec(d.pitch_shift(d.tensor(&x), ratio, ratio));
    assert_eq!(y.len(), x.len(), "duration is kept");
    let f = peak_hz(&y, SR, 300.0, 600.0);
    assert!(cents(f, 440.0).abs() < 10.0, "got {f} Hz ({:+.2} cents)", cents(f, 440.0));
    let rms = (y.iter().map(|v| v * v).sum::<f32>() / y.len() as f32).sqrt();
    assert!(rms > 0.2, "the shifted tone keeps its level (rms {rms})");
}

#[test]
fn arbitrary_shifts_land_within_10_cents() {
    let d = dsp();
    let x = tone(&[(200.0, 0.5)], 1.5, SR);
    for semitones in [-7.0f32, -3.0, 4.0, 5.0] {
        let ratio = 2f32.powf(semitones / 12.0);
        let y = to_vec(d.pitch_shift(d.tensor(&x), ratio, ratio));
        let want = 200.0 * f64::from(ratio);
        let f = peak_hz(&y, SR, want * 0.8, want * 1.2);
        assert!(cents(f, want).abs() < 10.0, "{semitones:+} st: got {f} Hz, want {want}");
    }
}

#[test]
fn formant_correction_keeps_the_fundamental_and_the_envelope() {
    let d = dsp();
    // A 150 Hz harmonic tone whose strongest harmonic (the "formant") is at 600 Hz.
    let harmonics: Vec<(f64, f64)> = (1..=20)
        .map(|h| {
            let f = 150.0 * f64::from(h);
            (f, 0.3 / (1.0 + ((f - 600.0) / 150.0).powi(2)))
        })
        .collect();
    let x = tone(&harmonics, 1.5, SR);
    let ratio = 2f32.powf(5.0 / 12.0);
    let y = to_vec(d.pitch_shift(d.tensor(&x), ratio, 1.0));
    let f0 = estimate_f0(&d, d.tensor(&y), SR).expect("voiced");
    assert!(cents(f64::from(f0), 150.0 * f64::from(ratio)).abs() < 20.0, "f0 {f0}");
    // The strongest component stays near 600 Hz instead of moving to 600 * ratio = 801 Hz.
    let peak = peak_hz(&y, SR, 300.0, 1200.0);
    assert!((peak - 600.0).abs() < 120.0, "formant peak moved to {peak} Hz");
}

#[test]
fn f0_estimation_and_resampling() {
    let d = dsp();
    let x = tone(&[(180.0, 0.4), (360.0, 0.2)], 1.0, SR);
    let f0 = estimate_f0(&d, d.tensor(&x), SR).expect("voiced");
    assert!(cents(f64::from(f0), 180.0).abs() < 10.0, "f0 {f0}");
    assert!(estimate_f0(&d, d.tensor(&vec![0.0; 22_050]), SR).is_none(), "silence is unvoiced");
    let x16 = tone(&[(440.0, 0.5)], 1.0, 16_000);
    let y = to_vec(resample(&d.device, d.tensor(&x16), SR as f32 / 16_000.0));
    assert_eq!(y.len(), 22_050);
    let f = peak_hz(&y, SR, 400.0, 480.0);
    assert!(cents(f, 440.0).abs() < 2.0, "resampled tone at {f} Hz");
}

#[test]
fn loudness_is_normalised_and_peaks_limited() {
    let d = dsp();
    let quiet = tone(&[(300.0, 0.01)], 0.5, SR);
    let y = to_vec(normalize_loudness(d.tensor(&quiet), 0.1, 0.99));
    let rms = (y.iter().map(|v| v * v).sum::<f32>() / y.len() as f32).sqrt();
    assert!((rms - 0.1).abs() < 1e-3, "rms {rms}");
    let loud = to_vec(normalize_loudness(d.tensor(&tone(&[(300.0, 0.9)], 0.5, SR)), 0.9, 0.5));
    assert!(loud.iter().all(|v| v.abs() <= 0.5 + 1e-5));
}
