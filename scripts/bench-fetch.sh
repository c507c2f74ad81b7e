#!/usr/bin/env bash
# Benchmark of `trenza fetch` against the tutorial's three §9.1 downloaders (threading + requests,
# multiprocessing.Pool + requests, asyncio + aiohttp), `curl --parallel` and `aria2c`, in one run,
# against one local `trenza serve`:
#   case A: 100 × 200 KB (/bytes) with 100 ms of added latency per response, at several widths;
#   case B: 10 × 100 MB (/bytes, no added latency): raw throughput.
# Each run is timed as a whole process (start-up included) with its peak RSS, and every tool's files
# are checked against the server's bytes (how many of the URLs arrived intact).
# Usage: scripts/bench-fetch.sh [SEED_DIR]   (default ../shared/seed; without the tutorial its three
# programs are skipped, with a note). Results land in bench-results/fetch/ (results.tsv, summary.txt).
# Environment: A_COUNT, A_BYTES, B_COUNT, B_BYTES, LATENCY, WIDTHS override the cases; CASES="A"
# runs only case A (default "A B").
set -euo pipefail
cd "$(dirname "$0")/.."
seed_dir=${1:-../shared/seed}
a_count=${A_COUNT:-100}
a_bytes=${A_BYTES:-200000}
b_count=${B_COUNT:-10}
b_bytes=${B_BYTES:-100000000}
latency=${LATENCY:-0.1}
widths=${WIDTHS:-"8 32 100"}
cases=${CASES:-"A B"}
out=$PWD/bench-results/fetch
rm -rf "$out"
mkdir -p "$out"

echo "== building trenza (release)" >&2
swift build -c release --product trenza >&2
trenza=$PWD/.build/release/trenza

if ! command -v aria2c > /dev/null; then
  echo "== installing aria2 (Debian)" >&2
  (apt-get install -y aria2 || (apt-get update && apt-get install -y aria2)) > "$out/apt.log" 2>&1 || echo "   (could not install aria2: skipping it)" >&2
fi

venv=$PWD/.build/fetch-bench-venv
if [[ ! -x "$venv/bin/python" ]]; then
  echo "== a private venv with requests and aiohttp (PyPI)" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet requests aiohttp
fi
python=$venv/bin/python

