"""Shared set-up of pfc's Python tests.

Inputs are drawn fresh every run from a seed printed in the header;
PFC_TEST_SEED=<seed> repeats a run. Kernels are compiled into a private
cache (PFC_CACHE_DIR), removed at the end.
"""
import os
import random
import shutil
import tempfile
import zlib

# Before pfc is imported anywhere: the kernel cache is read at compile time.
_CACHE_DIR = tempfile.mkdtemp(prefix="pfc-python-tests-cache-")
os.environ["PFC_CACHE_DIR"] = _CACHE_DIR

import pytest  # noqa: E402
import torch  # noqa: E402

SEED = int(os.environ.get("PFC_TEST_SEED", random.SystemRandom().randrange(2**31)))


def pytest_report_header(config):
    return f"PFC_TEST_SEED={SEED} (set PFC_TEST_SEED to repeat), PFC_CACHE_DIR={_CACHE_DIR}"


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    # Also under -q, which hides the header.
    terminalreporter.write_line(f"pfc tests: PFC_TEST_SEED={SEED}")


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_CACHE_DIR, ignore_errors=True)


@pytest.fixture
def seed(request):
    """A seed per test: the run's seed mixed with the test's name."""
    return (SEED + zlib.crc32(request.node.nodeid.encode())) % 2**31


@pytest.fixture
def gen(seed):
    g = torch.Generator().manual_seed(seed)
    return g


@pytest.fixture(scope="session")
def pfc_tool():
    tool = os.environ.get("PFC_TOOL") or os.path.join(
        os.path.dirname(__file__), "..", "..", "build", "bin", "pfc")
    tool = os.path.abspath(tool)
    if not os.access(tool, os.X_OK):
        pytest.skip(f"no pfc executable at {tool} (set PFC_TOOL)")
    return tool
