#!/usr/bin/env bash
# Load test of `trenza serve` against the tutorial's own aiohttp server (§9.3), in one run, with wrk:
#   /         64 connections      — request handling cost (JSON, timing headers, logging)
#   /rapido   1,000 connections   — many waits at once (0.1–0.3 s each: the ideal is 5,000 req/s)
#   /lento    10,000 connections  — held open at once (2–4 s each: the ideal is 3,333 req/s); every
#             error is counted. (/rapido at 10,000 would ask for 50,000 req/s: a CPU test, not this.)
# plus `trenza serve --bare` (Hummingbird without middleware) as the ceilings: its hello route, and
# the same bytes as / (so the payload's own cost is apart from this server's middleware).
# The tutorial's server is extracted from the tutorial at run time (the python block after the
# "### 9.3" heading); it is skipped, with a note, when the tutorial is not at SEED_DIR.
# Usage: scripts/bench-server.sh [SEED_DIR]   (default ../shared/seed)
#   DURATION=10 (seconds per load on /)   WAIT_DURATION=20 (seconds per load on /rapido: each
#   connection completes only about 5 requests a second, and the one cut off at the end of the
#   window is lost, so a short window understates the rate)   CONNECTIONS_MAX=10000
# Installs what it needs when missing: wrk (apt-get), aiohttp (PyPI, into .build/server-bench-venv).
# Figures land in bench-results/server.json and bench-results/server.txt. Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
seed_dir=${1:-../shared/seed}
duration=${DURATION:-10}
wait_duration=${WAIT_DURATION:-20}
max_connections=${CONNECTIONS_MAX:-10000}
out=bench-results
mkdir -p "$out"

if ! command -v wrk >/dev/null; then
  echo "== installing wrk" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >&2
fi

# Every connection is a descriptor on both ends.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if (( $(ulimit -n) < max_connections + 100 )); then
  ulimit -n $((max_connections + 1000)) 2>/dev/null || {
    echo "cannot raise the open-file limit to $((max_connections + 1000)) (it is $(ulimit -n)); set CONNECTIONS_MAX lower" >&2
    exit 2
  }
fi

echo "== building trenza (release)" >&2
swift build -c release --product trenza >&2
trenza=.build/release/trenza

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

wait_for() { # url
  for _ in $(seq 1 200); do curl -s -o /dev/null "$1" && return 0; sleep 0.05; done
  echo "nothing answers at $1" >&2; return 1
}

# Sets started_port and started_pid (not through $(…): a subshell would lose the pid for cleanup).
start_trenza() { # name, extra flags...
  local name=$1; shift
  started_port=$(free_port)
  "$trenza" serve --port "$started_port" "$@" >/dev/null 2>"$out/server-$name.log" &
  started_pid=$!
  pids+=("$started_pid")
  wait_for "http://127.0.0.1:$started_port/"
}

results="$out/server-runs.txt"
: > "$results"

load() { # label, url, connections, threads, seconds
  local label=$1 url=$2 connections=$3 threads=${4:-1} duration=${5:-$duration}
  echo "== $label: wrk -t$threads -c$connections -d${duration}s $url" >&2
  wrk -t"$threads" -c"$connections" -d1s --timeout 10s "$url" >/dev/null 2>&1 || true   # warm-up
  local text
  text=$(wrk -t"$threads" -c"$connections" -d"${duration}s" --timeout 10s --latency "$url" 2>&1)
  echo "$text" | grep -E "Requests/sec|Socket errors|Non-2xx|requests in" >&2 || true
  printf '### %s\t%s\t%s\n%s\n' "$label" "$connections" "$url" "$text" >> "$results"
}

start_trenza default; trenza_port=$started_port
start_trenza quiet --log-level warning; trenza_quiet_port=$started_port; trenza_quiet_pid=$started_pid
start_trenza bare --bare; bare_port=$started_port

