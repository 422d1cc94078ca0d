#!/usr/bin/env bash
# Re-vendors the JavaScript libraries the enrollment component (mock-ca/assets/component.js) loads,
# from the npm registry at the versions pinned below, and records them in
# mock-ca/assets/vendor/VENDOR.toml (name, version, licence, the registry tarball's integrity and
# the sha256 of each file). mock-ca embeds the files; `cargo test -p mock-ca` checks their sha256
# against the record. A fresh clone needs neither npm nor this script: the files are committed.
#
#   scripts/vendor-js.sh           fetch, copy the files, write VENDOR.toml
#   scripts/vendor-js.sh --check   fetch, and fail if a committed file differs from the registry's
#
# Needs npm (it runs `npm pack`, which checks the tarball against the registry's integrity) and
# sha256sum. Nothing is installed: the tarball is unpacked in a temporary directory.
set -euo pipefail
cd "$(dirname "$0")/.."

# package  version  file in the package  vendored as  licence (SPDX, from the package.json)
PACKAGES=(
  "node-forge 1.4.3 dist/forge.min.js forge.min.js BSD-3-Clause_OR_GPL-2.0"
)

vendor=mock-ca/assets/vendor
check=false
[ "${1:-}" = "--check" ] && check=true

work=$(mktemp -d -t vendor-js-XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$vendor"

record="$work/VENDOR.toml"
cat >"$record" <<'EOF'
# The JavaScript libraries vendored for mock-ca's enrollment component, written by
# scripts/vendor-js.sh (do not edit by hand). mock-ca serves each `file` at /assets/<file>;
# `cargo test -p mock-ca` checks each file's sha256 against this record.
EOF

status=0
for line in "${PACKAGES[@]}"; do
  read -r package version source file licence <<<"$line"
  licence=${licence//_/ }
  echo "vendor-js: $package@$version ($source)"
  (cd "$work" && npm pack --silent --json "$package@$version" >"pack-$package.json")
  tarball=$(cd "$work" && ls "$package"-"$version".tgz)
  integrity=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1]))[0].integrity)' "$work/pack-$package.json")
  mkdir -p "$work/$package"
  tar -xzf "$work/$tarball" -C "$work/$package"
  fresh="$work/$package/package/$source"
  sha=$(sha256sum "$fresh" | cut -d' ' -f1)
  licence_file="$package.LICENSE"
  if $check; then
    if ! cmp -s "$fresh" "$vendor/$file"; then
      echo "vendor-js: $vendor/$file differs from $package@$version's $source" >&2
      status=1
    fi
  else
    cp "$fresh" "$vendor/$file"
    cp "$work/$package/package/LICENSE" "$vendor/$licence_file"
  fi
  cat >>"$record" <<EOF

[[file]]
file = "$file"
package = "$package"
version = "$version"
source = "$source"
licence = "$licence"
licence_file = "$licence_file"
tarball_integrity = "$integrity"
sha256 = "$sha"
EOF
done

if $check; then
  if ! cmp -s "$record" "$vendor/VENDOR.toml"; then
    echo "vendor-js: $vendor/VENDOR.toml differs from what the registry gives:" >&2
    diff "$vendor/VENDOR.toml" "$record" >&2 || true
    status=1
  fi
  [ $status -eq 0 ] && echo "vendor-js: the vendored files are the registry's"
  exit $status
fi
cp "$record" "$vendor/VENDOR.toml"
echo "vendor-js: wrote $vendor/VENDOR.toml"
