#!/usr/bin/env bash
# scripts/gpu/pack.sh [ARCHIVE [BINARY ...]]: the first half of the GPU measurement (issue 26), run on a machine
# without a GPU. Builds mvg's GPU targets (every GPU test suite, bench_model_cuda, bench_model, the
# example programs for mvg::cuda) and packs what a bare CUDA machine (driver, CUDA runtime, cuBLAS,
# PyTorch) lacks into one archive (default .gpu/mvg-gpu.tar.xz, git-ignored): the stripped binaries at
# the path compiled into them (/opt/mvgsrc: the tests read MVG_SOURCE_DIR), the files they read at run
# time (tests/reference, data/, examples/data, the benchmark scans), the PyTorch peer and the table
# script, this kit, the commit, and every shared library ldd names except glibc, libstdc++/libgcc and
# cuBLAS (into /opt/mvglib). The second half is scripts/gpu/measure.sh, run there.
# BINARY: paths under build-gpu to build and pack instead of the full list below (to try the kit quickly).
#   MVG_GPU_ARCH=90 (default; the H200 of issue 26) picks the CUDA architecture; MVG_GPU_JOBS the ninja jobs.
# A full build takes ~9-10 min of nvcc on 2 cores; a second run rebuilds only what changed.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
out=$(realpath -m "${1:-$repo/.gpu/mvg-gpu.tar.xz}")
src=/opt/mvgsrc
arch=${MVG_GPU_ARCH:-90}
data=$repo/.cache/data
[ -d "$data" ] || "$repo/scripts/fetch_data.sh"
command -v nvcc >/dev/null || [ -x /usr/local/cuda/bin/nvcc ] || { echo "pack: no nvcc (CUDA toolkit)" >&2; exit 1; }

# The working tree as it is (committed or not, ignored files left out), at the path the binaries will have.
mkdir -p "$src"
find "$src" -mindepth 1 -maxdepth 1 ! -name build-gpu -exec rm -rf {} +
git -C "$repo" ls-files -co --exclude-standard -z | (cd "$repo" && tar --null -T - -cf -) | tar -xf - -C "$src"
commit=$(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet HEAD || echo "+changes")
echo "$commit" > "$src/COMMIT"

cmake -G Ninja -S "$src" -B "$src/build-gpu" -DCMAKE_BUILD_TYPE=Release -DMVG_CUDA_RUN_TESTS=ON -DMVG_BENCH_CUDA=ON \
  -DMVG_EXAMPLES_BACKEND=cuda -DCMAKE_CUDA_ARCHITECTURES="$arch" -DMVG_NATIVE=OFF -DCMAKE_CXX_FLAGS=-march=x86-64-v3 >/dev/null
bins=(tests/cuda/test_cuda_device tests/cuda/test_cuda_device_core tests/cuda/test_cuda_device_autograd
      tests/cuda/test_cuda_device_ops tests/cuda/test_cuda_device_nn tests/cuda/test_cuda_device_optim
      tests/cuda/test_cuda_device_io bench/bench_model_cuda bench/bench_model examples/mvg_train examples/mvg_eval
      examples/mvg_infer)
[ $# -gt 1 ] && bins=("${@:2}")
targets=(); for b in "${bins[@]}"; do targets+=("$(basename "$b")"); done
ninja -C "$src/build-gpu" -j "${MVG_GPU_JOBS:-$(nproc)}" "${targets[@]}"

stage=$(mktemp -d); trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage$src/build-gpu" "$stage/opt/mvglib"
for b in "${bins[@]}"; do
  mkdir -p "$stage$src/build-gpu/$(dirname "$b")"
  cp "$src/build-gpu/$b" "$stage$src/build-gpu/$b"
  strip "$stage$src/build-gpu/$b" 2>/dev/null || true
done
(cd "$src" && tar cf - COMMIT tests/reference data examples/data scripts/gpu bench/gpu_peer.py bench/gpu_table.py \
   bench/compare_pytorch.py) | tar xf - -C "$stage$src"
grep -E '^file ' "$src/data/benchmark.manifest" | awk '{print $3}' | while read -r p; do
  mkdir -p "$stage$src/.cache/data/$(dirname "$p")"; cp "$data/$p" "$stage$src/.cache/data/$p"
done
for b in "${bins[@]}"; do ldd "$src/build-gpu/$b"; done | awk '/=> \//{print $3}' | sort -u |
  grep -vE '/(libc|libm|libdl|librt|libpthread|ld-linux[^/]*|libstdc\+\+|libgcc_s|libcublas|libcublasLt)\.so' |
  while read -r l; do cp -L "$l" "$stage/opt/mvglib/"; done
mkdir -p "$(dirname "$out")"
tar -C "$stage" -cJf "$out.tmp" opt && mv "$out.tmp" "$out"
echo "pack: $out ($(du -h "$out" | cut -f1)), commit $commit, sm_$arch"
echo "there: tar -C / -xJf $(basename "$out") && /opt/mvgsrc/scripts/gpu/measure.sh --deadline 480 --out \$OUT"
