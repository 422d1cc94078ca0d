#!/usr/bin/env bash
# `make fuzz`: every target of fuzz/ for FUZZ_SECONDS each (default 60), then one line per target
# (executions, coverage, crashes) and `fuzz: T targets, E executions, C crashes`. cargo-fuzz is
# installed when absent; without a nightly toolchain it says so and stops.
set -u
cd "$(dirname "$0")/.."
SECONDS_EACH="${FUZZ_SECONDS:-60}"
if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz: no nightly toolchain (rustup toolchain install nightly): libFuzzer needs it; nothing run"
  exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: cargo-fuzz is absent: installing it (cargo install cargo-fuzz --locked)"
  cargo install cargo-fuzz --locked || { echo "fuzz: cargo-fuzz could not be installed"; exit 1; }
fi
cd fuzz
targets=$(cargo +nightly fuzz list)
echo "fuzz: building $(echo "$targets" | wc -w) targets (nightly, release, ASan)"
mkdir -p target
cargo +nightly fuzz build >target/fuzz-build.log 2>&1 ||
  { echo "fuzz: the targets do not build (fuzz/target/fuzz-build.log)"; exit 1; }
total_targets=0 total_execs=0 total_crashes=0
lines=()
for target in $targets; do
  log="target/fuzz-$target.log"
  mkdir -p target "corpus/$target" "artifacts/$target"
  # Seeds checked in (small) go first: libFuzzer reads every corpus directory given.
  seeds=()
  [ -d "seeds/$target" ] && seeds=("seeds/$target")
  before=$(find "artifacts/$target" -type f | wc -l)
  cargo +nightly fuzz run "$target" "corpus/$target" "${seeds[@]}" -- \
    -max_total_time="$SECONDS_EACH" -print_final_stats=1 -rss_limit_mb=2048 >"$log" 2>&1
  rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
  after=$(find "artifacts/$target" -type f | wc -l)
  crashes=$((after - before))
  [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ] && crashes=1
  lines+=("fuzz: $target: ${execs:-0} executions, coverage ${cov:-0}, $crashes crashes (log fuzz/$log)")
  total_targets=$((total_targets + 1))
  total_execs=$((total_execs + ${execs:-0}))
  total_crashes=$((total_crashes + crashes))
done
printf '%s\n' "${lines[@]}"
echo "fuzz: $total_targets targets, $total_execs executions, $total_crashes crashes"
[ "$total_crashes" -eq 0 ]
