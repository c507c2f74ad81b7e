#!/usr/bin/env bash
# Builds the Trenza library's documentation (Sources/Trenza/Trenza.docc and the doc comments of
# its public API) with swift-docc-plugin, as a static website in .build/docs (or OUT_DIR), and
# fails on any warning: a broken symbol link or a malformed page is a build failure, not noise.
# Usage: scripts/build-docs.sh [OUT_DIR]
# Browse it with `python3 -m http.server -d .build/docs 8000` at
# http://127.0.0.1:8000/documentation/trenza/
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-.build/docs}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

status=0
swift package --allow-writing-to-directory "$out" \
  generate-documentation --target Trenza --warnings-as-errors \
  --transform-for-static-hosting --output-path "$out" 2>&1 | tee "$log" || status=$?

# docc's own --warnings-as-errors covers the catalogue and the doc comments; the build that
# extracts the symbol graph can warn too, and the plugin would still succeed.
if grep -E "warning:" "$log" >/dev/null; then
  echo "build-docs: warnings above; the documentation must build without any" >&2
  exit 1
fi
if ((status != 0)); then
  echo "build-docs: generate-documentation failed (exit $status)" >&2
  exit "$status"
fi
[[ -f "$out/documentation/trenza/index.html" ]] || { echo "build-docs: no documentation/trenza page in $out" >&2; exit 1; }
echo "Documentation in $out: python3 -m http.server -d '$out' 8000, then http://127.0.0.1:8000/documentation/trenza/"
