"""Writes Pillow's results for Trenza's image filters, for FilterParityTests.swift to compare.

Usage: scripts/with-pillow.sh Tests/TrenzaImagingTests/pillow_parity.py OUTDIR

Generates deterministic photo-like test images (gradients, noise, a flat patch, a hard-edged
checker, so that clipping and flat areas are exercised), applies filter pipelines written as
Trenza's tokens ("blur,contrast=1.5,grayscale", "thumbnail=64x64,sharpen") with Pillow, and writes
into OUTDIR:
  in_N.raw / out_N.raw   raw interleaved bytes (Image.tobytes())
  file_N.jpg             JPEG inputs, which the Swift side must decode itself: thumbnails that
                         come first use Pillow's draft (libjpeg's DCT scaling), and orient reads
                         the EXIF Orientation tag
  manifest.json          {"pillow": version, "cases": [{label, width, height, mode, input,
                          filters, output, outputMode, outputWidth, outputHeight}]}; for a JPEG
                         input, "input" is the .jpg and width/height/mode are Pillow's decode's
"""

import json
import math
import random
import sys
from pathlib import Path

import PIL
from PIL import Image, ImageEnhance, ImageFilter, ImageOps

KERNELS = {
    "blur": ImageFilter.BLUR,
    "sharpen": ImageFilter.SHARPEN,
    "contour": ImageFilter.CONTOUR,
    "detail": ImageFilter.DETAIL,
    "edge_enhance": ImageFilter.EDGE_ENHANCE,
    "edge_enhance_more": ImageFilter.EDGE_ENHANCE_MORE,
    "emboss": ImageFilter.EMBOSS,
    "find_edges": ImageFilter.FIND_EDGES,
    "smooth": ImageFilter.SMOOTH,
    "smooth_more": ImageFilter.SMOOTH_MORE,
}
ENHANCERS = {
    "contrast": ImageEnhance.Contrast,
    "brightness": ImageEnhance.Brightness,
    "color": ImageEnhance.Color,
    "sharpness": ImageEnhance.Sharpness,
}

# One of every filter, with the factors the tutorial and the Swift tests use.
SINGLES = list(KERNELS) + [
    "grayscale", "contrast", "brightness=1.7", "color=0.2", "sharpness=2.0",
]
PIPELINES = [
    "blur,sharpen,contour,grayscale,contrast",  # the tutorial's order
    "blur,contrast,grayscale",
    "contrast=0.3",
    "contrast=2.5",
    "contrast=0",
    "contrast=-0.7",
    "brightness=0.4",
    "brightness=3.1",
    "color=1.8",
    "color=-0.5",
    "color=0",
    "sharpness=0.5",
    "sharpness=-1.3",
    "sharpness=7.25",
    "detail,smooth_more,emboss",
    "grayscale,find_edges,edge_enhance_more",
    "edge_enhance,smooth,sharpness=2.0,color=0.2",
]
# The largest image only gets these, to keep the (debug-build) Swift side quick.
BIG_PIPELINES = [
    "blur", "smooth_more", "detail", "sharpen",
    "blur,sharpen,contour,grayscale,contrast",
    "contrast=2.5", "color=0.2", "sharpness=2.0", "brightness=1.7",
]


def tokens(filters):
    """Splits a pipeline like Trenza does: a crop box keeps its own three commas."""
    pieces = filters.split(",")
    while pieces:
        token = pieces.pop(0)
        if token.startswith("crop="):
            token = ",".join([token] + pieces[:3])
            del pieces[:3]
        yield token


def apply(image, filters):
    for token in tokens(filters):
        name, _, value = token.partition("=")
        if name == "resize":
            size, _, resample = value.partition(":")
            width, height = map(int, size.split("x"))
            method = Image.Resampling[resample.upper()] if resample else None
            image = image.resize((width, height), method)
        elif name == "thumbnail":
            # In place, and on the opened file when it comes first: that is when draft applies.
            image.thumbnail(tuple(map(int, value.split("x"))))
        elif name == "crop":
            x, y, w, h = map(int, value.split(","))
            image = image.crop((x, y, x + w, y + h))
        elif name == "rotate":
            image = image.rotate(int(value), expand=True)
        elif name == "flip":
            image = ImageOps.flip(image)
        elif name == "mirror":
            image = ImageOps.mirror(image)
        elif name == "orient":
            image = ImageOps.exif_transpose(image)
        elif name in KERNELS:
            image = image.filter(KERNELS[name])
        elif name == "grayscale":
            image = image.convert("L")
        elif name in ENHANCERS:
            factor = float(value) if value else 1.5
            image = ENHANCERS[name](image).enhance(factor)
        else:
            raise ValueError(f"unknown filter {token!r}")
    return image


