"""Runs a command on a "full disk": files may grow to at most BYTES bytes.

Usage: file-size-limit.py BYTES COMMAND [ARGS...]. RLIMIT_FSIZE makes any
write past BYTES fail with EFBIG (SIGXFSZ is ignored, and that disposition
passes through exec), as a full file system fails with ENOSPC. Exits with
the command's exit code; a signal (crash, abort) becomes 128 + its number.
The command's stdout is discarded and its stderr relayed through a pipe:
lit may send either to a file, which the limit would cut short.
"""
import resource
import signal
import subprocess
import sys

limit = int(sys.argv[1])


def limit_file_size():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


child = subprocess.run(sys.argv[2:], preexec_fn=limit_file_size,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
sys.stderr.buffer.write(child.stderr)
code = child.returncode
sys.exit(128 - code if code < 0 else code)
