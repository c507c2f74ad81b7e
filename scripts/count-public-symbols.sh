#!/usr/bin/env bash
# Counts what `import Trenza` exposes: every public symbol of the module (types, members,
# extensions on other modules' types), from the symbol graph the compiler extracts from the
# built module. Synthesised members (Equatable's `!=` and the like) are left out: they come
# with a conformance, not with a decision to publish. Prints the total, the count per kind and
# the top-level names; `--list` prints every symbol. Usage: scripts/count-public-symbols.sh [--list]
set -euo pipefail
cd "$(dirname "$0")/.."
# The build prints dependencies' warnings; show them only if it fails.
swift build --target Trenza >/dev/null 2>&1 || swift build --target Trenza
bin="$(swift build --show-bin-path)"
# Swift modules sit in one folder; each C target's module map sits in its own build folder.
search=(-I "$bin/Modules")
for map in "$bin"/*.build/module.modulemap; do search+=(-I "$(dirname "$map")"); done
# Dependencies' C modules (swift-system's CSystem) ship their module maps in their sources.
for map in .build/checkouts/*/Sources/*/include/module.modulemap; do
  [[ -e "$map" ]] && search+=(-I "$(dirname "$map")")
done
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
swift-symbolgraph-extract -module-name Trenza "${search[@]}" -target "$(uname -m)-unknown-linux-gnu" \
  -minimum-access-level public -skip-synthesized-members -output-dir "$out" >/dev/null
python3 - "$out" "${1:-}" <<'PY'
import collections, json, pathlib, sys
folder, mode = pathlib.Path(sys.argv[1]), sys.argv[2]
symbols = []
for path in sorted(folder.glob("*.symbols.json")):
    graph = json.loads(path.read_text())
    for symbol in graph["symbols"]:
        if symbol["accessLevel"] in ("public", "open"):
            symbols.append(("/".join(symbol["pathComponents"]), symbol["kind"]["displayName"]))
kinds = collections.Counter(kind for _, kind in symbols)
print(f"public symbols in Trenza: {len(symbols)}")
for kind, count in kinds.most_common():
    print(f"  {count:4} {kind}")
top = sorted({path.split("/")[0] for path, _ in symbols})
print(f"top-level names ({len(top)}): {', '.join(top)}")
if mode == "--list":
    for path, kind in sorted(symbols):
        print(f"  {kind:24} {path}")
PY
