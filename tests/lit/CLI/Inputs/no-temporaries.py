"""Fails if a directory holds a writer's temporary file (`*.tmp.*`)."""
import os
import sys

left = [n for n in os.listdir(sys.argv[1]) if ".tmp." in n]
if left:
    sys.exit("temporary files left behind: %s" % ", ".join(sorted(left)))
