#!/usr/bin/env bash
# Renders a bench report.html in a real browser (headless Chromium) and checks the picture: not
# blank, and the engines' chart colours present. Installs Debian's chromium when it is missing.
#
# Usage: scripts/check-report.sh REPORT_HTML [OUT_DIR]
#   Writes OUT_DIR/report-desktop.png (1000 px wide) and OUT_DIR/report-phone.png (390 px wide,
#   the phone layout); OUT_DIR defaults to the report's folder. Exit 0 when both pass.
# Example: swift run -c release trenza bench --quick --report bench-report && scripts/check-report.sh bench-report/report.html
set -euo pipefail

html=${1:?usage: scripts/check-report.sh REPORT_HTML [OUT_DIR]}
[[ -f "$html" ]] || { echo "no such file: $html" >&2; exit 2; }
out=${2:-$(dirname "$html")}
mkdir -p "$out"
html_abs=$(cd "$(dirname "$html")" && pwd)/$(basename "$html")

find_browser() {
  for name in chromium chromium-browser google-chrome; do
    if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return 0; fi
  done
  return 1
}

if ! browser=$(find_browser); then
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "chromium is not installed, and this script can only install it as root on Debian: apt-get install chromium" >&2
    exit 3
  fi
  if ! apt-cache policy chromium 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    echo "== apt-get update (no candidate for chromium yet)" >&2
    apt-get update -qq
  fi
  apt-cache policy chromium | grep -q 'Candidate: [0-9]' || { echo "no chromium package in the configured Debian sources" >&2; exit 3; }
  echo "== installing chromium" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
  browser=$(find_browser)
fi

render() { # width height png
  # A private profile folder: headless Chromium otherwise writes into $HOME and can clash with another run.
  local profile
  profile=$(mktemp -d)
  "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$profile" \
    --window-size="$1,$2" --screenshot="$3" "file://$html_abs" >/dev/null 2>&1 || true
  rm -rf "$profile"
  [[ -s "$3" ]] || { echo "chromium wrote no screenshot to $3" >&2; exit 1; }
}

render 1000 3200 "$out/report-desktop.png"
render 390 6000 "$out/report-phone.png"

# The PNG check needs only Python's standard library: zlib and the five PNG row filters.
python3 - "$out/report-desktop.png" "$out/report-phone.png" <<'PY'
import struct, sys, zlib

def decode(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path}: not a PNG"
    pos, chunks, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR": header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT": chunks.append(body)
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and interlace == 0 and colour in (2, 6), f"{path}: unexpected PNG layout {header}"
    channels = 4 if colour == 6 else 3
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    rows, previous, i = [], bytearray(stride), 0
    for _ in range(height):
        kind, line = raw[i], bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
        for x in range(stride):
            a = line[x - channels] if x >= channels else 0
            b = previous[x]; c = previous[x - channels] if x >= channels else 0
            if kind == 1: line[x] = (line[x] + a) & 255
            elif kind == 2: line[x] = (line[x] + b) & 255
            elif kind == 3: line[x] = (line[x] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line); previous = line
    return width, height, channels, rows

# The engines' colours in the charts: threads, processes, async.
colours = {"threads": (0x25, 0x63, 0xEB), "processes": (0xDC, 0x26, 0x26), "async": (0x05, 0x96, 0x69)}
failed = False
for path in sys.argv[1:]:
    width, height, channels, rows = decode(path)
    total = width * height
    ink = 0
    found = dict.fromkeys(colours, 0)
    for line in rows:
        for x in range(0, width * channels, channels):
            r, g, b = line[x], line[x + 1], line[x + 2]
            if r < 235 or g < 235 or b < 235: ink += 1
            for name, (cr, cg, cb) in colours.items():
                if abs(r - cr) < 24 and abs(g - cg) < 24 and abs(b - cb) < 24: found[name] += 1
    share = ink / total
    ok = share > 0.02 and all(count > 200 for count in found.values())
    failed |= not ok
    print(f"{'ok  ' if ok else 'FAIL'} {path}: {width}×{height}, {share:.1%} non-white, chart pixels " +
          ", ".join(f"{name} {count}" for name, count in found.items()))
sys.exit(1 if failed else 0)
PY
