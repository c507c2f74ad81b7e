#!/usr/bin/env bash
# Side-by-side benchmark of Trenza's engines against Python's pools, in one run on this machine:
#   (a) dispatch throughput of tiny jobs (x → x²): trenza's engines vs multiprocessing.Pool.map and
#       concurrent.futures' ThreadPoolExecutor / ProcessPoolExecutor, chunked and unchunked;
#   (a') trenza's Pool with default settings (trenza bench --only dispatch): map (automatic chunks)
#       vs Pool.map with default chunks and chunksize=1, imap_unordered, ProcessPoolExecutor.map and
#       .submit, ThreadPoolExecutor; a stream of 10,000,000 generated inputs (items/s, peak RSS) vs
#       imap_unordered over a generator; single-item submit rate and p50/p99 latency per engine;
#   (b) the tutorial's §3.1 task (tarea_intensiva over [1, 2, 3, 4]): trenza's engines vs sequential
#       Swift, and vs the tutorial's own Python program, extracted from the tutorial at run time.
# The Python peers need only python3's standard library (multiprocessing, concurrent.futures).
# Usage: scripts/bench-engines.sh [SEED_DIR]   (default ../shared/seed; the Python §3.1 peer is
# skipped, with a note, when the tutorial is not there). Figures land in bench-results/.
set -euo pipefail
cd "$(dirname "$0")/.."
seed_dir=${1:-../shared/seed}
out=bench-results
mkdir -p "$out"
width=${WIDTH:-2}

command -v python3 >/dev/null || { echo "python3 is needed for the Python peers" >&2; exit 2; }

echo "== building trenza (release)" >&2
swift build -c release --product trenza >&2
trenza=.build/release/trenza

echo "== trenza bench (release, width $width)" >&2
"$trenza" bench --json -j "$width" --only overhead,cpu --items 200000 --chunk-size 10000 --steps 10000000 --repeats 3 > "$out/trenza-engines.json"
# Default settings, as a user gets them: 1,000,000 tiny items (the issue's size), 10,000,000 streamed.
"$trenza" bench --json -j "$width" --only dispatch --items 1000000 --stream-items "${STREAM_ITEMS:-10000000}" \
  --submits 100000 --submit-tasks 2000 > "$out/trenza-dispatch.json"
# The same task at 40× the tutorial's size: long enough that start-up cost no longer hides the speed-up.
"$trenza" bench --json -j "$width" --only cpu --steps 400000000 --repeats 2 > "$out/trenza-cpu-large.json"

echo "== Python peers" >&2
# The streaming peer runs in a process of its own, so that its peak RSS is the stream's alone.
python3 - "$width" "${STREAM_ITEMS:-10000000}" > "$out/python-stream.json" <<'PY'
import json, resource, sys, time
from multiprocessing import Pool

def square(x):
    return x * x

width, n = int(sys.argv[1]), int(sys.argv[2])
with Pool(width) as pool:
    pool.map(square, range(100))
    start = time.perf_counter()
    count = 0
    for value in pool.imap_unordered(square, (x for x in range(n)), chunksize=10_000):
        count += 1
    seconds = time.perf_counter() - start
assert count == n
# ru_maxrss is in KiB on Linux: this process's peak, and the largest of its reaped workers.
json.dump({"peer": "multiprocessing.Pool.imap_unordered generator chunksize=10000", "items": n, "seconds": seconds,
           "items_per_second": n / seconds, "peak_rss_self": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
           "peak_rss_largest_child": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024}, sys.stdout, indent=1)
PY

python3 - "$width" > "$out/python-dispatch.json" <<'PY'
import json, math, sys, threading, time
from concurrent.futures import ThreadPoolExecutor, ProcessPoolExecutor
from multiprocessing import Pool

def square(x):
    return x * x

def timed(label, run, n, **extra):
    start = time.perf_counter()
    results = run()
    seconds = time.perf_counter() - start
    assert list(results) == [x * x for x in range(n)], label
    return {"peer": label, "items": n, "seconds": seconds, "items_per_second": n / seconds, **extra}

width = int(sys.argv[1])
figures = []
with Pool(width) as pool:
    pool.map(square, range(100))
    n = 100_000
    figures.append(timed("multiprocessing.Pool.map chunksize=1", lambda: pool.map(square, range(n), chunksize=1), n, chunk=1))
    n = 200_000
    figures.append(timed("multiprocessing.Pool.map default chunks", lambda: pool.map(square, range(n)), n, chunk="auto"))
    figures.append(timed("multiprocessing.Pool.map chunksize=10000", lambda: pool.map(square, range(n), chunksize=10_000), n, chunk=10_000))
