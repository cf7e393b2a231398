#!/usr/bin/env python3
"""Throughput of the reference implementations on this machine's CPU, for docs/benchmarks.md:
CREPE tiny and full (torchcrepe 0.0.24, frames per second of the network forward pass on
normalised 1024-sample frames) and the Resemblyzer speaker encoder (partials per second, 160 mel
frames each). The same shapes as daemon-bench/benches/models.rs. Run by scripts/bench-models.sh in
.tools/refenv (scripts/model-reference-env.sh)."""
import json
import os
import sys
import time

import numpy as np
import torch

import torchcrepe
from resemblyzer import VoiceEncoder

FRAMES = {"tiny": 256, "full": 32}
PARTIALS = 8


def best_rate(fn, items, repeats=5):
    fn()  # warm-up
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return items / best


def main():
    threads = int(os.environ.get("BENCH_THREADS", os.cpu_count() or 1))
    torch.set_num_threads(threads)
    rng = np.random.default_rng(7)
    out = {"torch": torch.__version__, "threads": threads}
    for capacity, n in FRAMES.items():
        torchcrepe.load.model("cpu", capacity)
        frames = torch.tensor(rng.standard_normal((n, 1024)).astype(np.float32))
        with torch.no_grad():
            out[f"crepe_{capacity}_frames_per_s"] = best_rate(lambda: torchcrepe.infer(frames, capacity), n)
    enc = VoiceEncoder("cpu", verbose=False)
    mels = torch.tensor(np.abs(rng.standard_normal((PARTIALS, 160, 40))).astype(np.float32))
    with torch.no_grad():
        out["speaker_partials_per_s"] = best_rate(lambda: enc(mels), PARTIALS)
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
