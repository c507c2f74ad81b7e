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
mkdir -p "$(dirname "$out")"
out="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"
# The plugin moves its archive into place: a previous build must not be in the way.
rm -rf "$out"
log="$(mktemp)"
trap 'rm -f "$log" "$log.warnings"' EXIT

status=0
# Not docc's --warnings-as-errors: with it, docc stops without printing what it found (SwiftPM
# 6.3 then crashes in the plugin runner). Every warning is printed, then counted here, which also
# catches the ones the compiler gives while extracting the symbol graph.
swift package --allow-writing-to-directory "$out" \
  generate-documentation --target Trenza \
  --transform-for-static-hosting --output-path "$out" 2>&1 | tee "$log" || status=$?

# SwiftPM's notes about files a dependency leaves undeclared (swift-distributed-tracing's
# CMakeLists.txt) are about that package, not these docs.
grep -E "warning:" "$log" | grep -vE "^warning: '[^']+': found [0-9]+ file\(s\) which are unhandled" >"$log.warnings" || true
if [[ -s "$log.warnings" ]]; then
  cat "$log.warnings" >&2
  echo "build-docs: warnings above; the documentation must build without any" >&2
  exit 1
fi
if ((status != 0)); then
  echo "build-docs: generate-documentation failed (exit $status)" >&2
  exit "$status"
fi
[[ -f "$out/documentation/trenza/index.html" ]] || { echo "build-docs: no documentation/trenza page in $out" >&2; exit 1; }
echo "Documentation in $out: python3 -m http.server -d '$out' 8000, then http://127.0.0.1:8000/documentation/trenza/"
