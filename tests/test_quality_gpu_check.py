"""benchmarks/gpu_check.py (issue 19 §4) on a machine without an NVIDIA GPU: it says so and exits 0, so a CI run
or a developer's laptop is not failed by a check that cannot apply there. (On a GPU machine it runs for real.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_skips_with_a_clear_message_without_a_gpu(photos_dir, tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU: run benchmarks/gpu_check.py itself")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TORCH_HOME": str(tmp_path)}
    res = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gpu_check.py"), "--photos", str(photos_dir)],
                         capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.startswith("SKIP: no NVIDIA GPU visible to torch")
    assert "needs a machine with an NVIDIA GPU" in res.stdout
