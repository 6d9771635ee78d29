"""The examples run as their READMEs say, and fashion_mnist.py trains as
`pfc train` does on the same spec (a fresh seed each run, a short run)."""
import csv
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("PFC_FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist"))


def metrics(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.skipif(not (DATA / "train-images-idx3-ubyte.gz").exists(),
                    reason=f"no Fashion-MNIST in {DATA} (Debian: dataset-fashion-mnist)")
def test_fashion_mnist_trains_as_pfc_train(pfc_tool, tmp_path, seed):
    spec = (ROOT / "specs" / "fashion-mnist-pixelfly.yaml").read_text()
    spec, count = re.subn(r"(\n\s+seed:) \d+", rf"\1 {seed}", spec)
    assert count == 1
    spec_path = tmp_path / "net.yaml"
    spec_path.write_text(spec)
    common = ["--epochs", "2", "--limit", "1024", "--threads", "1"]
    subprocess.run([pfc_tool, "train", str(spec_path), *common, "-o", str(tmp_path / "pfc")],
                   check=True, capture_output=True, timeout=600)
    torch_run = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "fashion_mnist.py"), "--spec", str(spec_path),
         *common, "--out", str(tmp_path / "torch")],
        capture_output=True, text=True, env=dict(os.environ, PFC_TOOL=pfc_tool), timeout=600)
    assert torch_run.returncode == 0, torch_run.stderr
    assert (tmp_path / "torch" / "model.safetensors").exists()

    # The same initial weights and batches: only rounding differs.
    want, got = metrics(tmp_path / "pfc" / "metrics.csv"), metrics(tmp_path / "torch" / "metrics.csv")
    assert len(want) == len(got) == 2
    for w, g in zip(want, got):
        assert float(g["train_loss"]) == pytest.approx(float(w["train_loss"]), rel=1e-3)
        assert float(g["test_loss"]) == pytest.approx(float(w["test_loss"]), rel=1e-3)
        assert abs(float(g["test_accuracy"]) - float(w["test_accuracy"])) <= 0.5
        assert float(g["lr"]) == pytest.approx(float(w["lr"]), rel=1e-6)


def test_ddp_example_under_torchrun(tmp_path):
    torchrun = Path(sys.executable).with_name("torchrun")
    if not torchrun.exists():
        pytest.skip(f"no {torchrun}")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tmp_path / "ddp.safetensors"
    run = subprocess.run(
        [str(torchrun), "--nproc-per-node", "2", "--master-addr", "127.0.0.1",
         "--master-port", str(port),
         str(ROOT / "examples" / "ddp_train.py"), "--steps", "3", "--width", "64",
         "--out", str(out)],
        capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "largest parameter difference between ranks: 0\n" in run.stdout
    # The plan was printed: both hidden layers sparse, the head dense.
    rows = {line.split()[0]: line for line in run.stdout.splitlines()
            if re.match(r"\d+ +\d+x\d+ ", line)}
    assert "S=" in rows["0"] and "S=" in rows["2"] and "dense" in rows["4"]
    assert out.exists()


def test_fashion_mnist_builtin_net_is_the_spec(pfc_tool):
    """The example's built-in copy of specs/fashion-mnist-pixelfly.yaml (used
    without --spec and without a pfc tool) is what pfc reads from the file."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("fashion_mnist",
                                                  ROOT / "examples" / "fashion_mnist.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    checked = example.read_net_spec(str(ROOT / "specs" / "fashion-mnist-pixelfly.yaml"),
                                    pfc_tool)

    def subset(small, big, where):
        if isinstance(small, dict):
            for key, value in small.items():
                assert key in big, f"{where}.{key} missing from pfc check --json"
                subset(value, big[key], f"{where}.{key}")
        elif isinstance(small, list):
            assert len(small) == len(big), where
            for i, (a, b) in enumerate(zip(small, big)):
                subset(a, b, f"{where}[{i}]")
        else:
            assert small == big, f"{where}: {small!r} != {big!r}"

    subset(example.PIXELFLY_NET, checked, "net")
