#!/usr/bin/env bash
# What a package that depends only on the Trenza library pays before building anything: how many
# packages it resolves, how long that takes and how much it fetches. Copies the fixture consumer
# (Tests/Fixtures/Consumer) to a temporary folder, points it at a Trenza checkout (this one by
# default) and resolves it from nothing, without SwiftPM's shared cache, so that every run pays
# the full price. --default-traits measures a consumer that forgot `traits: []` and so also gets
# the command-line tools' dependencies. Usage: scripts/measure-consumer.sh [TRENZA_DIR] [--build] [--default-traits]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
trenza="$here"
build=0
default_traits=0
for argument in "$@"; do
  case "$argument" in
    --build) build=1 ;;
    --default-traits) default_traits=1 ;;
    *) trenza="$(cd "$argument" && pwd)" ;;
  esac
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -R "$here/Tests/Fixtures/Consumer" "$work/Consumer"
rm -rf "$work/Consumer/.build"
# The fixture names the repository relatively; the copy must name it absolutely.
sed -i "s|path: \"../../..\"|path: \"$trenza\"|" "$work/Consumer/Package.swift"
if ((default_traits)); then
  sed -i 's|, traits: \[\])|)|' "$work/Consumer/Package.swift"
fi
cd "$work/Consumer"

start=$(date +%s.%N)
swift package resolve --disable-dependency-cache >"$work/resolve.log" 2>&1 || { cat "$work/resolve.log"; exit 1; }
end=$(date +%s.%N)

packages=$(swift package show-dependencies --format flatlist 2>/dev/null | sort -u | wc -l)
fetched=$(du -sb .build/checkouts .build/repositories 2>/dev/null | awk '{s += $1} END {print s + 0}')
printf 'packages resolved (Trenza included): %s\n' "$packages"
swift package show-dependencies --format flatlist 2>/dev/null | sort -u | sed 's/^/  /'
printf 'resolve time: %.1f s\n' "$(echo "$end - $start" | bc)"
printf 'fetched (.build/checkouts + .build/repositories): %.1f MB\n' "$(echo "$fetched / 1000000" | bc -l)"

if ((build)); then
  start=$(date +%s.%N)
  swift build >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
  end=$(date +%s.%N)
  printf 'debug build time: %.1f s\n' "$(echo "$end - $start" | bc)"
  swift run --skip-build Consumer
fi
