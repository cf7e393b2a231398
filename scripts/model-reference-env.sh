#!/usr/bin/env bash
# Builds .tools/refenv, the Python environment of tools/model_reference.py (the reference
# outputs of torchcrepe and Resemblyzer that the daemon's parity tests compare against) and of
# the torchcrepe benchmark in scripts/bench-models.sh. Not needed by the tests: the fixtures it
# writes are committed.
#   - PyTorch (CPU) from Debian: python3-torch 1.13 and python3-torchaudio (torchcrepe imports
#     it). PyPI's Linux torch wheels are CUDA builds that pull in gigabytes of NVIDIA libraries.
#   - torchcrepe 0.0.24 and Resemblyzer 0.1.4 from the wheels scripts/fetch-models.sh fetched,
#     librosa 0.10.2.post1 (pinned: its mel filters, padding and Viterbi define the reference)
#     and webrtcvad from PyPI, in a venv that sees Debian's torch.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/fetch-models.sh >/dev/null
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if ! /usr/bin/python3 -c "import torch, torchaudio, scipy" 2>/dev/null; then
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends \
    python3-torch python3-torchaudio python3-scipy python3-venv
fi
if [ ! -x .tools/refenv/bin/python ]; then
  /usr/bin/python3 -m venv --system-site-packages .tools/refenv
fi
.tools/refenv/bin/pip install -q "librosa==0.10.2.post1" "resampy==0.4.3" tqdm webrtcvad-wheels
.tools/refenv/bin/pip install -q --no-deps .tools/wheels/torchcrepe-0.0.24-*.whl .tools/wheels/[Rr]esemblyzer-0.1.4-*.whl
.tools/refenv/bin/python -c "import torch, torchcrepe, resemblyzer, librosa; print('refenv: torch', torch.__version__, 'librosa', librosa.__version__)"
