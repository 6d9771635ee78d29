"""Describes the hottest loop of an x86-64 assembly file (AT&T syntax).

Usage: hot-loop.py FILE.s. A loop is the code from a label to a backward
jump to it; the hottest is the innermost loop whose FMAs accumulate into the
most registers (the register tile; LLVM may unroll a small remainder loop
into more FMAs on fewer accumulators). Prints its accumulator and FMA
counts, the widest register class the FMAs use, and how many of its
instructions touch the stack (spills and reloads); then how many innermost
loops with FMAs the file has (every kernel's, forward and backward) and how
many of them touch the stack.
"""
import re
import sys

lines = [l.split("#")[0].rstrip() for l in open(sys.argv[1])]
labels = {}
for i, line in enumerate(lines):
    m = re.match(r"^(\.?L\w+|\w+):", line)
    if m:
        labels[m.group(1)] = i

best = None
fma_loops = spilling = 0
for i, line in enumerate(lines):
    m = re.match(r"^\s+j\w+\s+(\.?L\w+)$", line)
    if not m or m.group(1) not in labels or labels[m.group(1)] >= i:
        continue
    body = lines[labels[m.group(1)]:i + 1]
    fmas = [l for l in body if re.search(r"\bvfmadd\w*ps\b", l)]
    # Innermost: no other backward jump inside the body.
    inner = not any(
        re.match(r"^\s+j\w+\s+(\.?L\w+)$", l) and
        labels.get(re.match(r"^\s+j\w+\s+(\.?L\w+)$", l).group(1), -1)
        >= labels[m.group(1)]
        for l in body[:-1])
    accumulators = {f.split(",")[-1].strip() for f in fmas}
    if inner and fmas:
        fma_loops += 1
        spilling += any("(%rsp)" in l or "(%rbp)" in l for l in body)
    if inner and (best is None or len(accumulators) > len(best[2])):
        best = (body, fmas, accumulators)

body, fmas, accumulators = best
width = ("zmm" if any("%zmm" in f for f in fmas) else
         "ymm" if any("%ymm" in f for f in fmas) else "xmm")
stack = [l for l in body if "(%rsp)" in l or "(%rbp)" in l]
print("hot loop: %d instructions, %d accumulators, %d FMAs on %s, "
      "%d stack accesses" %
      (len(body), len(accumulators), len(fmas), width, len(stack)))
print("%d innermost FMA loops, %d touching the stack" % (fma_loops, spilling))