seed_port=""
seed_file=$(ls "$seed_dir"/*.md 2>/dev/null | head -n 1 || true)
if [[ -n "$seed_file" ]]; then
  venv=.build/server-bench-venv
  if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c "import aiohttp" 2>/dev/null; then
    echo "== installing aiohttp into $venv" >&2
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install -q aiohttp >&2
  fi
  python3 - "$seed_file" > "$out/seed-9.3.py" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
section = text[text.index("### 9.3"):]
print(re.search(r"```python\n(.*?)```", section, re.S).group(1))
PY
  seed_port=$(free_port)
  # The program as written, started through its own iniciar_servidor on a free port. It prints two
  # lines per request; stdout goes to a file, as trenza's log lines do.
  "$venv/bin/python" -c "import runpy, sys; runpy.run_path(sys.argv[1])['iniciar_servidor']('127.0.0.1', int(sys.argv[2]))" \
    "$out/seed-9.3.py" "$seed_port" >"$out/server-seed.log" 2>&1 &
  pids+=($!)
  wait_for "http://127.0.0.1:$seed_port/"
  echo "== the tutorial's §9.3 server (from $seed_file, aiohttp $("$venv/bin/python" -c 'import aiohttp; print(aiohttp.__version__)'))" >&2
else
  echo "== the tutorial is not at $seed_dir: skipping its §9.3 server as a peer" >&2
fi

load "bare Hummingbird /" "http://127.0.0.1:$bare_port/" 64
load "bare Hummingbird, same body as /" "http://127.0.0.1:$bare_port/index" 64
load "trenza /" "http://127.0.0.1:$trenza_port/" 64
load "trenza / (log-level warning)" "http://127.0.0.1:$trenza_quiet_port/" 64
[[ -n "$seed_port" ]] && load "seed aiohttp /" "http://127.0.0.1:$seed_port/" 64
load "trenza /rapido" "http://127.0.0.1:$trenza_port/rapido" 1000 1 "$wait_duration"
[[ -n "$seed_port" ]] && load "seed aiohttp /rapido" "http://127.0.0.1:$seed_port/rapido" 1000 1 "$wait_duration"
load "trenza /lento" "http://127.0.0.1:$trenza_quiet_port/lento" "$max_connections" 2 "$wait_duration"
[[ -n "$seed_port" ]] && load "seed aiohttp /lento" "http://127.0.0.1:$seed_port/lento" "$max_connections" 2 "$wait_duration"
peak_rss=$(awk '/VmHWM/ {print $2}' "/proc/$trenza_quiet_pid/status" 2>/dev/null || echo 0)

python3 - "$results" "$out" "$peak_rss" <<'PY' | tee "$out/server.txt"
import json, re, sys
runs_text, out, peak_rss_kib = open(sys.argv[1]).read(), sys.argv[2], int(sys.argv[3] or 0)
runs = []
for block in runs_text.split("### ")[1:]:
    header, _, body = block.partition("\n")
    label, connections, url = header.split("\t")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", body).group(1))
    total = int(re.search(r"(\d+) requests in", body).group(1))
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", body)
    socket_errors = sum(map(int, errors.groups())) if errors else 0
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", body)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", body)
    p99_ms = float(p99.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)] if p99 else None
    runs.append({"label": label, "connections": int(connections), "url": url, "requests_per_second": rate,
                 "requests": total, "socket_errors": socket_errors, "non_2xx": int(non2xx.group(1)) if non2xx else 0,
                 "p99_ms": p99_ms})
json.dump({"runs": runs, "trenza_quiet_peak_rss_kib": peak_rss_kib}, open(f"{out}/server.json", "w"), indent=2)

def find(label, connections):
    return next((r for r in runs if r["label"] == label and r["connections"] == connections), None)

print(f"{'load':36} {'conns':>6} {'req/s':>10} {'p99 ms':>9} {'errors':>7}")
for r in runs:
    p99 = f"{r['p99_ms']:.1f}" if r["p99_ms"] is not None else "-"
    print(f"{r['label']:36} {r['connections']:6} {r['requests_per_second']:10,.0f} {p99:>9} {r['socket_errors'] + r['non_2xx']:7}")
print()
bare, bare_same = find("bare Hummingbird /", 64), find("bare Hummingbird, same body as /", 64)
mine, quiet, seed = find("trenza /", 64), find("trenza / (log-level warning)", 64), find("seed aiohttp /", 64)
if seed:
    print(f"/ : trenza with --log-level warning (no request logs) {quiet['requests_per_second'] / seed['requests_per_second']:.2f}× "
          f"the tutorial's aiohttp server (goal ≥ 3.5×); logging every request {mine['requests_per_second'] / seed['requests_per_second']:.2f}×")
print(f"/ : trenza at {mine['requests_per_second'] / bare['requests_per_second']:.0%} of bare Hummingbird "
      f"({quiet['requests_per_second'] / bare['requests_per_second']:.0%} with --log-level warning; goal ≥ 90%)")
print(f"/ : trenza at {mine['requests_per_second'] / bare_same['requests_per_second']:.0%} of bare Hummingbird sending the same bytes "
      f"({quiet['requests_per_second'] / bare_same['requests_per_second']:.0%} with --log-level warning)")
if seed:
    print(f"/ : bare Hummingbird's hello route is {bare['requests_per_second'] / seed['requests_per_second']:.2f}× the tutorial's server")
rapido, seed_rapido = find("trenza /rapido", 1000), find("seed aiohttp /rapido", 1000)
print(f"/rapido at 1,000 connections: trenza {rapido['requests_per_second'] / 5000:.1%} of the ideal 5,000 req/s (goal ≥ 97%)"
      + (f"; the tutorial's server {seed_rapido['requests_per_second'] / 5000:.1%}" if seed_rapido else ""))
big = [r for r in runs if r["connections"] > 1000]
for r in big:
    ideal = r["connections"] / 3.0
    print(f"{r['label']} at {r['connections']:,} connections: {r['requests_per_second']:,.0f} req/s "
          f"({r['requests_per_second'] / ideal:.1%} of the ideal {ideal:,.0f}), "
          f"{r['socket_errors']} socket errors, {r['non_2xx']} non-2xx")
if peak_rss_kib:
    print(f"trenza serve (--log-level warning) peak RSS after all loads: {peak_rss_kib / 1024:.0f} MiB")
PY
