#!/usr/bin/env bash
# The main job of the README: install, fetch the bundled real data, build the examples and run them.
# Outputs land in ./out (override with MVG_OUT).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/fetch_data.sh
out=${MVG_OUT:-out}
mkdir -p "$out"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target mvg_quickstart mvg_inventory
./build/examples/mvg_quickstart --steps 20 --out "$out/quickstart.safetensors"
./build/examples/mvg_inventory --out "$out/inventory"
echo "main job done: checkpoint $out/quickstart.safetensors, benchmark contact sheets in $out/inventory/"
