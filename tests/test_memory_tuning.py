"""The run's memory settings (amirtui.core.memory) must not change what scoring computes.

On a CPU-only run the pipeline keeps triton (a GPU compiler pyiqa pulls in through torchvision) out of the process
and fixes glibc's mmap threshold; PIQE must still load and give the same score as in a process without the tuning.
Each side runs in its own interpreter, because both settings are process-wide.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = """
import json, sys
from amirtui.core import memory
applied = memory.tune("cpu") if sys.argv[1] == "tuned" else {}
import pyiqa, torch
from PIL import Image
import numpy as np
img = np.asarray(Image.open(sys.argv[2]).convert("RGB").resize((512, 341)), dtype=np.float32) / 255.0
x = torch.from_numpy(img).permute(2, 0, 1).unsqueeze(0)
score = float(pyiqa.create_metric("piqe", device="cpu")(x))
print(json.dumps({"applied": applied, "score": score, "triton": sys.modules.get("triton", "absent") is not None}))
"""


def _score(mode: str, photo: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-c", SCRIPT, mode, str(photo)], capture_output=True, text=True,
                         env=env, timeout=300, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_cpu_run_without_triton_scores_exactly_as_before(tmp_path):
    pytest.importorskip("pyiqa")
    photo = min((ROOT / "tests" / "data" / "photos" / "cameras").glob("*.[jJ][pP][gG]"))
    tuned, plain = _score("tuned", photo), _score("plain", photo)
    assert tuned["applied"]["no_triton"] and not tuned["triton"]  # the GPU compiler never loaded
    assert tuned["score"] == pytest.approx(plain["score"], abs=1e-4)
