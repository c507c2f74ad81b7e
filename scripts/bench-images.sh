#!/usr/bin/env bash
# Benchmark of `trenza images` against the tutorial's own §9.2 program (Pillow + multiprocessing.Pool),
# in one run, on the same generated corpus (48 × 1920×1080, JPEG and PNG), the same filters, 1 and 2
# workers; checks that the outputs are pixel-identical and reports throughput, where trenza's time
# goes (decode, filter, encode) and peak memory per worker.
# Usage: scripts/bench-images.sh [SEED_DIR]   (default ../shared/seed; without the tutorial the
# Python peer is skipped, with a note). Results land in bench-results/images/.
set -euo pipefail
cd "$(dirname "$0")/.."
seed_dir=${1:-../shared/seed}
count=${COUNT:-48}
size=${SIZE:-1920x1080}
out=bench-results/images
rm -rf "$out"
mkdir -p "$out"

echo "== building trenza (release)" >&2
swift build -c release --product trenza >&2
trenza=$PWD/.build/release/trenza

echo "== corpus: $count × $size, JPEG and PNG" >&2
"$trenza" images --generate "$count" "$out/corpus-jpeg" --size "$size" --seed 7 --quiet >&2
"$trenza" images --generate "$count" "$out/corpus-png" --size "$size" --seed 7 --format png --quiet >&2

# The tutorial applies its filters in a fixed order whatever the list says: blur, sharpen, contour,
# grayscale, contrast. For blur,contrast,grayscale that is blur → grayscale → contrast.
python_filters="blur,contrast,grayscale"
trenza_filters="blur,grayscale,contrast"

for format in jpeg png; do
  for workers in 1 2; do
    echo "== trenza images, $format, $workers worker(s)" >&2
    "$trenza" images "$out/corpus-$format" -o "$out/trenza-$format-$workers" --filters "$trenza_filters" \
      --engine processes -j "$workers" --json > "$out/trenza-$format-$workers.json"
  done
done

seed_file=$(ls "$seed_dir"/*.md 2>/dev/null | head -n 1 || true)
if [[ -n "$seed_file" ]]; then
  python3 - "$seed_file" > "$out/seed_9_2.py" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
section = text[text.index("### 9.2"):]
print(re.search(r"```python\n(.*?)```", section, re.S).group(1))
PY
  for format in jpeg png; do
    for workers in 1 2; do
      echo "== the tutorial's §9.2 program, $format, $workers process(es)" >&2
      scripts/with-pillow.sh - "$out/seed_9_2.py" "$out/corpus-$format" "$out/seed-$format-$workers" "$python_filters" "$workers" \
        > "$out/seed-$format-$workers.json" <<'PY'
import contextlib, importlib, io, json, os, resource, sys, time
program, corpus, destination, filters, workers = sys.argv[1:6]
# Imported as a module (its demo stays behind its __main__ guard) so the Pool can pickle its functions.
sys.path.insert(0, os.path.dirname(os.path.abspath(program)))
seed = importlib.import_module(os.path.splitext(os.path.basename(program))[0])
paths = sorted(os.path.join(corpus, name) for name in os.listdir(corpus))
start = time.perf_counter()
with contextlib.redirect_stdout(io.StringIO()):
    ok = seed.procesar_imagenes_paralelo(paths, destination, filters.split(","), int(workers))
seconds = time.perf_counter() - start
json.dump({"seconds": seconds, "succeeded": ok, "images": len(paths),
           "peak_worker_rss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}, sys.stdout)
PY
    done
  done
else
  echo "== the tutorial is not at $seed_dir: skipping its §9.2 program as a peer" >&2
fi

echo "== comparing pixels" >&2
scripts/with-pillow.sh - "$out" "$python_filters" "$trenza_filters" <<'PY'
import json, os, sys
from PIL import Image, ImageChops
out, python_filters, trenza_filters = sys.argv[1:4]
py_prefix = "_".join(python_filters.split(",")) + "_"
tz_prefix = "_".join(trenza_filters.split(",")) + "_"
have_seed = os.path.exists(f"{out}/seed-png-2.json")

def load(name):
    with open(f"{out}/{name}.json") as f:
        return json.load(f)

print(f"\n{'run':34} {'seconds':>8} {'img/s':>7} {'MP/s':>7} {'peak RSS/worker':>16}")
rows = {}
for fmt in ["jpeg", "png"]:
    for workers in [1, 2]:
        t = load(f"trenza-{fmt}-{workers}")
        rows[("trenza", fmt, workers)] = t
        print(f"{'trenza images ' + fmt + ' -j ' + str(workers):34} {t['seconds']:8.2f} {t['imagesPerSecond']:7.1f} {t['megapixelsPerSecond']:7.1f} {t.get('peakWorkerRSSKilobytes', 0) / 1024:13.1f} MB")
        if have_seed:
            s = load(f"seed-{fmt}-{workers}")
            rows[("seed", fmt, workers)] = s
            print(f"{'tutorial §9.2 ' + fmt + ' Pool(' + str(workers) + ')':34} {s['seconds']:8.2f} {s['images'] / s['seconds']:7.1f} {'':>7} {s['peak_worker_rss_kb'] / 1024:13.1f} MB")
if have_seed:
    print("\nspeed-up of trenza over the tutorial's program (same corpus, same filters, same workers):")
    for fmt in ["jpeg", "png"]:
        for workers in [1, 2]:
            print(f"  {fmt} ×{workers}: {rows[('seed', fmt, workers)]['seconds'] / rows[('trenza', fmt, workers)]['seconds']:5.1f}×")

for fmt in ["jpeg", "png"]:
    t = rows[("trenza", fmt, 2)]
    stages = t["stageSeconds"]
    codec = stages["decode"] + stages["encode"]
    print(f"\ntrenza {fmt} stages (sum over images): decode {stages['decode']:.2f} s, filter {stages['filter']:.2f} s, encode {stages['encode']:.2f} s, write {stages['write']:.2f} s → filter is {100 * stages['filter'] / codec:.0f}% of codec time")

if have_seed:
    for fmt in ["png", "jpeg"]:
        worst = 0
        differing = 0
        names = sorted(os.listdir(f"{out}/seed-{fmt}-2"))
        for name in names:
            original = name[len(py_prefix):]
            a = Image.open(f"{out}/seed-{fmt}-2/{name}")
            b = Image.open(f"{out}/trenza-{fmt}-2/{tz_prefix}{original}")
            if a.mode != b.mode or a.size != b.size:
                raise SystemExit(f"{name}: mode/size differ {a.mode}{a.size} vs {b.mode}{b.size}")
            diff = ImageChops.difference(a, b).getextrema()
            top = max(diff) if isinstance(diff[0], int) else max(hi for _, hi in diff)
            worst = max(worst, top)
            differing += top > 0
        what = "pixel-identical" if worst == 0 else f"{differing} of {len(names)} differ, max |Δ| = {worst}"
        print(f"{fmt}: outputs of trenza and the tutorial's program: {what}" + (" (JPEG: two different encoders; compare the PNG line for the filters)" if fmt == "jpeg" and worst else ""))
PY
