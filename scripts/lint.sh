#!/usr/bin/env bash
# Checks the C and C++ files a change touches: clang-format-19 on the lines
# it changed (.clang-format), clang-tidy-19 on the changed sources
# (.clang-tidy; warnings in changed headers they include count too). Fails
# on any finding. The change is relative to BASE, by default the merge base
# with origin/main when there is one and HEAD is past it, else HEAD~1 (the
# last commit).
# clang-tidy reads build/compile_commands.json ($PFC_BUILD_DIR): build first.
# Only changed lines are formatted so that a change never has to reformat
# code it did not touch; sources are tidied whole, since the tree is clean.
#   scripts/lint.sh [BASE]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${PFC_BUILD_DIR:-$root/build}
cd "$root"

if [ $# -gt 0 ]; then
  base=$1
elif git rev-parse -q --verify origin/main >/dev/null &&
  [ "$(git merge-base HEAD origin/main)" != "$(git rev-parse HEAD)" ]; then
  base=$(git merge-base HEAD origin/main)
else
  # On main itself (or without a remote): the last commit.
  base=HEAD~1
fi
git rev-parse -q --verify "$base^{commit}" >/dev/null ||
  { echo "lint: error: no commit '$base' to compare with" >&2; exit 2; }

mapfile -t files < <(git diff --name-only --diff-filter=d "$base" -- \
  '*.c' '*.cpp' '*.h' '*.cuh' | grep -v '^tests/fuzz/corpus/' || true)
echo "lint: ${#files[@]} C/C++ files changed since $(git rev-parse --short "$base")"
[ ${#files[@]} -gt 0 ] || exit 0
status=0

# git clang-format prints the reformatting it would do, or "no modified
# files to format" / "clang-format did not modify any files".
format=$(git clang-format-19 --binary clang-format-19 --diff "$base" -- \
  "${files[@]}" || true)
if [ -n "$format" ] && ! grep -qE '^(no modified files to format|clang-format did not modify any files)$' <<<"$format"; then
  echo "$format"
  echo "lint: clang-format-19 would change the lines above (git clang-format-19 $base applies it)"
  status=1
fi

[ -f "$build/compile_commands.json" ] ||
  { echo "lint: error: no $build/compile_commands.json (build first)" >&2; exit 2; }
sources=() headers=()
for f in "${files[@]}"; do
  case $f in
    *.h) headers+=("$f") ;;
    *.c | *.cpp)
      # Only what the build compiles has its flags (a runtime-only build
      # lacks the compiler's sources).
      grep -qF "\"$root/$f\"" "$build/compile_commands.json" && sources+=("$f") ;;
  esac
done
filter='^$'
if [ ${#headers[@]} -gt 0 ]; then
  filter=$(printf '%s|' "${headers[@]}" | sed 's/[.]/[.]/g; s/|$//')
  filter=".*/($filter)\$"
fi
if [ ${#sources[@]} -gt 0 ]; then
  echo "lint: clang-tidy-19 on ${#sources[@]} sources"
  # Two at a time: each parses a good part of MLIR's headers.
  if ! printf '%s\0' "${sources[@]}" | xargs -0 -n 1 -P 2 \
      clang-tidy-19 -p "$build" --quiet --warnings-as-errors='*' \
        --header-filter="$filter" >"$build/lint-tidy.log" 2>&1; then
    grep -E 'warning:|error:' -A3 "$build/lint-tidy.log" || cat "$build/lint-tidy.log"
    echo "lint: clang-tidy-19 found the problems above"
    status=1
  fi
fi
[ $status -eq 0 ] && echo "lint: clean"
exit $status
