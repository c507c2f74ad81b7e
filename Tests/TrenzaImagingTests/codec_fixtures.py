"""Fixtures for CodecTests: image files and what Pillow decodes from them.

Usage: codec_fixtures.py OUTDIR   (run through scripts/with-pillow.sh, which provides Pillow)

Writes OUTDIR/fixtures/NAME.{png,jpg} and OUTDIR/fixtures/NAME.raw, the pixels Pillow's
Image.open gives for the file after Trenza's mode mapping (see `expected`), plus a few broken
files. If OUTDIR/ours/ holds files the Swift side encoded, also writes OUTDIR/ours/NAME.raw with
Pillow's decoding of each. Everything is described in OUTDIR/manifest.json.

PNGs Pillow cannot write (2/4/16-bit, Adam7, hand-made palettes, gAMA) come from the small PNG
writer below, so the test also covers what other software produces.
"""

import io
import json
import random
import struct
import sys
import zlib
from pathlib import Path

import PIL
from PIL import Image, JpegImagePlugin

WIDTH, HEIGHT = 61, 37  # odd, so chroma subsampling and Adam7 have partial blocks


def samples(channels, maximum, seed, width=WIDTH, height=HEIGHT):
    """Rows of pixel tuples: a gradient per channel plus noise, covering 0…maximum."""
    rng = random.Random(seed)
    rows = []
    for y in range(height):
        row = []
        for x in range(width):
            pixel = []
            for c in range(channels):
                smooth = ((x * (c + 1) * 7 + y * (3 - c % 3) * 5) * maximum) // (width * 8 + height * 16)
                value = (smooth + rng.randrange(maximum // 8 + 1)) % (maximum + 1)
                pixel.append(value)
            row.append(tuple(pixel))
        rows.append(row)
    return rows


def pillow_image(mode, seed):
    channels = len(mode) if mode != "L" else 1
    rows = samples(channels, 255, seed)
    data = bytes(v for row in rows for px in row for v in px)
    return Image.frombytes(mode, (WIDTH, HEIGHT), data)


# A minimal PNG writer (filter type 0 everywhere, optional Adam7), for the files Pillow cannot make.

ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def pack_row(pixels, depth):
    if depth == 8:
        return bytes(v for px in pixels for v in px)
    if depth == 16:
        return b"".join(struct.pack(">H", v) for px in pixels for v in px)
    out, acc, bits = bytearray(), 0, 0
    for px in pixels:
        for v in px:
            acc = (acc << depth) | v
            bits += depth
            if bits == 8:
                out.append(acc)
                acc, bits = 0, 0
    if bits:
        out.append(acc << (8 - bits))
    return bytes(out)


def png_bytes(rows, depth, colour, interlace=False, extra=()):
    height, width = len(rows), len(rows[0])
    raw = bytearray()
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    for x0, y0, dx, dy in passes:
        if x0 >= width or y0 >= height:
            continue  # empty passes are left out of the stream altogether
        for y in range(y0, height, dy):
            raw += b"\0" + pack_row(rows[y][x0::dx], depth)
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 1 if interlace else 0)
    body = chunk(b"IHDR", ihdr)
    for kind, data in extra:
        body += chunk(kind, data)
    body += chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


def expected(im):
    """Pillow's pixels mapped to Trenza's modes (L, RGB, RGBA), as Trenza's decoder must give."""
    if im.mode in ("L", "RGB", "RGBA"):
        return im.mode, im.tobytes()
    if im.mode in ("1",):
        return "L", im.convert("L").tobytes()
    if im.mode == "LA":
        return "RGBA", im.convert("RGBA").tobytes()
    if im.mode == "P":
        mode = "RGBA" if "transparency" in im.info else "RGB"
        return mode, im.convert(mode).tobytes()
    if im.mode in ("I;16", "I;16B"):
        # Pillow keeps 16-bit grey as I;16; its convert("L") clips values over 255 to white,
        # which turns nearly any 16-bit photo white. Trenza takes the high byte, as Pillow's own
        # unpackers do for 16-bit RGB, RGBA and grey+alpha.
        data = im.tobytes("raw", "I;16B")
        return "L", data[0::2]
    if im.mode == "CMYK":
        return "RGB", im.convert("RGB").tobytes()
    raise ValueError(f"no mapping for mode {im.mode}")


def png_fixtures():
    files = {}

    def save(name, im, **options):
        buffer = io.BytesIO()
        im.save(buffer, "PNG", **options)
        files[name] = buffer.getvalue()

    save("png-L", pillow_image("L", 1))
    save("png-LA", pillow_image("LA", 2))
    save("png-RGB", pillow_image("RGB", 3))
    save("png-RGBA", pillow_image("RGBA", 4))
    save("png-RGB-uncompressed", pillow_image("RGB", 5), compress_level=0)
    rgb = pillow_image("RGB", 6)
    save("png-P", rgb.quantize(200))
    save("png-P-transparent-index", rgb.quantize(64), transparency=5)
    save("png-1bit", pillow_image("L", 7).convert("1"))

    def grey_rows(depth, seed):
        return samples(1, (1 << depth) - 1, seed)

    files["png-L-2bit"] = png_bytes(grey_rows(2, 10), 2, 0)
    files["png-L-4bit"] = png_bytes(grey_rows(4, 11), 4, 0)
    files["png-L-16bit"] = png_bytes(grey_rows(16, 12), 16, 0)
    files["png-LA-16bit"] = png_bytes(samples(2, 65535, 13), 16, 4)
    files["png-RGB-16bit"] = png_bytes(samples(3, 65535, 14), 16, 2)
    files["png-RGBA-16bit"] = png_bytes(samples(4, 65535, 15), 16, 6)
    # tRNS on grey is a colour key Pillow keeps in info, not in the pixels: still L.
    files["png-L-tRNS"] = png_bytes(grey_rows(8, 16), 8, 0, extra=[(b"tRNS", struct.pack(">H", 40))])

    rng = random.Random(20)
    palette = bytes(rng.randrange(256) for _ in range(3 * 16))
    alphas = bytes(rng.randrange(256) for _ in range(11))  # shorter than the palette
    index_rows = samples(1, 15, 21)
    files["png-P-4bit"] = png_bytes(index_rows, 4, 3, extra=[(b"PLTE", palette)])
    files["png-P-4bit-tRNS"] = png_bytes(index_rows, 4, 3, extra=[(b"PLTE", palette), (b"tRNS", alphas)])
    palette256 = bytes(rng.randrange(256) for _ in range(3 * 256))
    alphas256 = bytes(rng.randrange(256) for _ in range(256))
    files["png-P-8bit-tRNS"] = png_bytes(samples(1, 255, 22), 8, 3,
                                         extra=[(b"PLTE", palette256), (b"tRNS", alphas256)])
    # Pillow ignores gamma and colour chunks; libpng would only apply them if asked.
    files["png-RGB-gAMA"] = png_bytes(samples(3, 255, 23), 8, 2,
                                      extra=[(b"gAMA", struct.pack(">I", 100000)), (b"sRGB", b"\0")])
    files["png-RGB-gAMA-045"] = png_bytes(samples(3, 255, 24), 8, 2,
                                          extra=[(b"gAMA", struct.pack(">I", 45455))])
    files["png-RGB-interlaced"] = png_bytes(samples(3, 255, 25), 8, 2, interlace=True)
    files["png-RGBA-16bit-interlaced"] = png_bytes(samples(4, 65535, 26), 16, 6, interlace=True)
    files["png-1bit-interlaced"] = png_bytes(samples(1, 1, 27, width=13, height=11), 1, 0, interlace=True)
    files["png-P-2bit-interlaced"] = png_bytes(samples(1, 3, 28, width=5, height=3), 2, 3, interlace=True,
                                               extra=[(b"PLTE", palette[:12])])
    files["png-RGB-1x1-interlaced"] = png_bytes([[(1, 2, 3)]], 8, 2, interlace=True)
    return files


def jpeg_fixtures():
    files = {}

    def save(name, im, **options):
        buffer = io.BytesIO()
        im.save(buffer, "JPEG", **options)
        files[name] = buffer.getvalue()

    rgb = pillow_image("RGB", 30)
    save("jpeg-RGB", rgb, quality=90)
    save("jpeg-RGB-q20", rgb, quality=20)
    save("jpeg-RGB-progressive", rgb, quality=85, progressive=True)
    save("jpeg-RGB-444", rgb, quality=90, subsampling=0)
    save("jpeg-RGB-422", rgb, quality=90, subsampling=1)
    save("jpeg-RGB-optimized", rgb, quality=80, optimize=True)
    save("jpeg-L", pillow_image("L", 31), quality=90)
    save("jpeg-L-progressive", pillow_image("L", 32), quality=90, progressive=True)
    save("jpeg-CMYK", pillow_image("CMYK", 33), quality=90)
    square = Image.new("RGB", (128, 128))
    square.putdata([pixel for row in samples(3, 255, 35, 128, 128) for pixel in row])
    save("jpeg-photoshop-style", square, quality=92)
    files["jpeg-photoshop-style"] = photoshop_style(files["jpeg-photoshop-style"])
    return files


def segments(jpeg):
    """The marker segments of a baseline JPEG before its scan, as (marker, payload), and the
    rest of the file from the start-of-scan marker on."""
    position, found = 2, []
    while jpeg[position + 1] != 0xDA:
        marker = jpeg[position + 1]
        (length,) = struct.unpack(">H", jpeg[position + 2:position + 4])
        found.append((marker, jpeg[position + 4:position + 2 + length]))
        position += 2 + length
    return found, jpeg[position:]


def photoshop_style(jpeg):
    """Pillow's JPEG rewritten with the header layout of files from old Adobe Photoshop (4.0),
    like Pillow's own test image hopper.jpg: JFIF 1.01 at 96 dpi, a comment, and one
    quantisation or Huffman table per segment (Pillow groups them). The scan is unchanged."""
    found, scan = segments(jpeg)
    out = [b"\xff\xd8", segment(0xE0, b"JFIF\x00\x01\x01\x01\x00\x60\x00\x60\x00\x00"),
           segment(0xFE, b"Trenza test file in the layout of Adobe Photoshop 4.0\x00")]
    for marker, payload in found:
        if marker == 0xDB:  # DQT: one precision/index byte, then 64 (8-bit) or 128 bytes
            while payload:
                size = 1 + (128 if payload[0] >> 4 else 64)
                out.append(segment(0xDB, payload[:size]))
                payload = payload[size:]
        elif marker == 0xC4:  # DHT: class/index byte, 16 counts, then that many symbols
            while payload:
                size = 17 + sum(payload[1:17])
                out.append(segment(0xC4, payload[:size]))
                payload = payload[size:]
        elif marker not in (0xE0, 0xFE):
            out.append(segment(marker, payload))
    return b"".join(out) + scan


def segment(marker, payload):
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def broken_files(png, jpeg):
    broken = {}
    # A header claiming 20000×20000 with the first rows of data: small, but 1.2 GB decoded. If
    # the size check came after allocation or decoding, the error would be about missing data.
    ihdr = struct.pack(">IIBBBBB", 20000, 20000, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\0" * (1 + 20000 * 3) * 16, 9)
    broken["bomb.png"] = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    sof = jpeg.index(b"\xff\xc0")
    patched = bytearray(jpeg)
    patched[sof + 5:sof + 9] = struct.pack(">HH", 60000, 50000)  # height, width
    broken["bomb.jpg"] = bytes(patched)
    return broken


def png_problems(data):
    """What a strict reader finds wrong with a PNG Trenza wrote (8-bit L/RGB/RGBA, not
    interlaced), as sentences; none for a valid file. Stricter than Pillow, which skips CRCs of
    ancillary chunks and does not care about bytes after IEND."""
    problems = []
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return ["no PNG signature"]
    position, chunks = 8, []
    while position < len(data):
        if position + 12 > len(data):
            return problems + [f"chunk header cut at byte {position}"]
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if len(body) != length or position + 12 + length > len(data):
            return problems + [f"{kind!r} cut short"]
        (crc,) = struct.unpack(">I", data[position + 8 + length:position + 12 + length])
        if crc != zlib.crc32(kind + body) & 0xFFFFFFFF:
            problems.append(f"{kind!r} CRC mismatch")
        chunks.append((kind, body))
        position += 12 + length
        if kind == b"IEND":
            break
    if position != len(data):
        problems.append(f"{len(data) - position} bytes after IEND")
    kinds = [kind for kind, _ in chunks]
    if not kinds or kinds[0] != b"IHDR" or len(chunks[0][1]) != 13:
        return problems + ["IHDR is not the first chunk or not 13 bytes"]
    if kinds[-1] != b"IEND" or chunks[-1][1]:
        problems.append("IEND is not last or not empty")
    idats = [index for index, kind in enumerate(kinds) if kind == b"IDAT"]
    if not idats or idats != list(range(idats[0], idats[-1] + 1)):
        problems.append("IDAT chunks missing or not consecutive")
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    channels = {0: 1, 2: 3, 6: 4}.get(colour)
    if not width or not height or depth != 8 or channels is None or (compression, filtering, interlace) != (0, 0, 0):
        return problems + [f"unexpected IHDR {width}x{height} depth {depth} colour {colour}"]
    stream = zlib.decompressobj()  # checks the zlib header and the Adler-32 at the end
    try:
        raw = stream.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    except zlib.error as error:
        return problems + [f"zlib: {error}"]
    if not stream.eof or stream.unused_data:
        problems.append("the zlib stream does not end exactly at the end of the IDAT data")
    stride = 1 + width * channels
    if len(raw) != stride * height:
        return problems + [f"{len(raw)} bytes of filtered rows, expected {stride * height}"]
    bad = [row for row in range(height) if raw[row * stride] > 4]
    if bad:
        problems.append(f"rows {bad[:5]} have filter types above 4")
    return problems


def main():
    out = Path(sys.argv[1])
    fixtures = out / "fixtures"
    fixtures.mkdir(parents=True, exist_ok=True)
    manifest = {"pillow": PIL.__version__, "cases": {}, "ours": {}}

    files = {**png_fixtures(), **jpeg_fixtures()}
    for name, data in files.items():
        extension = "png" if name.startswith("png") else "jpg"
        path = fixtures / f"{name}.{extension}"
        path.write_bytes(data)
        with Image.open(path) as im:
            mode, pixels = expected(im)
            (fixtures / f"{name}.raw").write_bytes(pixels)
            manifest["cases"][name] = {
                "file": path.name, "raw": f"{name}.raw", "mode": mode,
                "width": im.width, "height": im.height, "pillowMode": im.mode,
            }
    for name, data in broken_files(files["png-RGB"], files["jpeg-RGB"]).items():
        (fixtures / name).write_bytes(data)

    ours = out / "ours"
    if ours.is_dir():
        for path in sorted(ours.iterdir()):
            if path.suffix not in (".png", ".jpg"):
                continue
            with Image.open(path) as im:
                im.load()
                mode, pixels = expected(im)
                path.with_suffix(".raw").write_bytes(pixels)
                entry = {"raw": path.with_suffix(".raw").name, "mode": mode, "width": im.width,
                         "height": im.height, "pillowMode": im.mode, "format": im.format}
                if im.format == "JPEG":
                    entry["subsampling"] = JpegImagePlugin.get_sampling(im)
                else:
                    entry["problems"] = png_problems(path.read_bytes())
                manifest["ours"][path.stem] = entry

    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
