#!/usr/bin/env bash
# The cluster engine on this machine, side by side in one run (release build, durable commits,
# real `trenza worker` processes on a PostgreSQL of the script's own):
#   1. tiny inputs (x → x²) per second: two workers, vs the processes engine and vs Celery with
#      a Redis broker (PyPI celery, Debian redis-server; skipped with a line when unavailable);
#   2. 48 photos (the §9.2 filters) over three workers vs the processes engine at equal width;
#   3. the time from a kill -9 of a worker to its chunk finishing elsewhere.
# Environment: TINY (inputs, default 1000000), CELERY_TASKS (default 20000), PHOTOS (48),
# SKIP_CELERY=1.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
tiny=${TINY:-1000000}
celery_tasks=${CELERY_TASKS:-20000}
photos=${PHOTOS:-48}

swift build -c release --product trenza >&2
swift build -c release --product trenza-queue-bench >&2
swift build -c release --product trenza-host-fixture >&2
bin=$root/.build/release

work=$(mktemp -d /tmp/trenza-bench-cluster-XXXXXX)
# The server runs as the postgres user under root: it must be able to reach its folder inside.
chmod 755 "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  TRENZA_PG_DIR=$work/pg scripts/postgres-local.sh stop >/dev/null 2>&1 || true
  [[ -n ${redis_pid:-} ]] && kill "$redis_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# A server with PostgreSQL's durable defaults (every commit waits for its flush).
export TRENZA_PG_DIR=$work/pg TRENZA_PG_PORT=$((20000 + RANDOM % 20000))
scripts/postgres-local.sh start >/dev/null
export TRENZA_QUEUE=$(scripts/postgres-local.sh url)
echo "queue: $TRENZA_QUEUE (durable commits)"

start_workers() {  # name, count, extra arguments…; logs in $work/NAME-1.log…
  local name=$1 count=$2; shift 2
  workers=()
  for i in $(seq "$count"); do
    "$bin/trenza" worker "$@" >"$work/$name-$i.log" 2>&1 &
    workers+=($!); pids+=($!)
  done
}
stop_workers() {
  for pid in "${workers[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${workers[@]}"; do wait "$pid" 2>/dev/null || true; done
}

echo
echo "== 1. tiny inputs (x → x²), $tiny inputs"
start_workers tiny 2 --serve probe -j 1 --quiet
"$bin/trenza-queue-bench" --queue "$TRENZA_QUEUE" --map "$tiny" --items 1000 --external | grep '^map:' | sed 's/^/cluster, 2 workers: /'
stop_workers
echo "processes engine, width 2: $("$bin/trenza-host-fixture" map "$tiny" processes | tail -n 1)"

if [[ ${SKIP_CELERY:-} == 1 ]]; then
  echo "celery: skipped (SKIP_CELERY=1)"
elif ! command -v redis-server >/dev/null && ! { apt-get install -y -qq redis-server >/dev/null 2>&1 && command -v redis-server >/dev/null; }; then
  echo "celery: skipped (redis-server is not installed and apt-get could not install it)"
else
  venv=$root/.build/celery-venv
  if [[ ! -x $venv/bin/celery ]]; then
    python3 -m venv "$venv" >&2 && "$venv/bin/pip" install --quiet --disable-pip-version-check "celery[redis]==5.*" >&2 || true
  fi
  if [[ ! -x $venv/bin/celery ]]; then
    echo "celery: skipped (pip could not install celery[redis])"
  else
    redis-server --port 0 --unixsocket "$work/redis.sock" --save '' --appendonly no --daemonize no >"$work/redis.log" 2>&1 &
    redis_pid=$!; pids+=($!)
    for _ in $(seq 50); do [[ -S $work/redis.sock ]] && break; sleep 0.1; done
    redis_url="redis+socket://$work/redis.sock"
    (cd scripts && "$venv/bin/python" celery_peer.py worker "$redis_url" >"$work/celery.log" 2>&1) &
    celery_pid=$!; pids+=($!)
    sleep 3
    (cd scripts && "$venv/bin/python" celery_peer.py submit "$redis_url" "$celery_tasks" tasks)
    (cd scripts && "$venv/bin/python" celery_peer.py submit "$redis_url" "$tiny" chunks)
    kill -TERM "$celery_pid" 2>/dev/null; wait "$celery_pid" 2>/dev/null || true
  fi
fi

echo
echo "== 2. $photos photos 1920×1080, blur,contrast,grayscale, width 3"
"$bin/trenza" images --generate "$photos" "$work/photos" --size 1920x1080 --quiet >/dev/null
"$bin/trenza" images "$work/photos" -o "$work/out-processes" --filters blur,contrast,grayscale --engine processes -j 3 --quiet \
  | sed 's/^/processes engine: /'
start_workers photos 3 --serve images -j 1 --quiet
sleep 1
"$bin/trenza" images "$work/photos" -o "$work/out-cluster" --filters blur,contrast,grayscale --engine cluster --quiet 2>/dev/null \
  | sed 's/^/cluster, 3 workers × 1: /'
stop_workers
if diff -rq "$work/out-processes" "$work/out-cluster" >/dev/null; then echo "identical outputs"; else echo "OUTPUTS DIFFER"; fi

echo
echo "== 3. kill -9 of a worker: until its chunk is done elsewhere (lease 10 s, the default)"
rm -rf "$work/out-kill"
start_workers kill 2 --serve images -j 1 --verbose
victim=${workers[0]} victim_log=$work/kill-1.log survivor_log=$work/kill-2.log
"$bin/trenza" images "$work/photos" -o "$work/out-kill" --filters blur,contrast,grayscale --engine cluster --quiet >"$work/kill.out" 2>&1 &
submitter=$!; pids+=($!)
for _ in $(seq 600); do grep -q 'claimed' "$victim_log" && break; sleep 0.05; done
sleep 0.2  # into the chunk's work
line=$(grep 'claimed' "$victim_log" | tail -n 1)
run_no=$(sed -E 's/^run ([0-9]+) chunk.*/\1/' <<<"$line")
seq_no=$(sed -E 's/^run [0-9]+ chunk ([0-9]+):.*/\1/' <<<"$line")
kill -KILL "$victim"
killed=$(date +%s.%N)
while ! grep -q "run $run_no chunk $seq_no: .* done" "$survivor_log"; do sleep 0.05; done
elsewhere=$(date +%s.%N)
wait "$submitter" || true
echo "chunk $seq_no of run $run_no: done elsewhere $(echo "$elsewhere - $killed" | bc) s after the kill"
tail -n 1 "$work/kill.out"
files=$(find "$work/out-kill" -maxdepth 1 -type f -name '*.jpg' | wc -l)
others=$(find "$work/out-kill" -mindepth 1 -maxdepth 1 ! -name '*.jpg' -printf '%f ')
echo "$files images written (of $photos), one file per input by name; other files left behind: ${others:-none}"
if diff -rq "$work/out-processes" "$work/out-kill" >/dev/null; then echo "identical to the processes engine's outputs"; else echo "OUTPUTS DIFFER from the processes engine's"; fi
stop_workers