def photo_like(width, height, mode, seed):
    """Smooth gradients and waves plus noise, with a flat patch and a 0/255 checker."""
    rng = random.Random(seed)
    bands = len(mode)
    noise = rng.randbytes(width * height * bands)
    amplitude = rng.choice([4, 12, 40])
    waves = [(rng.uniform(0.01, 0.2), rng.uniform(0.01, 0.2), rng.uniform(0, 6.3),
              rng.uniform(-0.5, 1.5), rng.uniform(-0.5, 1.5)) for _ in range(bands)]
    flat = (width // 3, height // 3, width // 3 + 6, height // 3 + 6)
    checker = (width // 2, height // 2, width // 2 + 5, height // 2 + 5)
    data = bytearray(width * height * bands)
    scale = 255 / max(1, width + height - 2)
    i = 0
    for y in range(height):
        for x in range(width):
            in_flat = flat[0] <= x < flat[2] and flat[1] <= y < flat[3]
            in_checker = checker[0] <= x < checker[2] and checker[1] <= y < checker[3]
            for c in range(bands):
                fx, fy, phase, gx, gy = waves[c]
                if in_flat:
                    v = 97 + 13 * c
                elif in_checker:
                    v = 255 if (x + y + c) & 1 else 0
                else:
                    v = (gx * x + gy * y) * scale + 60 * math.sin(fx * x + fy * y + phase)
                    v += (noise[i] - 128) * amplitude / 128
                data[i] = min(255, max(0, int(v)))
                i += 1
    return Image.frombytes(mode, (width, height), bytes(data))


def palette_image(width, height, seed):
    """A "P" image with a random palette, converted to RGB as a decoder would."""
    rng = random.Random(seed)
    palette = rng.randbytes(256 * 3)
    indices = bytes((x * 7 + y * 3 + rng.randrange(4)) % 256
                    for y in range(height) for x in range(width))
    image = Image.frombytes("P", (width, height), indices)
    image.putpalette(palette)
    return image.convert("RGB")


RESAMPLE = ["nearest", "box", "bilinear", "hamming", "bicubic", "lanczos"]


def geometry_pipelines(width, height):
    """Resizes with every filter up, down, to 1x1 and to a mixed size; crops, turns and flips;
    thumbnails; and geometry mixed with the other filters."""
    down = f"{max(1, width // 3)}x{max(1, height // 2)}"
    up = f"{width * 2 + 1}x{height * 3}"
    mixed = f"{width + 3}x{max(1, height // 2)}"
    pipelines = []
    for method in RESAMPLE:
        pipelines += [f"resize={down}:{method}", f"resize={up}:{method}",
                      f"resize=1x1:{method}", f"resize={mixed}:{method}"]
    crop = f"crop={width // 4},{height // 3},{max(1, width // 2)},{max(1, height // 2)}"
    pipelines += [
        f"resize={down}", f"resize={width}x{height}", "crop=0,0,1,1", crop,
        f"crop=0,0,{width},{height}", "rotate=90", "rotate=180", "rotate=270", "flip", "mirror",
        "orient", "thumbnail=16x16", "thumbnail=5x100", "thumbnail=1x1", "thumbnail=100x3",
        f"thumbnail={width}x{height}",
        "thumbnail=16x16,sharpen",
        f"{crop},blur,resize={up}",
        f"rotate=90,grayscale,resize={down}:lanczos",
        "mirror,contrast=2.0,flip,rotate=270",
        f"resize={mixed}:hamming,edge_enhance,thumbnail=8x8",
    ]
    return pipelines


EXTREMES = [
    ((1000, 3), [f"resize=7x1:{m}" for m in RESAMPLE] + ["thumbnail=7x7", "thumbnail=50x50"]),
    ((3, 1), [f"resize=500x2:{m}" for m in RESAMPLE] + ["thumbnail=2x2"]),
    ((1, 1), [f"resize=9x4:{m}" for m in RESAMPLE]),
    # Big enough for thumbnails to reduce by whole factors (not RGBA: Pillow skips that there).
    ((200, 150), ["thumbnail=16x16", "thumbnail=33x70", "thumbnail=64x64,smooth", "thumbnail=199x150",
                  "thumbnail=7x5", "resize=30x20", "resize=30x20:lanczos"]),
]


def exif_bytes(orientation, big_endian=False):
    """An APP1 payload holding only IFD0's Orientation, in either byte order."""
    if not big_endian:
        exif = Image.Exif()
        exif[0x0112] = orientation
        return exif.tobytes()
    entry = (0x0112).to_bytes(2, "big") + (3).to_bytes(2, "big") + (1).to_bytes(4, "big")
    entry += orientation.to_bytes(2, "big") + b"\0\0"
    return b"Exif\0\0MM\0*" + (8).to_bytes(4, "big") + (1).to_bytes(2, "big") + entry + b"\0" * 4


def jpeg_inputs(seed):
    """(label, JPEG bytes, pipelines): a large one for draft's scale 1/8, smaller colour and grey
    ones, and one per EXIF orientation in each byte order."""
    import io

    def encode(image, **options):
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=90, **options)
        return buffer.getvalue()

    files = []
    big = photo_like(1100, 830, "RGB", seed)
    files.append(("1100x830 JPEG", encode(big), [
        "thumbnail=48x48", "thumbnail=64x64", "thumbnail=100x100", "thumbnail=200x150",
        "thumbnail=500x500", "thumbnail=2000x2000", "thumbnail=256x256,sharpen",
        "thumbnail=60x400", "blur,thumbnail=48x48", "resize=64x48",
    ]))
    grey = photo_like(301, 203, "L", seed + 1)
    files.append(("301x203 grey JPEG", encode(grey), [
        "thumbnail=40x40", "thumbnail=75x75,contrast", "thumbnail=16x16",
    ]))
    small = photo_like(37, 23, "RGB", seed + 2)
    for orientation in range(1, 9):
        for big_endian in (False, True):
            order = "MM" if big_endian else "II"
            data = encode(small, exif=exif_bytes(orientation, big_endian))
            files.append((f"37x23 JPEG orientation {orientation} {order}", data,
                          ["orient", "orient,thumbnail=10x10", "thumbnail=10x10,orient",
                           "orient,crop=1,2,20,10"]))
    files.append(("37x23 JPEG without EXIF", encode(small), ["orient", "orient,rotate=90"]))
    return files


def main():
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    small_sizes = [(1, 1), (2, 2), (3, 3), (4, 5), (5, 5), (6, 4), (7, 13),
                   (1000, 1), (1, 1000), (64, 48)]
    images = []
    seed = 1
    for width, height in small_sizes:
        for mode in ("L", "RGB", "RGBA"):
            images.append((f"{width}x{height} {mode}", photo_like(width, height, mode, seed),
                           SINGLES + PIPELINES))
            seed += 1
    images.append(("palette 50x40 as RGB", palette_image(50, 40, seed), SINGLES + PIPELINES))
    seed += 1
    for mode in ("L", "RGB", "RGBA"):
        images.append((f"333x777 {mode}", photo_like(333, 777, mode, seed), BIG_PIPELINES))
        seed += 1
    for width, height in [(1, 1), (2, 3), (7, 5), (40, 30)]:
        for mode in ("L", "RGB", "RGBA"):
            images.append((f"{width}x{height} {mode} geometry", photo_like(width, height, mode, seed),
                           geometry_pipelines(width, height)))
            seed += 1
    for (width, height), pipelines in EXTREMES:
        for mode in ("L", "RGB", "RGBA"):
            images.append((f"{width}x{height} {mode} extremes", photo_like(width, height, mode, seed), pipelines))
            seed += 1

    cases = []
    for n, (label, image, pipelines) in enumerate(images):
        input_name = f"in_{n}.raw"
        (out / input_name).write_bytes(image.tobytes())
        for filters in pipelines:
            # A copy: thumbnail changes its image in place.
            result = apply(image.copy(), filters)
            output_name = f"out_{len(cases)}.raw"
            (out / output_name).write_bytes(result.tobytes())
            cases.append({
                "label": label, "width": image.width, "height": image.height,
                "mode": image.mode, "input": input_name, "filters": filters,
                "output": output_name, "outputMode": result.mode,
                "outputWidth": result.width, "outputHeight": result.height,
            })
    for n, (label, data, pipelines) in enumerate(jpeg_inputs(seed)):
        input_name = f"file_{n}.jpg"
        (out / input_name).write_bytes(data)
        for filters in pipelines:
            with Image.open(out / input_name) as opened:
                width, height, mode = opened.width, opened.height, opened.mode
                result = apply(opened, filters)
                output_name = f"out_{len(cases)}.raw"
                (out / output_name).write_bytes(result.tobytes())
            cases.append({
                "label": label, "width": width, "height": height, "mode": mode,
                "input": input_name, "filters": filters, "output": output_name,
                "outputMode": result.mode, "outputWidth": result.width, "outputHeight": result.height,
            })
    manifest = {"pillow": PIL.__version__, "cases": cases}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))


if __name__ == "__main__":
    main()
