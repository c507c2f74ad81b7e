#!/usr/bin/env bash
# Benchmark of thumbnails: `trenza images --filters thumbnail=256x256` against vipsthumbnail (Debian
# libvips-tools) and against Pillow's Image.thumbnail in a multiprocessing.Pool(2), at equal width
# (2 lanes: two worker processes each), in one run, on two generated corpora of JPEG photos:
# 48 × 1920×1080 and 12 × 4000×3000. Also checks that trenza's thumbnails are pixel-identical to
# Pillow's (both written as PNG, so that no JPEG encoder stands between them).
# Usage: scripts/bench-thumbnails.sh   (COUNT, BIG_COUNT, SIZE, BIG_SIZE, BOX override the corpus)
# Results land in bench-results/thumbnails/.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${COUNT:-48}
big_count=${BIG_COUNT:-12}
size=${SIZE:-1920x1080}
big_size=${BIG_SIZE:-4000x3000}
box=${BOX:-256x256}
out=$PWD/bench-results/thumbnails
rm -rf "$out"
mkdir -p "$out"

if ! command -v vipsthumbnail >/dev/null; then
  echo "== installing libvips-tools (vipsthumbnail)" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libvips-tools >&2
fi

echo "== building trenza (release)" >&2
swift build -c release --product trenza >&2
trenza=$PWD/.build/release/trenza

echo "== corpora: $count × $size and $big_count × $big_size JPEG photos" >&2
"$trenza" images --generate "$count" "$out/photos" --size "$size" --seed 7 --quiet >&2
"$trenza" images --generate "$big_count" "$out/large" --size "$big_size" --seed 9 --quiet >&2

now() { date +%s.%N; }
declare -A seconds

for corpus in photos large; do
  echo "== $corpus: trenza images, processes -j 2" >&2
  start=$(now)
  "$trenza" images "$out/$corpus" -o "$out/trenza-$corpus" --filters "thumbnail=$box" --engine processes -j 2 --quiet >&2
  seconds[trenza-$corpus]=$(echo "$(now) - $start" | bc)

  echo "== $corpus: trenza images, threads -j 2" >&2
  start=$(now)
  "$trenza" images "$out/$corpus" -o "$out/trenza-threads-$corpus" --filters "thumbnail=$box" --engine threads -j 2 --quiet >&2
  seconds[trenza-threads-$corpus]=$(echo "$(now) - $start" | bc)

  # Two vipsthumbnail processes with one libvips thread each: the same two lanes.
  echo "== $corpus: vipsthumbnail, 2 processes × 1 thread" >&2
  mkdir -p "$out/vips-$corpus"
  per=$(( ($(ls "$out/$corpus" | wc -l) + 1) / 2 ))
  start=$(now)
  ls "$out/$corpus"/*.jpg | VIPS_CONCURRENCY=1 xargs -P 2 -n "$per" vipsthumbnail -s "$box" -o "$out/vips-$corpus/%s.jpg[Q=75]"
  seconds[vips-$corpus]=$(echo "$(now) - $start" | bc)

  echo "== $corpus: vipsthumbnail, one process, its own threads" >&2
  mkdir -p "$out/vips-own-$corpus"
  start=$(now)
  vipsthumbnail -s "$box" -o "$out/vips-own-$corpus/%s.jpg[Q=75]" "$out/$corpus"/*.jpg
  seconds[vips-own-$corpus]=$(echo "$(now) - $start" | bc)

  echo "== $corpus: Pillow thumbnail(), multiprocessing.Pool(2)" >&2
  start=$(now)
  scripts/with-pillow.sh - "$out/$corpus" "$out/pillow-$corpus" "$box" jpg <<'PY'
import os, sys
from multiprocessing import Pool
from PIL import Image
corpus, destination, box, extension = sys.argv[1:5]
width, height = (int(side) for side in box.split("x"))
os.makedirs(destination, exist_ok=True)

def thumbnail(name):
    with Image.open(os.path.join(corpus, name)) as image:
        image.thumbnail((width, height))
        image.save(os.path.join(destination, os.path.splitext(name)[0] + "." + extension), quality=75)

if __name__ == "__main__":
    with Pool(2) as pool:
        pool.map(thumbnail, sorted(os.listdir(corpus)))
PY
  seconds[pillow-$corpus]=$(echo "$(now) - $start" | bc)
done

echo "== exactness: trenza and Pillow thumbnails of both corpora, as PNG" >&2
for corpus in photos large; do
  "$trenza" images "$out/$corpus" -o "$out/exact-trenza-$corpus" --filters "thumbnail=$box" --format png --quiet >&2
  scripts/with-pillow.sh - "$out/$corpus" "$out/exact-pillow-$corpus" "$box" png <<'PY'
import os, sys
from PIL import Image
corpus, destination, box, extension = sys.argv[1:5]
width, height = (int(side) for side in box.split("x"))
os.makedirs(destination, exist_ok=True)
for name in sorted(os.listdir(corpus)):
    with Image.open(os.path.join(corpus, name)) as image:
        image.thumbnail((width, height))
        image.save(os.path.join(destination, os.path.splitext(name)[0] + "." + extension))
PY
done

{
  printf '\n%-44s %9s %8s\n' "run ($box thumbnails, JPEG Q75 out)" seconds "img/s"
  for corpus in photos large; do
    n=$(ls "$out/$corpus" | wc -l)
    for run in trenza trenza-threads vips vips-own pillow; do
      label=$(case $run in
        trenza) echo "trenza, processes -j 2";;
        trenza-threads) echo "trenza, threads -j 2";;
        vips) echo "vipsthumbnail, 2 processes × 1 thread";;
        vips-own) echo "vipsthumbnail, 1 process, own threads";;
        pillow) echo "Pillow thumbnail(), Pool(2)";;
      esac)
      s=${seconds[$run-$corpus]}
      printf '%-44s %9.3f %8.1f\n' "$corpus: $label" "$s" "$(echo "$n / $s" | bc -l)"
    done
    best=$(printf '%s\n' "${seconds[trenza-$corpus]}" "${seconds[trenza-threads-$corpus]}" | sort -g | head -1)
    printf '  %s: trenza (best engine) is %.2f× vipsthumbnail at equal width, %.2f× vipsthumbnail on its own threads, %.2f× Pillow Pool(2)\n' \
      "$corpus" "$(echo "${seconds[vips-$corpus]} / $best" | bc -l)" "$(echo "${seconds[vips-own-$corpus]} / $best" | bc -l)" \
      "$(echo "${seconds[pillow-$corpus]} / $best" | bc -l)"
  done
  scripts/with-pillow.sh - "$out" "$box" <<'PY'
import os, sys
from PIL import Image
out, box = sys.argv[1:3]
for corpus in ["photos", "large"]:
    names = sorted(os.listdir(f"{out}/exact-pillow-{corpus}"))
    differing = 0
    for name in names:
        a = Image.open(f"{out}/exact-pillow-{corpus}/{name}")
        b = Image.open(f"{out}/exact-trenza-{corpus}/thumbnail-{box}_{name}")
        same = a.mode == b.mode and a.size == b.size and a.tobytes() == b.tobytes()
        differing += not same
    print(f"{corpus}: {len(names) - differing} of {len(names)} trenza thumbnails pixel-identical to Pillow's thumbnail()")
PY
} | tee "$out/summary.txt"
