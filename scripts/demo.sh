#!/usr/bin/env bash
# make demo: start the mock issuance site, enroll with the client as a person would (reading the two
# mails from the Maildir), show the store, and show that the site is closed afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --quiet --bins
bin=${CARGO_TARGET_DIR:-target}/debug
run=${DEMO_DIR:-$(mktemp -d -t cert-demo-XXXXXX)}
mkdir -p "$run"
store="$run/store"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "starting mock-ca (127.0.0.1, ephemeral port)"
"$bin/mock-ca" serve --config fixtures/demo/site.toml --state-dir "$run/site" \
  >"$run/mock-ca.out" 2>"$run/mock-ca.log" &
site_pid=$!
trap 'kill "$site_pid" 2>/dev/null || true; wait "$site_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
  grep -qx ready "$run/mock-ca.out" 2>/dev/null && break
  kill -0 "$site_pid" 2>/dev/null || { cat "$run/mock-ca.log" >&2; exit 1; }
  sleep 0.1
done
grep -qx ready "$run/mock-ca.out" || { echo "mock-ca did not become ready" >&2; exit 1; }
sed 's/^/  /' "$run/mock-ca.out"
url=$(head -n 1 "$run/mock-ca.out")
confirm=$(sed -n 's/^confirmation site: //p' "$run/mock-ca.out")

say "the two mails in the Maildir"
for mail in "$run"/site/maildir/new/*; do
  printf '  %s\n' "$(basename "$mail")"
done

say "cert-client enroll --maildir (answers はい to each confirmation)"
"$bin/cert-client" --store "$store" enroll --maildir "$run/site/maildir" \
  --site-ca "$run/site/site-ca.pem" --yes

say "cert-client list"
"$bin/cert-client" --store "$store" list

say "cert-client confirm (the confirmation site's page over mTLS, with the certificate from the store)"
"$bin/cert-client" --store "$store" confirm --url "$confirm/confirm" --site-ca "$run/site/site-ca.pem"

say "a second enrollment with the same mails: the site is closed (SITE-ONE-TIME)"
set +e
"$bin/cert-client" --store "$store" enroll --maildir "$run/site/maildir" \
  --site-ca "$run/site/site-ca.pem" --yes
code=$?
set -e
if [ "$code" -ne 3 ]; then
  echo "expected exit code 3 (the site refused), got $code" >&2
  exit 1
fi
echo "  (exit code $code: the site refused, as the guide says it must)"

say "done: files are in $run"
