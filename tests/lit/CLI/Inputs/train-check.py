"""Checks on what `pfc train` writes, standard library only.

  train-check.py loss METRICS.csv FIRST LAST
      fails unless the first epoch's mean train loss is above FIRST and the
      last epoch's below LAST; prints the epochs and both losses
  train-check.py same-rows A.csv B.csv
      fails unless both have the same header and rows, every column but the
      timings (seconds, examples_per_second); prints how many rows match
  train-check.py svg FILE.svg
      fails unless FILE is well-formed SVG with two panels' curves; prints
      the number of curves and markers
  train-check.py json SUMMARY.json KEY...
      prints KEY=value for each KEY of a --json summary
"""
import csv
import json
import sys
import xml.etree.ElementTree as ET

TIMINGS = {"seconds", "examples_per_second"}


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def main(argv):
    command = argv[1]
    if command == "loss":
        epochs = rows(argv[2])
        first, last = float(epochs[0]["train_loss"]), float(epochs[-1]["train_loss"])
        print("epochs %d, first train loss above %s: %s, last below %s: %s" % (
            len(epochs), argv[3], first > float(argv[3]), argv[4],
            last < float(argv[4])))
        return 0 if first > float(argv[3]) and last < float(argv[4]) else 1
    if command == "same-rows":
        a, b = rows(argv[2]), rows(argv[3])
        strip = lambda r: {k: v for k, v in r.items() if k not in TIMINGS}
        if [strip(r) for r in a] != [strip(r) for r in b]:
            print("rows differ:\n%s\n%s" % (a, b))
            return 1
        print("rows match: %d" % len(a))
        return 0
    if command == "svg":
        root = ET.parse(argv[2]).getroot()
        ns = "{http://www.w3.org/2000/svg}"
        assert root.tag == ns + "svg", root.tag
        paths = [p for p in root.iter(ns + "path") if p.get("stroke-width") == "2"]
        circles = list(root.iter(ns + "circle"))
        print("svg: %d curves, %d markers" % (len(paths), len(circles)))
        return 0
    if command == "json":
        summary = json.load(open(argv[2]))
        for key in argv[3:]:
            print("%s=%s" % (key, summary[key]))
        return 0
    print("unknown command %s" % command)
    return 2


sys.exit(main(sys.argv))
