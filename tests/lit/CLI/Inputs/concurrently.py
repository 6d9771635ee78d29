"""Runs a command N times at once; fails unless every run exits with 0.

Usage: concurrently.py N COMMAND [ARGS...]; "{i}" in an argument becomes the
run's number.
"""
import subprocess
import sys

count, command = int(sys.argv[1]), sys.argv[2:]
runs = [subprocess.Popen([arg.replace("{i}", str(i)) for arg in command])
        for i in range(count)]
codes = [run.wait() for run in runs]
if any(codes):
    sys.exit("exit codes %s" % codes)
print("%d runs succeeded" % count)
