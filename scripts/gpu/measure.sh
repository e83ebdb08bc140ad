#!/usr/bin/env bash
# scripts/gpu/measure.sh [--deadline SECONDS] [--out DIR]: the second half of the GPU measurement (issue 26),
# run on the GPU machine after `tar -C / -xJf mvg-gpu.tar.xz` (scripts/gpu/pack.sh made it). Within the
# deadline (default 480 s; each step gets what is left, and a step that would start with under 20 s left
# is skipped and named), in this order:
#   1. the GPU, driver and commit;
#   2. every GPU test suite (test_cuda_device and test_cuda_device_<area>), each a Catch2 binary with a
#      JUnit report: cases passed/failed, or the signal that killed it;
#   3. bench_model_cuda: tiny and base, inference and training step, MIM and AR, batch 1 and 8, fp32/tf32/bf16;
#   4. PyTorch on the same cases (bench/gpu_peer.py: fp32 with TF32 off, tf32, bf16 autocast + SDPA);
#   5. one table (bench/gpu_table.py) on stdout and in DIR/table.md.
# Everything lands in DIR (default $OUT when the device tool sets it, else /tmp/mvg-gpu) and in one
# archive of it, DIR/results.tar.gz. Exit status 0 when every suite passed.
set -uo pipefail
src=/opt/mvgsrc
deadline=480
out=${OUT:-/tmp/mvg-gpu}
while [ $# -gt 0 ]; do
  case $1 in
    --deadline) deadline=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "measure: unknown argument $1 (--deadline SECONDS, --out DIR)" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
start=$(date +%s)
left() { echo $(( deadline - ($(date +%s) - start) )); }
log() { echo "$*" | tee -a "$out/steps.log"; }

# cuBLAS comes from the machine: the system's, the toolkit's, or PyTorch's wheel.
cublas=$(ldconfig -p 2>/dev/null | awk '/libcublas\.so/{print $NF; exit}')
[ -n "$cublas" ] || cublas=$(ls /usr/local/cuda*/targets/x86_64-linux/lib/libcublas.so* /usr/local/cuda*/lib64/libcublas.so* 2>/dev/null | head -1)
[ -n "$cublas" ] || cublas=$(python3 -c 'import nvidia.cublas, os; print(os.path.join(list(nvidia.cublas.__path__)[0], "lib", "x"))' 2>/dev/null)
export LD_LIBRARY_PATH=/opt/mvglib:$(dirname "${cublas:-/nonexistent/x}")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}

{
  echo "commit: $(cat "$src/COMMIT" 2>/dev/null || echo unknown)"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | sed 's/^/gpu: /'
  echo "cuda runtime (nvidia-smi): $(nvidia-smi 2>/dev/null | sed -n 's/.*CUDA Version: \([0-9.]*\).*/\1/p')"
  echo "torch: $(python3 -c 'import torch; print(torch.__version__, torch.version.cuda)' 2>/dev/null || echo none)"
  echo "cublas: ${cublas:-not found}"
  echo "date: $(date -u +%FT%TZ)"
} | tee "$out/machine.txt"

cd "$src" || exit 1
status=0
for t in test_cuda_device test_cuda_device_core test_cuda_device_autograd test_cuda_device_ops \
         test_cuda_device_nn test_cuda_device_optim test_cuda_device_io; do
  budget=$(left)
  if [ "$budget" -lt 20 ]; then log "suite $t: skipped (deadline)"; status=1; continue; fi
  timeout "$budget" "build-gpu/tests/cuda/$t" -r junit -o "$out/$t.xml" > "$out/$t.log" 2>&1
  rc=$?
  [ $rc -eq 0 ] || status=1
  log "suite $t: exit $rc"
done

budget=$(left)
if [ "$budget" -ge 20 ]; then
  timeout $(( budget * 2 / 3 )) build-gpu/bench/bench_model_cuda --benchmark_format=json --benchmark_out="$out/mvg_bench.json" \
    --benchmark_out_format=json --benchmark_repetitions=3 --benchmark_min_time=0.2 --benchmark_report_aggregates_only=true \
    > "$out/bench.log" 2>&1
  log "bench_model_cuda: exit $?"
else
  log "bench_model_cuda: skipped (deadline)"
fi

budget=$(left)
if [ "$budget" -ge 20 ]; then
  timeout $(( budget - 10 )) python3 bench/gpu_peer.py --presets tiny,base --modes fp32,tf32,bf16sdpa --batches 1,8 \
    > "$out/torch.jsonl" 2> "$out/torch.log"
  log "gpu_peer: exit $?"
else
  log "gpu_peer: skipped (deadline)"
fi

python3 bench/gpu_table.py "$out" | tee "$out/table.md"
log "measure: $(( $(date +%s) - start )) s of $deadline"
tar -C "$out" --exclude='results.tar.gz*' -czf "$out/results.tar.gz.tmp" . 2>/dev/null && mv "$out/results.tar.gz.tmp" "$out/results.tar.gz"
exit $status
