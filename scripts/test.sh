#!/usr/bin/env bash
# The test command of the README (and of .ci/run): install, fetch data, build, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
[ -x scripts/fetch_data.sh ] && scripts/fetch_data.sh
jobs=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DMVG_BUILD_TESTS=ON >/dev/null
cmake --build build -j"$jobs"
# Passive waiting: with ctest -j and OpenMP both using the cores, spinning threads would starve each other.
OMP_WAIT_POLICY=passive ctest --test-dir build --output-on-failure -j"$jobs" --timeout 900
