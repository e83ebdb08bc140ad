#!/usr/bin/env bash
# Fuzzes every loader (tests/fuzz, docs/reliability.md) with clang's libFuzzer under ASan + UBSan:
# builds build-fuzz/, writes the seed corpus from the library's own writers and the real data, then
# runs each target for MVG_FUZZ_SECONDS (default 600) seconds, MVG_FUZZ_JOBS (default: cores) at a
# time. Logs, the grown corpora and any crashing inputs land in build-fuzz/fuzz-runs/; a crashing
# input, once fixed, belongs in tests/fuzz/regressions/<target>/ (the test suite replays it).
# Usage: scripts/fuzz.sh [target...]   (targets: safetensors metadata nifti inv3 png dicom)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh fuzz
scripts/fetch_data.sh
seconds=${MVG_FUZZ_SECONDS:-600}
jobs=${MVG_FUZZ_JOBS:-$(nproc)}
targets=("$@")
((${#targets[@]})) || targets=(safetensors metadata nifti inv3 png dicom)
b=build-fuzz
cmake -S . -B "$b" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ -DMVG_FUZZ=ON -DMVG_SANITIZE=ON \
      -DMVG_BUILD_EXAMPLES=OFF -DMVG_BUILD_BENCH=OFF -DMVG_NATIVE=OFF >/dev/null
cmake --build "$b" -j"$(nproc)" --target mvg_fuzz_seeds "${targets[@]/#/fuzz_}"
runs=$b/fuzz-runs
rm -rf "$runs/seeds"
"$b/tests/fuzz/mvg_fuzz_seeds" "$runs/seeds"
for t in "${targets[@]}"; do
  mkdir -p "$runs/corpus/$t" "$runs/crashes/$t"
  cp -n "$runs/seeds/$t/"* "$runs/corpus/$t/"
  [ -d "tests/fuzz/regressions/$t" ] && cp -n "tests/fuzz/regressions/$t/"* "$runs/corpus/$t/"
done
export OMP_NUM_THREADS=1 ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1
printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} sh -c \
  "'$b/tests/fuzz/fuzz_{}' -max_total_time=$seconds -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
     -artifact_prefix='$runs/crashes/{}/' '$runs/corpus/{}' > '$runs/{}.log' 2>&1; echo \"fuzz {}: exit \$?\""
echo
printf '%-12s %10s %8s %9s %s\n' target seconds execs corpus crashes
for t in "${targets[@]}"; do
  execs=$(grep -ao 'stat::number_of_executed_units: *[0-9]*' "$runs/$t.log" | grep -o '[0-9]*$' || echo '?')
  secs=$(grep -ao 'Done [0-9]* runs in [0-9]* second' "$runs/$t.log" | awk '{print $5}' || echo '?')
  printf '%-12s %10s %8s %9s %s\n' "$t" "${secs:-?}" "$execs" "$(ls "$runs/corpus/$t" | wc -l)" "$(ls "$runs/crashes/$t" | wc -l)"
done