with ThreadPoolExecutor(width) as executor:
    list(executor.map(square, range(100)))
    n = 100_000
    figures.append(timed("ThreadPoolExecutor.map", lambda: list(executor.map(square, range(n))), n, chunk=1))
with ProcessPoolExecutor(width) as executor:
    list(executor.map(square, range(100)))
    n = 20_000
    figures.append(timed("ProcessPoolExecutor.map chunksize=1", lambda: list(executor.map(square, range(n))), n, chunk=1))
    n = 200_000
    figures.append(timed("ProcessPoolExecutor.map chunksize=10000", lambda: list(executor.map(square, range(n), chunksize=10_000)), n, chunk=10_000))

def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]

def submitted(label, executor, n):
    # Every future submitted at once; latency runs from submit to the future's completion.
    latencies = [0.0] * n
    def finisher(i, started):
        return lambda _future: latencies.__setitem__(i, time.perf_counter() - started)
    start = time.perf_counter()
    futures = []
    for i in range(n):
        started = time.perf_counter()
        future = executor.submit(square, i)
        future.add_done_callback(finisher(i, started))
        futures.append(future)
    results = [f.result() for f in futures]
    seconds = time.perf_counter() - start
    assert results == [x * x for x in range(n)], label
    return {"peer": label, "items": n, "seconds": seconds, "items_per_second": n / seconds,
            "p50": percentile(latencies, 0.5), "p99": percentile(latencies, 0.99), "threads": threading.active_count()}

with Pool(width) as pool:
    pool.map(square, range(100))
    n = 1_000_000
    figures.append(timed("multiprocessing.Pool.map default chunks 1M", lambda: pool.map(square, range(n)), n, chunk="auto"))
    n = 100_000
    figures.append(timed("multiprocessing.Pool.imap_unordered", lambda: sorted(pool.imap_unordered(square, range(n))), n, chunk=1))
with ProcessPoolExecutor(width) as executor:
    list(executor.map(square, range(100)))
    figures.append(submitted("ProcessPoolExecutor.submit", executor, 20_000))
with ThreadPoolExecutor(width) as executor:
    list(executor.map(square, range(100)))
    figures.append(submitted("ThreadPoolExecutor.submit", executor, 100_000))

def tarea_intensiva(numero):
    resultado = 0
    for i in range(10000000):
        resultado += i * numero
    return resultado

start = time.perf_counter()
sequential = [tarea_intensiva(n) for n in [1, 2, 3, 4]]
figures.append({"peer": "python sequential tarea_intensiva", "seconds": time.perf_counter() - start, "results": sequential})
json.dump(figures, sys.stdout, indent=1)
PY

