"""Runs a command and fails if it takes longer than SECONDS.

Usage: time-limit.py SECONDS COMMAND [ARGS...]. The command's output passes
through; its exit code is this script's.
"""
import subprocess
import sys

try:
    sys.exit(subprocess.run(sys.argv[2:], timeout=float(sys.argv[1])).returncode)
except subprocess.TimeoutExpired:
    sys.exit("time-limit.py: %s took longer than %s s" % (sys.argv[2], sys.argv[1]))
