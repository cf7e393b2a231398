#!/usr/bin/env python3
"""Reference outputs of torchcrepe 0.0.24 and Resemblyzer 0.1.4 for the daemon's parity tests.

Runs the original PyTorch implementations (CPU) on a few test signals and writes, under
daemon-tests/tests/fixtures/models/:
  signals/*.wav         the 16 kHz, 16-bit inputs (both sides read these same samples)
  crepe-{tiny,full}.json  per signal: activations of a few frames, and the bins, pitch and
                        periodicity of every frame with weighted-argmax and Viterbi decoding
  speaker.json          per signal: the first mel frames, the partial count and the embedding

torchcrepe dithers bin centres with random noise (+-20 cents); it is switched off here so the
reference is repeatable (the daemon never dithers). Set up by scripts/model-reference-env.sh.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import scipy.io.wavfile
import scipy.signal
import torch

import torchcrepe
import torchcrepe.convert
from resemblyzer import VoiceEncoder, audio as rz_audio

OUT = os.path.join(os.path.dirname(__file__), "..", "daemon", "tests", "fixtures", "models")
SR = 16000
HOP = 400  # 25 ms: enough frames to exercise Viterbi, small fixtures
SAMPLE_FRAMES = 4  # frames whose full 360 activations are stored


def quantize(x):
    """Rounds to 16-bit PCM and back, so Rust and Python see bit-identical input."""
    return np.round(np.clip(x, -1, 1) * 32767).astype(np.int16)


def espeak(text, voice):
    with tempfile.NamedTemporaryFile(suffix=".wav") as f:
        subprocess.run(["espeak-ng", "-v", voice, "-w", f.name, text], check=True)
        rate, data = scipy.io.wavfile.read(f.name)
    x = data.astype(np.float64) / 32768.0
    # espeak-ng speaks at 22050 Hz; 16000/22050 = 320/441.
    return scipy.signal.resample_poly(x, 320, 441) * 0.9 / max(1e-9, np.abs(x).max())


def signals():
    t = np.arange(int(0.6 * SR)) / SR
    sweep_phase = 2 * np.pi * 110 * (np.exp(t * np.log(8) / t[-1]) - 1) * t[-1] / np.log(8)
    tone_t = np.arange(int(0.5 * SR)) / SR
    harmonic = sum(0.5 / k * np.sin(2 * np.pi * 196 * k * tone_t) for k in range(1, 6))
    return {
        "sweep": 0.5 * np.sin(sweep_phase),
        "harmonic": 0.6 * harmonic / np.abs(harmonic).max(),
        "speech-us": espeak("The quick brown fox jumps over the lazy dog.", "en-us"),
        "speech-gb": espeak("She sells sea shells by the sea shore.", "en-gb+f3"),
    }


def crepe_reference(capacity, inputs):
    torchcrepe.load.model("cpu", capacity)
    out = {"capacity": capacity, "hop": HOP, "signals": {}}
    for name, pcm in inputs.items():
        audio = torch.tensor(pcm.astype(np.float32) / 32768.0)[None, :]
        frames = next(torchcrepe.preprocess(audio, SR, HOP, None, "cpu", True))
        with torch.no_grad():
            act = torchcrepe.infer(frames, capacity).numpy()
        picks = np.linspace(0, len(act) - 1, SAMPLE_FRAMES).round().astype(int).tolist()
        entry = {
            "frames": len(act),
            "sample_frames": picks,
            "activations": [[float(v) for v in act[i]] for i in picks],
        }
        for key, decoder in (("weighted_argmax", torchcrepe.decode.weighted_argmax),
                             ("viterbi", torchcrepe.decode.viterbi)):
            probs = torch.tensor(act).T[None, :, :].clone()
            pitch, periodicity = torchcrepe.postprocess(probs, 50.0, torchcrepe.MAX_FMAX, decoder,
                                                        False, True)
            entry[key] = {
                "hz": [float(v) for v in pitch[0]],
                "periodicity": [float(v) for v in periodicity[0]],
            }
        out["signals"][name] = entry
    return out


def speaker_reference(inputs):
    enc = VoiceEncoder("cpu", verbose=False)
    out = {"signals": {}}
    for name, pcm in inputs.items():
        wav = pcm.astype(np.float32) / 32768.0
        embed, partials, _ = enc.embed_utterance(wav, return_partials=True)
        mel = rz_audio.wav_to_mel_spectrogram(wav)
        out["signals"][name] = {
            "mel_frames": [[float(v) for v in row] for row in mel[:3]],
            "partials": int(len(partials)),
            "embedding": [float(v) for v in embed],
        }
    return out


def main():
    # Repeatable reference: no dither (see the module docstring).
    torchcrepe.convert.dither = lambda cents: cents
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    os.makedirs(os.path.join(OUT, "signals"), exist_ok=True)
    inputs = {}
    for name, x in signals().items():
        pcm = quantize(x)
        scipy.io.wavfile.write(os.path.join(OUT, "signals", f"{name}.wav"), SR, pcm)
        inputs[name] = pcm
    for capacity in ("tiny", "full"):
        with open(os.path.join(OUT, f"crepe-{capacity}.json"), "w") as f:
            json.dump(crepe_reference(capacity, inputs), f, separators=(",", ":"))
    with open(os.path.join(OUT, "speaker.json"), "w") as f:
        json.dump(speaker_reference(inputs), f, separators=(",", ":"))
    print(f"wrote {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
