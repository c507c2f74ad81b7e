"""Writes Pillow's results for Trenza's image filters, for FilterParityTests.swift to compare.

Usage: scripts/with-pillow.sh Tests/TrenzaImagingTests/pillow_parity.py OUTDIR

Generates deterministic photo-like test images (gradients, noise, a flat patch, a hard-edged
checker, so that clipping and flat areas are exercised), applies filter pipelines written as
Trenza's tokens ("blur,contrast=1.5,grayscale") with Pillow, and writes into OUTDIR:
  in_N.raw / out_N.raw   raw interleaved bytes (Image.tobytes())
  manifest.json          {"pillow": version, "cases": [{label, width, height, mode, input,
                          filters, output, outputMode}]}
"""

import json
import math
import random
import sys
from pathlib import Path

import PIL
from PIL import Image, ImageEnhance, ImageFilter

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


def apply(image, filters):
    for token in filters.split(","):
        name, _, value = token.partition("=")
        if name in KERNELS:
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

    cases = []
    for n, (label, image, pipelines) in enumerate(images):
        input_name = f"in_{n}.raw"
        (out / input_name).write_bytes(image.tobytes())
        for filters in pipelines:
            result = apply(image, filters)
            output_name = f"out_{len(cases)}.raw"
            (out / output_name).write_bytes(result.tobytes())
            cases.append({
                "label": label, "width": image.width, "height": image.height,
                "mode": image.mode, "input": input_name, "filters": filters,
                "output": output_name, "outputMode": result.mode,
            })
    manifest = {"pillow": PIL.__version__, "cases": cases}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))


if __name__ == "__main__":
    main()
