"""bench/python/bench_torch.py --quick runs to the end: every contender on
one layer, PixelflyLinear checked against the masked-dense reference (the
bench exits 1 on a mismatch), pfc bench beside it, the Fashion-MNIST nets."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_torch_quick(pfc_tool):
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "python" / "bench_torch.py"), "--quick",
         "--pfc", pfc_tool],
        capture_output=True, text=True, timeout=300, env=dict(os.environ))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "check vs PixelflyLinear: ok" in run.stdout
    assert "PixelflyLinear" in run.stdout and "nn.Linear" in run.stdout
