#!/usr/bin/env bash
# `make fuzz`: every target of fuzz/ for FUZZ_SECONDS each (default 60), then one line per target
# (executions, coverage, crashes) and `fuzz: T targets, E executions, C crashes`. A unit that runs
# over 25 s counts as a crash (a hang); crashes land in fuzz/artifacts/<target>/. cargo-fuzz is
# installed when absent; without a nightly toolchain it says so and stops. FUZZ_TARGETS="a b" runs
# only those; FUZZ_JOBS=N runs N targets at a time.
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
targets="${FUZZ_TARGETS:-$(cargo +nightly fuzz list)}"
jobs_at_once="${FUZZ_JOBS:-1}"
echo "fuzz: building $(echo "$targets" | wc -w) targets (nightly, release, ASan)"
mkdir -p target
cargo +nightly fuzz build >target/fuzz-build.log 2>&1 ||
  { echo "fuzz: the targets do not build (fuzz/target/fuzz-build.log)"; exit 1; }

# One target for SECONDS_EACH; its line goes to target/fuzz-<target>.result.
run_one() {
  local target=$1 log="target/fuzz-$1.log"
  mkdir -p "corpus/$target" "artifacts/$target"
  # Seeds checked in (small) go after the corpus: libFuzzer writes new inputs to the first
  # directory and reads them all.
  local seeds=()
  [ -d "seeds/$target" ] && seeds=("seeds/$target")
  # A dictionary of the format's tokens (DER tags and OIDs, JSON and TOML keys, catalogue ids).
  local dict=()
  [ -f "dicts/$target.dict" ] && dict=("-dict=$PWD/dicts/$target.dict")
  # The `arbitrary` targets decode requests from the input: short inputs decode to nothing, so
  # they start at the full length instead of growing to it.
  local shape=()
  case "$target" in site_router | admin_api) shape=(-len_control=0 -max_len=4096) ;; esac
  local before after rc execs cov crashes
  before=$(find "artifacts/$target" -type f | wc -l)
  cargo +nightly fuzz run "$target" "corpus/$target" "${seeds[@]}" -- \
    -max_total_time="$SECONDS_EACH" -print_final_stats=1 -rss_limit_mb=2048 \
    -timeout=25 "${dict[@]}" "${shape[@]}" >"$log" 2>&1
  rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
  after=$(find "artifacts/$target" -type f | wc -l)
  crashes=$((after - before))
  [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ] && crashes=1
  echo "$target ${execs:-0} ${cov:-0} $crashes $log" >"target/fuzz-$target.result"
}

# FUZZ_JOBS targets at a time (default 1: libFuzzer keeps one core busy each).
for target in $targets; do
  rm -f "target/fuzz-$target.result"
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_at_once" ]; do wait -n; done
  run_one "$target" &
done
wait
total_targets=0 total_execs=0 total_crashes=0
for target in $targets; do
  read -r _ execs cov crashes log <"target/fuzz-$target.result" ||
    { execs=0 cov=0 crashes=1 log="target/fuzz-$target.log"; }
  echo "fuzz: $target: $execs executions, coverage $cov, $crashes crashes (log fuzz/$log)"
  total_targets=$((total_targets + 1))
  total_execs=$((total_execs + execs))
  total_crashes=$((total_crashes + crashes))
done
echo "fuzz: $total_targets targets, $total_execs executions, $total_crashes crashes"
[ "$total_crashes" -eq 0 ]
