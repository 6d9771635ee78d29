"""Prints a CUDA launch plan (pfc-translate --pfc-to-cuda-plan) one item a
line, compact, for FileCheck: each entry's name, token counts, temporaries
and steps, in order. Split input files give one plan
after another."""
import json
import sys

text, at, entries = sys.stdin.read(), 0, []
decoder = json.JSONDecoder()
while text[at:].strip():
    at += len(text[at:]) - len(text[at:].lstrip())
    plan, at = decoder.raw_decode(text, at)
    entries += plan["entries"]
for entry in entries:
    print("entry", entry["name"])
    print("tokens", json.dumps(entry["token_counts"], sort_keys=True))
    print("args", json.dumps(entry["args"], sort_keys=True))
    for temp in entry["temps"]:
        print("temp", json.dumps(temp, sort_keys=True))
    for step in entry["steps"]:
        print("step", json.dumps(step, sort_keys=True))
