#!/usr/bin/env bash
# Runs pfc's fuzzers (a clang build: build/bin/pfc-*-fuzzer) for SECONDS each,
# two at a time at the lowest priority, and merges what they find into the
# kept corpora (tests/fuzz/corpus/<name>, replayed by ctest).
# Usage: scripts/fuzz.sh [SECONDS] [NAME...]   (default 600 s, every fuzzer)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${PFC_BUILD_DIR:-$root/build}
seconds=${1:-600}
shift || true
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(spec npy safetensors idx json cache-entry checkpoint)
work=$(mktemp -d /tmp/pfc-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT

run_one() {
  local name=$1 corpus=$root/tests/fuzz/corpus/$1
  mkdir -p "$work/$name" "$work/$name.artifacts"
  cp -r "$corpus/." "$work/$name/"
  # Inputs larger than the kept seeds find nothing more and run slower.
  TMPDIR=$work nice -n 19 "$build/bin/pfc-$name-fuzzer" \
    -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$work/$name.artifacts/" \
    "$work/$name" > "$work/$name.log" 2>&1 || true
  # Keep a minimal set that covers what the run reached.
  nice -n 19 "$build/bin/pfc-$name-fuzzer" -merge=1 "$corpus" "$work/$name" \
    > "$work/$name.merge.log" 2>&1 || true
  cp "$work/$name.artifacts/"* "$corpus/" 2>/dev/null || true
  echo "== $name: $(grep -E '^#[0-9]+.*DONE' "$work/$name.log" | tail -1)"
  grep -E 'stat::number_of_executed_units|stat::peak_rss_mb|ERROR|SUMMARY' \
    "$work/$name.log" || true
  echo "   artifacts: $(ls "$work/$name.artifacts" | wc -l)"
}

for ((i = 0; i < ${#names[@]}; i += 2)); do
  run_one "${names[i]}" &
  [ $((i + 1)) -lt ${#names[@]} ] && run_one "${names[i + 1]}" &
  wait
done
