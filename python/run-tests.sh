#!/usr/bin/env bash
# Runs the Python package's tests (python/tests) with the repository's
# .venv, where scripts/build.sh installs the package; exits 77 (ctest:
# skipped) when it is not installed there. Arguments go to pytest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
py=.venv/bin/python
if [ ! -x "$py" ] || ! "$py" -c 'import pfc' 2>/dev/null; then
  echo "python tests skipped: pfc is not installed in .venv (scripts/setup.sh, then scripts/build.sh)"
  exit 77
fi
exec "$py" -m pytest -q -p no:cacheprovider python/tests "$@"
