#!/usr/bin/env bash
# make demo-web: the whole flow in a browser, offline. Starts the mock site in demo mode (the demo
# application approved at start, its two mails in the mailbox page), prints where to begin, and
# serves until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --quiet -p mock-ca --bins
bin=${CARGO_TARGET_DIR:-target}/debug
run=${DEMO_DIR:-$(mktemp -d -t cert-demo-web-XXXXXX)}
mkdir -p "$run"

"$bin/mock-ca" serve --demo --config fixtures/demo/site.toml --state-dir "$run/site" \
  ${DEMO_PORT:+--port "$DEMO_PORT"} ${DEMO_CONFIRM_PORT:+--confirm-port "$DEMO_CONFIRM_PORT"} \
  >"$run/mock-ca.out" 2>"$run/mock-ca.log" &
site_pid=$!
stop() { kill "$site_pid" 2>/dev/null || true; wait "$site_pid" 2>/dev/null || true; }
trap stop EXIT
trap 'echo; echo "stopping"; exit 0' INT TERM
for _ in $(seq 1 300); do
  grep -qx ready "$run/mock-ca.out" 2>/dev/null && break
  kill -0 "$site_pid" 2>/dev/null || { cat "$run/mock-ca.log" >&2; exit 1; }
  sleep 0.1
done
grep -qx ready "$run/mock-ca.out" || { echo "mock-ca did not become ready" >&2; exit 1; }
url=$(head -n 1 "$run/mock-ca.out")
confirm=$(sed -n 's/^confirmation site: //p' "$run/mock-ca.out")

cat <<TEXT

  証明書発行サイト (デモ)      $url
  証明書確認サイト             $confirm

  1. Open the mailbox:         $url/mailbox
     (メールボックス: the two mails the site sent; the first holds the URL, the second the password)
  2. Follow the URL, log in with the password, press 発行, answer the three dialogs, choose a
     passphrase: the page makes the key and downloads your certificate as a PKCS#12 file.
  3. Import the file into the browser, then open the confirmation site from step 4.

  The site's TLS certificate is issued by a local trust anchor, $run/site/site-ca.pem.
  Trust it once so the browser does not warn, e.g. for Chromium on Linux:
    certutil -d sql:\$HOME/.pki/nssdb -A -t "C,," -n mock-ca-demo -i $run/site/site-ca.pem
  (or accept the browser's warning for 127.0.0.1 on both ports).

  Everything is in $run. Ctrl-C stops the site.
TEXT
wait "$site_pid"
