"""Runs a command and succeeds only if it exits with the given code.

Usage: exit-code.py CODE COMMAND [ARGS...]. The command's output passes
through, so the test can pipe it to FileCheck. A signal (crash) never matches.
"""
import subprocess
import sys

if len(sys.argv) < 3:
    sys.exit("usage: exit-code.py CODE COMMAND [ARGS...]")
want = int(sys.argv[1])
got = subprocess.call(sys.argv[2:])
if got != want:
    sys.stderr.write("exit-code.py: %s exited with %d, expected %d\n"
                     % (sys.argv[2], got, want))
    sys.exit(1)
