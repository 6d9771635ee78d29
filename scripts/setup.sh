#!/usr/bin/env bash
# Installs the Debian packages pfc needs; idempotent and quiet when everything is present.
set -euo pipefail

packages=(
  cmake ninja-build ccache g++ clang libclang-rt-dev python3
  clang-format-19 clang-tidy-19
  llvm-19-dev libmlir-19-dev mlir-19-tools llvm-19-tools
  libfmt-dev libgtest-dev nlohmann-json3-dev
  libopenblas-dev
  zlib1g-dev dataset-fashion-mnist
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists only when the first attempt cannot find a package.
if ! $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
