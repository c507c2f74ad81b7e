#!/usr/bin/env bash
# `trenza serve` under slow and half-open clients, its defences on and off, side by side in one run:
#   1. /health latency (p50/p99, one request at a time on fresh connections) at rest, then while
#      SLOW_CLIENTS (2,000) slowloris clients send one header line a second;
#   2. HALF_OPEN (20,400) connections with a half-sent request held HOLD (25) seconds, from two
#      client processes: the server's resident memory before, at its peak, and settled 5 and 10 s
#      after they close, and how long the first /health after them takes.
# "on" is `trenza serve` with its defaults (header timeout 10 s, idle timeout 60 s, connection
# cap: the open-file limit less a tenth); "off" is the same binary with the timeouts at their
# largest (--header-timeout 3600 --idle-timeout 86400). BEFORE=/path/to/an/older/trenza adds that
# binary as a third server. Loopback only; every client is bounded in time.
# Usage: scripts/bench-hostile.sh    Figures in bench-results/hostile/ (runs.jsonl, summary.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
slow_clients=${SLOW_CLIENTS:-2000}
half_open=${HALF_OPEN:-20400}
hold=${HOLD:-25}
out=bench-results/hostile
mkdir -p "$out"
: > "$out/runs.jsonl"
ulimit -n "$(ulimit -Hn)"

echo "== building trenza (release)" >&2
swift build -c release --product trenza >&2
trenza=$PWD/.build/release/trenza
clients="python3 scripts/hostile_clients.py"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

start_server() { # name binary flags...
  local name=$1 binary=$2; shift 2
  local log=$out/server-$name.log
  "$binary" serve --port 0 --log-level error "$@" > "$log" 2>&1 &
  server_pid=$!
  pids+=("$server_pid")
  for _ in $(seq 100); do
    port=$(sed -n 's/^Listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$log")
    [[ -n "$port" ]] && return 0
    sleep 0.1
  done
  echo "the server did not start: $(cat "$log")" >&2
  exit 1
}

measure() { # name binary flags...
  local name=$1
  start_server "$@"
  echo "== $name (port $port, pid $server_pid): $(sed -n 2p "$out/server-$name.log")" >&2
  # Ordinary use first, so that "before" is a server that has worked, not a fresh one.
  $clients probe "$port" 3 0 /health > /dev/null
  local rest; rest=$($clients probe "$port" 5 0.02 /health)
  local before_kib; before_kib=$(rss_kib "$server_pid")
  echo "   /health at rest: $rest" >&2

  $clients slowloris "$port" "$slow_clients" 20 1 > "$out/slowloris-$name.json" &
  local attack=$!
  sleep 4
  local during; during=$($clients probe "$port" 12 0.02 /health)
  wait "$attack"
  echo "   /health during $slow_clients slowloris clients: $during; attackers: $(cat "$out/slowloris-$name.json")" >&2
  sleep 2

  local per=$(( half_open / 2 ))
  $clients halfopen "$port" "$per" "$hold" > "$out/halfopen-$name-1.json" &
  local h1=$!
  $clients halfopen "$port" "$(( half_open - per ))" "$hold" > "$out/halfopen-$name-2.json" &
  local h2=$!
  local peak_kib=$before_kib fds=0 most_fds=0
  while kill -0 "$h1" 2>/dev/null || kill -0 "$h2" 2>/dev/null; do
    local now; now=$(rss_kib "$server_pid"); (( now > peak_kib )) && peak_kib=$now
    fds=$(ls "/proc/$server_pid/fd" | wc -l); (( fds > most_fds )) && most_fds=$fds
    sleep 0.5
  done
  wait "$h1" "$h2" || true
  local first_health; first_health=$($clients probe "$port" 0.001 0 /health)
  sleep 5; local settled5_kib; settled5_kib=$(rss_kib "$server_pid")
  sleep 5; local settled10_kib; settled10_kib=$(rss_kib "$server_pid")
  echo "   $half_open half-open: $(cat "$out/halfopen-$name-1.json") $(cat "$out/halfopen-$name-2.json")" >&2
  echo "   most descriptors $most_fds; RSS before $((before_kib / 1024)) MiB, peak $((peak_kib / 1024)) MiB, settled $((settled5_kib / 1024)) / $((settled10_kib / 1024)) MiB; first /health after: $first_health" >&2
  python3 - "$name" "$rest" "$during" "$first_health" "$before_kib" "$peak_kib" "$settled5_kib" "$settled10_kib" "$most_fds" \
    "$out/slowloris-$name.json" "$out/halfopen-$name-1.json" "$out/halfopen-$name-2.json" >> "$out/runs.jsonl" <<'PY'
import json, sys
a = sys.argv
load = lambda path: json.load(open(path))
print(json.dumps({"server": a[1], "rest": json.loads(a[2]), "during_slowloris": json.loads(a[3]),
                  "first_health_after_half_open": json.loads(a[4]), "rss_before_kib": int(a[5]), "rss_peak_kib": int(a[6]),
                  "rss_settled_5s_kib": int(a[7]), "rss_settled_10s_kib": int(a[8]), "most_descriptors": int(a[9]),
                  "slowloris": load(a[10]), "half_open": [load(a[11]), load(a[12])]}))
PY
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
}

measure on "$trenza"
measure off "$trenza" --header-timeout 3600 --idle-timeout 86400
[[ -n "${BEFORE:-}" ]] && measure before "$BEFORE"

python3 - "$out/runs.jsonl" "$slow_clients" "$half_open" <<'PY' | tee "$out/summary.txt"
import json, sys
runs = [json.loads(line) for line in open(sys.argv[1])]
print(f"{'server':8} {'/health at rest p50/p99':>24} {'during slowloris p50/p99 (fail)':>32} {'RSS before/peak/settled 5 s/10 s':>34} {'fds':>6} {'first /health after':>20}")
for r in runs:
    rest, during, first = r["rest"], r["during_slowloris"], r["first_health_after_half_open"]
    mib = lambda kib: f"{kib / 1024:.0f}"
    print(f"{r['server']:8} {str(rest['p50_ms']) + ' / ' + str(rest['p99_ms']) + ' ms':>24} "
          f"{str(during['p50_ms']) + ' / ' + str(during['p99_ms']) + ' ms (' + str(during['failures']) + ')':>32} "
          f"{mib(r['rss_before_kib']) + ' / ' + mib(r['rss_peak_kib']) + ' / ' + mib(r['rss_settled_5s_kib']) + ' / ' + mib(r['rss_settled_10s_kib']) + ' MiB':>34} "
          f"{r['most_descriptors']:>6} {str(first['p50_ms']) + ' ms' if first['failures'] == 0 else 'failed':>20}")
for r in runs:
    settled = r["rss_settled_10s_kib"] / r["rss_before_kib"] - 1
    p99 = r["during_slowloris"]["p99_ms"]
    print(f"{r['server']}: p99 of /health during {sys.argv[2]} slowloris clients {p99} ms (goal < 50 ms: {'met' if p99 is not None and p99 < 50 else 'NOT met'}); "
          f"memory 10 s after {sys.argv[3]} half-open connections {settled:+.0%} of before (goal within 20%: {'met' if settled <= 0.2 else 'NOT met'})")
PY
