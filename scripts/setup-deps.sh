#!/usr/bin/env bash
# Installs Kiln's build and run dependencies from Debian's archive. Idempotent: when every package is
# already installed it prints nothing and touches nothing (no apt-get update, no network).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  llvm-19-dev            # ORC LLJIT, host CPU detection, IR builder
  libeigen3-dev          # reference kernels and GEMM
  libprotobuf-dev protobuf-compiler   # GraphDef (TF wire format)
  libgtest-dev           # the test suite
  zlib1g-dev             # gzip'd IDX files
  dataset-fashion-mnist  # the default training data
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "setup-deps: missing packages: ${missing[*]} (run as root to install them)" >&2
  exit 1
fi
echo "setup-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
