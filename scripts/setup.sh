#!/usr/bin/env bash
# Installs every Debian package mvg needs (idempotent, quiet); `setup.sh fuzz` adds the fuzzing tools. Data fetching lives in fetch_data.sh.
set -euo pipefail
packages=(
  g++ cmake make ninja-build pkg-config
  libeigen3-dev xtensor-dev xtl-dev libstb-dev catch2 libbenchmark-dev
  nlohmann-json3-dev zlib1g-dev libomp-dev libgdcm-dev libcli11-dev libdnnl-dev
  python3 python3-torch python3-numpy python3-skimage
)
# `setup.sh fuzz`: also clang with libFuzzer and the sanitizer runtimes (scripts/fuzz.sh).
[ "${1:-}" = fuzz ] && packages+=(clang libclang-rt-dev)
# `setup.sh bench`: OpenBLAS, so that Debian's torch (bench/compare_pytorch.py) is an honest peer, not
# the reference BLAS.
[ "${1:-}" = bench ] && packages+=(libopenblas0-pthread)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update -qq >/dev/null
  $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