seed_file=$(ls "$seed_dir"/*.md 2>/dev/null | head -n 1 || true)
if [[ -n "$seed_file" ]]; then
  # The tutorial's own §3.1 program: the first python block after the "### 3.1" heading.
  python3 - "$seed_file" > "$out/seed-3.1.py" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
section = text[text.index("### 3.1"):]
match = re.search(r"```python\n(.*?)```", section, re.S)
print(match.group(1))
PY
  echo "== the tutorial's §3.1 program (from $seed_file)" >&2
  python3 "$out/seed-3.1.py" | tee "$out/seed-3.1.txt" >&2
else
  echo "== the tutorial is not at $seed_dir: skipping its §3.1 program as a peer" >&2
  rm -f "$out/seed-3.1.txt"
fi

python3 - "$out" <<'PY'
import json, os, re, sys
out = sys.argv[1]
def section(report, section_id):
    return next(s for s in report["sections"] if s["id"] == section_id)

def cpu_figures(report, steps):
    # trenza bench's report (format 1) in the shape the tables below read.
    cpu = section(report, "cpu")
    return {"steps": steps, "sequentialSeconds": cpu["sequentialSeconds"], "engines": cpu["rows"],
            "resultsMatch": all(row["failures"] == 0 for row in cpu["rows"])}

report = json.load(open(f"{out}/trenza-engines.json"))
dispatch_rows = section(report, "overhead.dispatch")["rows"]
swift = {
    "width": dispatch_rows[0]["width"],
    # The chunked row is the one with a variant; its chunk size is the one this script asked for.
    "dispatch": [dict(row, chunkSize=10000 if row.get("variant") else 1) for row in dispatch_rows],
    "startup": section(report, "overhead.startup")["rows"],
    "cpu": cpu_figures(report, 10_000_000),
}
large = cpu_figures(json.load(open(f"{out}/trenza-cpu-large.json")), 400_000_000)
python = json.load(open(f"{out}/python-dispatch.json"))
peers = {p["peer"]: p for p in python}

print(f"\nTiny-job dispatch (x → x²), width {swift['width']}, warm pools, items/s")
print(f"  {'engine':42} {'items/s':>12}")
for m in swift["dispatch"]:
    label = f"trenza {m['engine']}" + (f" chunk {m['chunkSize']}" if m["chunkSize"] > 1 else "")
    print(f"  {label:42} {m['items']/m['seconds']:12,.0f}")
for p in python:
    if "items_per_second" in p:
        print(f"  {'python ' + p['peer']:42} {p['items_per_second']:12,.0f}")

def rate(engine, chunk):
    return next(m["items"] / m["seconds"] for m in swift["dispatch"] if m["engine"] == engine and m["chunkSize"] == chunk)

pairs = [
    ("processes, unchunked", rate("processes", 1), "multiprocessing.Pool.map chunksize=1"),
    ("processes, unchunked", rate("processes", 1), "ProcessPoolExecutor.map chunksize=1"),
    ("processes, chunks of 10000", rate("processes", 10000), "multiprocessing.Pool.map chunksize=10000"),
    ("processes, chunks of 10000", rate("processes", 10000), "multiprocessing.Pool.map default chunks"),
    ("processes, chunks of 10000", rate("processes", 10000), "ProcessPoolExecutor.map chunksize=10000"),
    ("threads", rate("threads", 1), "ThreadPoolExecutor.map"),
]
print("\nRatios (trenza ÷ python, same width, same machine, same run)")
for label, ours, peer in pairs:
    print(f"  trenza {label:28} vs {peer:42} {ours / peers[peer]['items_per_second']:7.1f}×")

print("\nStart-up (pool creation to first result)")
for m in swift["startup"]:
    print(f"  {m['engine']:10} {m['seconds']*1000:8.1f} ms")

def cpu_table(cpu, title):
    print(f"\n{title}")
    print(f"  sequential Swift        {cpu['sequentialSeconds']:8.3f} s")
    for m in cpu["engines"]:
        print(f"  trenza {m['engine']:16} {m['seconds']:8.3f} s   speed-up {cpu['sequentialSeconds']/m['seconds']:5.2f}×")
    print(f"  results match: {cpu['resultsMatch']}")

cpu_table(swift["cpu"], f"§3.1 tarea_intensiva × [1,2,3,4], {swift['cpu']['steps']:,} steps (the tutorial's size), best of 3")
cpu_table(large, f"§3.1 tarea_intensiva × [1,2,3,4], {large['steps']:,} steps (40× the tutorial), best of 2")

seq = peers["python sequential tarea_intensiva"]["seconds"]
print(f"\n  python sequential       {seq:8.3f} s")
seed_txt = f"{out}/seed-3.1.txt"
if os.path.exists(seed_txt):
    seed_seconds = float(re.search(r"Tiempo total: ([0-9.]+)", open(seed_txt).read()).group(1))
    print(f"  tutorial's Pool program {seed_seconds:8.3f} s")
    for m in swift["cpu"]["engines"]:
        print(f"  trenza {m['engine']:9} is {seed_seconds / m['seconds']:8.1f}× faster than the tutorial's Pool program")
else:
    print("  (the tutorial's program was skipped: tutorial not found)")

# Default settings against Python, from trenza bench --only dispatch.
dispatch = json.load(open(f"{out}/trenza-dispatch.json"))
def rows(section_id):
    return section(dispatch, section_id)["rows"]
def pick(section_id, engine, variant=None, items=None):
    for row in rows(section_id):
        if row["engine"] == engine and row.get("variant") == variant and (items is None or row["items"] == items):
            return row
    return None
def per_second(row):
    return row["items"] / row["seconds"]
def mib(value):
    return f"{value / 1048576:,.1f} MiB"

w = int(swift["width"])
print(f"\nDefault settings (trenza bench --only dispatch, width {w}) against Python, items/s")
print(f"  {'':58} {'items/s':>12} {'trenza ÷ python':>16}")
mp = {"processes": pick("dispatch.map", "processes"), "threads": pick("dispatch.map", "threads"), "async": pick("dispatch.map", "async"),
      "single": pick("dispatch.map", "processes", "one item per message")}
for name, row in mp.items():
    if row:
        label = f"trenza Pool.map {name} (default settings)" if name != "single" else "trenza Pool.map processes, one item per message"
        print(f"  {label:58} {per_second(row):12,.0f}")
comparisons = [
    ("processes", "multiprocessing.Pool.map default chunks 1M"),
    ("processes", "multiprocessing.Pool.imap_unordered"),
    ("processes", "ProcessPoolExecutor.map chunksize=1"),
    ("single", "multiprocessing.Pool.map chunksize=1"),
    ("threads", "ThreadPoolExecutor.map"),
]
for ours, peer in comparisons:
    p = peers[peer]
    print(f"  {'python ' + peer:58} {p['items_per_second']:12,.0f} {per_second(mp[ours]) / p['items_per_second']:15.2f}×  (trenza {ours})")

goal = per_second(mp["processes"]) / peers["multiprocessing.Pool.map default chunks 1M"]["items_per_second"]
print(f"\n  goal: default-settings processes ≥ 1.5× Pool.map with default chunks: {goal:.2f}× → {'met' if goal >= 1.5 else 'NOT met'}")

print("\nStreaming generated inputs (no array), outcomes as they finish")
print(f"  {'':58} {'items':>12} {'items/s':>12} {'peak RSS':>14}")
for row in rows("dispatch.stream"):
    print(f"  {'trenza Pool.stream ' + row['engine']:58} {row['items']:12,} {per_second(row):12,.0f} {mib(row['peakMemoryBytes']):>14}")
py = json.load(open(f"{out}/python-stream.json"))
print(f"  {'python imap_unordered(generator, chunksize=10000)':58} {py['items']:12,} {py['items_per_second']:12,.0f} {mib(py['peak_rss_self']):>14}  (+ largest worker {mib(py['peak_rss_largest_child'])})")
flat = []
for engine in ("threads", "processes", "async"):
    sizes = sorted((r for r in rows("dispatch.stream") if r["engine"] == engine), key=lambda r: r["items"])
    if len(sizes) == 2:
        small, large = sizes
        growth = large["peakMemoryBytes"] / small["peakMemoryBytes"]
        flat.append(growth < 1.25)
        print(f"  trenza {engine}: peak {mib(small['peakMemoryBytes'])} at {small['items']:,} inputs, {mib(large['peakMemoryBytes'])} at {large['items']:,} ({growth:.2f}×)")
print(f"  goal: flat memory when streaming (peak within 1.25× for 10× the inputs): {'met' if flat and all(flat) else 'NOT met'}")

print("\nSingle items: submit from 2,000 tasks (trenza) / all futures at once (python)")
print(f"  {'':40} {'items/s':>12} {'p50':>10} {'p99':>10} {'threads':>12}")
for row in rows("dispatch.submit"):
    print(f"  {'trenza Pool.submit ' + row['engine']:40} {per_second(row):12,.0f} {row['latencyP50Seconds']*1000:8.2f}ms {row['latencyP99Seconds']*1000:8.2f}ms {str(row['baselineThreads']) + ' → ' + str(row['peakThreads']):>12}")
for name in ("ProcessPoolExecutor.submit", "ThreadPoolExecutor.submit"):
    p = peers[name]
    print(f"  {'python ' + name:40} {p['items_per_second']:12,.0f} {p['p50']*1000:8.2f}ms {p['p99']*1000:8.2f}ms {p['threads']:12}")
for engine, peer in (("processes", "ProcessPoolExecutor.submit"), ("threads", "ThreadPoolExecutor.submit")):
    print(f"  trenza {engine} submit ÷ python {peer}: {per_second(pick('dispatch.submit', engine)) / peers[peer]['items_per_second']:.2f}×")
threads_flat = all(r["peakThreads"] - r["baselineThreads"] < 64 for r in rows("dispatch.submit"))
print(f"  goal: no thread per pending submit (fewer than 64 extra threads for ~2,000 pending): {'met' if threads_flat else 'NOT met'}")
PY