server_pid=
start_server() { # latency
  local log=$out/server-$1.log
  "$trenza" serve --port 0 --latency "$1" --log-level error > "$log" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do
    base=$(sed -n 's/^Listening on \(http[^ ]*\).*/\1/p' "$log")
    [[ -n "$base" ]] && return 0
    sleep 0.1
  done
  echo "the server did not start: $(cat "$log")" >&2
  exit 1
}
stop_server() { [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true; server_pid=; }
trap stop_server EXIT

# One line per run: case, tool, width, seconds, peak RSS (KB), files intact out of the list.
printf "case\ttool\twidth\tseconds\tpeak_rss_kb\tintact\ttotal\n" > "$out/results.tsv"

expected_digests() { # count bytes → one sha256 per seed, from the same bytes the server serves
  local count=$1 bytes=$2
  for seed in $(seq 0 $((count - 1))); do curl -s "$base/bytes/$bytes?seed=$seed" | sha256sum | cut -d' ' -f1; done
}

intact() { # folder digests-file → how many expected digests occur among the folder's files
  local folder=$1 digests=$2
  [[ -d "$folder" ]] || { echo 0; return; }
  find "$folder" -maxdepth 1 -type f ! -name '*.part' -print0 | xargs -0 -r sha256sum | cut -d' ' -f1 | sort -u > "$folder.found"
  sort -u "$digests" | comm -12 - "$folder.found" | wc -l
}

run() { # case tool width folder digests command...
  local case=$1 tool=$2 width=$3 folder=$4 digests=$5
  shift 5
  rm -rf "$folder"
  mkdir -p "$folder"
  echo "   $tool (width $width)" >&2
  /usr/bin/time -f "%e %M" -o "$out/time.tmp" "$@" > "$out/last.log" 2>&1 || echo "   ($tool exited with $?; see $out/$case-$tool-$width.log)" >&2
  cp "$out/last.log" "$out/$case-$tool-$width.log"
  read -r seconds rss < "$out/time.tmp"
  printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\n" "$case" "$tool" "$width" "$seconds" "$rss" "$(intact "$folder" "$digests")" "$(wc -l < "$digests")" >> "$out/results.tsv"
}

# The tutorial's §9.1 programs, taken from the tutorial at run time. The multiprocessing and asyncio
# versions use the threading version's helpers ("defined earlier"), so they import them from it.
have_seed=false
seed_file=$(ls "$seed_dir"/*.md 2>/dev/null | head -n 1 || true)
if [[ -n "$seed_file" ]]; then
  have_seed=true
  mkdir -p "$out/seed"
  python3 - "$seed_file" "$out/seed" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
section = text[text.index("### 9.1"):text.index("### 9.2")]
blocks = re.findall(r"```python\n(.*?)```", section, re.S)
helpers = "from seed_threading import crear_carpeta_destino, obtener_nombre_archivo\n"
for name, block, prefix in zip(["seed_threading", "seed_multiprocessing", "seed_asyncio"], blocks, ["", helpers, helpers]):
    open(f"{sys.argv[2]}/{name}.py", "w", encoding="utf-8").write(prefix + block)
PY
  cat > "$out/seed/drive.py" <<'PY'
# Runs one of the tutorial's downloaders on a list of URLs: python drive.py MODULE FUNCTION LIST FOLDER
import asyncio, contextlib, importlib, inspect, io, sys
module, function, url_list, folder = sys.argv[1:5]
urls = [line.strip() for line in open(url_list) if line.strip()]
download = getattr(importlib.import_module(module), function)
with contextlib.redirect_stdout(io.StringIO()):
    result = download(urls, folder)
    if inspect.iscoroutine(result):
        asyncio.run(result)
PY
else
  echo "== the tutorial is not at $seed_dir: skipping its §9.1 programs as peers" >&2
fi

bench_case() { # name count bytes latency widths
  local name=$1 count=$2 bytes=$3 lat=$4 case_widths=$5
  echo "== case $name: $count × $bytes bytes, latency $lat s" >&2
  start_server "$lat"
  local list=$out/$name-urls.txt
  for seed in $(seq 0 $((count - 1))); do echo "$base/bytes/$bytes?seed=$seed"; done > "$list"
  expected_digests "$count" "$bytes" > "$out/$name-digests.txt"
  local digests=$out/$name-digests.txt
  for width in $case_widths; do
    for engine in async threads processes; do
      run "$name" "trenza-$engine" "$width" "$out/$name-trenza-$engine-$width" "$digests" \
        "$trenza" fetch -i "$list" -o "$out/$name-trenza-$engine-$width" --engine "$engine" -j "$width" -q
    done
    awk -v dir="$out/$name-curl-$width" '{ printf "url = \"%s\"\noutput = \"%s/f%d\"\n", $0, dir, NR }' "$list" > "$out/$name-curl.cfg"
    run "$name" curl "$width" "$out/$name-curl-$width" "$digests" curl -s --parallel --parallel-immediate --parallel-max "$width" -K "$out/$name-curl.cfg"
    if command -v aria2c > /dev/null; then
      awk '{ printf "%s\n  out=f%d\n", $0, NR }' "$list" > "$out/$name-aria2.txt"
      run "$name" aria2c "$width" "$out/$name-aria2c-$width" "$digests" aria2c -q -i "$out/$name-aria2.txt" -d "$out/$name-aria2c-$width" \
        -j "$width" -x 1 --max-connection-per-server=1 --file-allocation=none --allow-overwrite=true --auto-file-renaming=false
    fi
  done
  if $have_seed; then
    # The tutorial's programs choose their own width: a thread per URL, Pool() = one process per
    # core, and every URL at once with asyncio.
    for variant in threading:descargar_con_threading:$count multiprocessing:descargar_con_multiprocessing:$(nproc) asyncio:descargar_con_asyncio:$count; do
      IFS=: read -r kind function width <<< "$variant"
      run "$name" "seed-$kind" "$width" "$out/$name-seed-$kind" "$digests" \
        env PYTHONPATH="$out/seed" "$python" "$out/seed/drive.py" "seed_$kind" "$function" "$list" "$out/$name-seed-$kind"
    done
  fi
  stop_server
}

[[ " $cases " == *" A "* ]] && bench_case A "$a_count" "$a_bytes" "$latency" "$widths"
[[ " $cases " == *" B "* ]] && bench_case B "$b_count" "$b_bytes" 0 "$b_count"

python3 - "$out" "$latency" "$a_count" "$a_bytes" "$b_bytes" <<'PY' | tee "$out/summary.txt"
import csv, math, sys
out, latency, a_count = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
size = {"A": int(sys.argv[4]), "B": int(sys.argv[5])}
rows = list(csv.DictReader(open(f"{out}/results.tsv"), delimiter="\t"))
for case in sorted({r["case"] for r in rows}):
    print(f"case {case}:")
    print(f"  {'tool':<22}{'width':>6}{'seconds':>10}{'ideal':>8}{'× ideal':>9}{'MB/s':>9}{'peak RSS':>11}{'intact':>10}")
    for row in (r for r in rows if r["case"] == case):
        width, seconds = int(row["width"]), float(row["seconds"])
        ideal = math.ceil(a_count / width) * latency if case == "A" else None
        megabytes = int(row["intact"]) * size[case] / 1e6
        print(f"  {row['tool']:<22}{width:>6}{seconds:>10.2f}{f'{ideal:.2f}' if ideal else '-':>8}"
              f"{f'{seconds / ideal:.2f}×' if ideal else '-':>9}{megabytes / seconds if seconds else 0:>9.1f}"
              f"{int(row['peak_rss_kb']) / 1024:>9.1f} MB{row['intact'] + '/' + row['total']:>10}")
PY
