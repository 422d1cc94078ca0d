#!/usr/bin/env bash
# `make test`: every test of the workspace. Under cargo nextest (when installed) each test is a
# process of its own, TEST_THREADS at a time, the longest first (.config/nextest.toml); the
# doctests, which nextest cannot run, are compiled and run by `cargo test --doc` at the same time
# (most of their cost is rustdoc compiling them), and their result is printed after nextest's.
# Without nextest: `cargo test --workspace`, which runs them all.
set -uo pipefail
cd "$(dirname "$0")/.."
cargo=${CARGO:-cargo}
threads=${TEST_THREADS:-4}
if ! $cargo nextest --version >/dev/null 2>&1; then
    echo "cargo nextest is not installed: cargo test --workspace"
    exec $cargo test --workspace
fi
echo "cargo nextest: every test of every crate, $threads at a time; the doctests beside them"
# Built first, so the two cargo commands do not wait on each other's build lock mid-run.
$cargo build --quiet --workspace --lib --tests --bins || exit
doc_log=$(mktemp)
trap 'rm -f "$doc_log"' EXIT
$cargo test --quiet --workspace --doc >"$doc_log" 2>&1 &
doc=$!
$cargo nextest run --workspace --test-threads "$threads"
nextest_status=$?
wait "$doc"
doc_status=$?
if [ "$doc_status" -eq 0 ]; then
    passed=$(grep -Eo '[0-9]+ passed' "$doc_log" | awk '{n += $1} END {print n + 0}')
    echo "doctests: $passed passed"
else
    echo "doctests failed:"
    cat "$doc_log"
fi
[ "$nextest_status" -eq 0 ] && [ "$doc_status" -eq 0 ]
