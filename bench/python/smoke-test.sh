#!/usr/bin/env bash
# ctest python-bench-torch: bench/python/bench_torch.py --quick with the
# repository's .venv (where scripts/build.sh installs pfc); exits 77 (ctest:
# skipped) when pfc is not installed there. Arguments go to the bench.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
py=.venv/bin/python
if [ ! -x "$py" ] || ! "$py" -c 'import pfc' 2>/dev/null; then
  echo "bench_torch smoke test skipped: pfc is not installed in .venv (scripts/setup.sh, then scripts/build.sh)"
  exit 77
fi
exec "$py" bench/python/bench_torch.py --quick "$@"
