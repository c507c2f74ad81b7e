#!/usr/bin/env bash
# Runs python3 with Pillow (the version pinned in requirements-pillow.txt) available, creating a
# private virtual environment for it on first use. Used by the parity tests and benchmarks that
# compare Trenza's imaging with Pillow's, byte for byte.
# Usage: scripts/with-pillow.sh SCRIPT.py [ARGS...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=${TRENZA_PILLOW_VENV:-$here/../.build/pillow-venv}
requirements=$here/requirements-pillow.txt
stamp=$venv/.requirements
if [[ ! -x $venv/bin/python3 ]] || ! cmp -s "$requirements" "$stamp"; then
  command -v python3 >/dev/null || { echo "python3 is needed to compare with Pillow" >&2; exit 2; }
  mkdir -p "$(dirname "$venv")"
  # Test suites run in parallel: one creates the environment, the others wait for it.
  exec 9>"$venv.lock"
  flock 9
  if [[ ! -x $venv/bin/python3 ]] || ! cmp -s "$requirements" "$stamp"; then
    python3 -m venv "$venv" >&2
    "$venv/bin/python3" -m pip install --quiet --disable-pip-version-check -r "$requirements" >&2
    cp "$requirements" "$stamp"
  fi
  exec 9>&-
fi
exec "$venv/bin/python3" "$@"
