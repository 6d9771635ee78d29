"""The Python benchmarks' smoke tests: bench_torch.py --quick runs to the
end (every contender on one layer, PixelflyLinear checked against the
masked-dense reference, pfc bench beside it, the Fashion-MNIST nets), and
bench_attention.py --quick (pfc's attention against SDPA)."""
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


def test_bench_attention_quick():
    """bench/python/bench_attention.py --quick: pfc against SDPA on one case,
    after checking pfc's softmax limit against SDPA (exit 1 on a mismatch)."""
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "python" / "bench_attention.py"),
         "--quick"],
        capture_output=True, text=True, timeout=300, env=dict(os.environ))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "check vs SDPA (full support, m = 0, T = 256): ok" in run.stdout
    assert "SDPA fwd ms" in run.stdout
