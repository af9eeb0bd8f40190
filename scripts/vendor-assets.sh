#!/usr/bin/env bash
# Fetch the pinned front-end packages from npm into cairn/static/vendor/<pkg>-<version>/.
# The result is committed: npm is needed only to bump a version, never to run Cairn.
# Each package keeps its licence file (or its package.json, which names the licence, where
# the tarball ships none), and SHA256SUMS records every vendored file.
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=cairn/static/vendor
# package@version  files-to-keep (paths inside the npm tarball's package/ folder)
PACKAGES=(
  "htmx.org@2.0.11 dist/htmx.min.js LICENSE"
  "@tabler/core@1.6.1 dist/css/tabler.min.css dist/css/tabler.min.css.map dist/js/tabler.min.js dist/js/tabler.min.js.map package.json"
  "chart.js@4.6.1 dist/chart.umd.min.js dist/chart.umd.min.js.map LICENSE.md"
  "frappe-gantt@1.2.2 dist/frappe-gantt.umd.js dist/frappe-gantt.css license.txt"
)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
for entry in "${PACKAGES[@]}"; do
  read -r spec files <<<"$entry"
  name=${spec%@*}; version=${spec##*@}
  slug=${name#@}; folder="$DEST/${slug//\//-}-$version"
  rm -rf "$folder"; mkdir -p "$folder"
  tarball=$(cd "$work" && npm pack --silent "$spec")
  tar -xzf "$work/$tarball" -C "$work"
  for f in $files; do cp "$work/package/$f" "$folder/$(basename "$f")"; done
  rm -rf "$work/package" "$work/$tarball"
  echo "vendored $spec -> $folder"
done
(cd "$DEST" && find . -type f ! -name SHA256SUMS | sort | xargs sha256sum > SHA256SUMS)
echo "checksums in $DEST/SHA256SUMS"
