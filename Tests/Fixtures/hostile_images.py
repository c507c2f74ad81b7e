"""Hostile image files: tiny on disk, each once cost gigabytes or minutes to refuse.

Usage: scripts/with-pillow.sh Tests/Fixtures/hostile_images.py OUTDIR

Writes into OUTDIR (Pillow is needed only for the progressive JPEG the scan files start from):
  huge-ihdr.png         69 bytes whose IHDR claims 2,147,483,647 × 1 RGB pixels (libpng set up
                        6 GB of row buffers before the pixel limit was checked)
  chunk-TYPE.png        a 1×1 PNG followed by a TYPE chunk claiming 2^31 - 1 bytes, for the text
                        chunks, iCCP, eXIf and an unknown ancillary one (libpng allocated the
                        claimed size of a text chunk before finding the file ends)
  late-tEXt.png         the same claim after the image data, where it is read at the end
  scans-N.jpg           a progressive JPEG whose last scan is repeated N more times (every scan
                        is a pass over the whole image; Pillow writes 10 scans, so scans-90 has
                        100 and scans-91 has 101)
  progressive.jpg       the same JPEG unrepeated
"""

import io
import struct
import sys
import zlib
from pathlib import Path

from PIL import Image

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CLAIM = 0x7FFFFFFF  # the largest length PNG allows


def chunk(kind, data):
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def claimed_chunk(kind):
    """A chunk header claiming 2 GB, followed by only a few bytes of it."""
    return struct.pack(">I", CLAIM) + kind + b"Comment\0"


def png_files():
    files = {}
    ihdr = struct.pack(">IIBBBBB", 2147483647, 1, 8, 2, 0, 0, 0)
    files["huge-ihdr.png"] = (SIGNATURE + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0\0\0\0", 9))
                              + chunk(b"IEND", b""))
    tiny = SIGNATURE + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    for kind in (b"tEXt", b"zTXt", b"iTXt", b"iCCP", b"eXIf", b"teSt"):
        files[f"chunk-{kind.decode()}.png"] = tiny + claimed_chunk(kind)
    files["late-tEXt.png"] = tiny + chunk(b"IDAT", zlib.compress(b"\0\x80")) + claimed_chunk(b"tEXt")
    return files


def progressive_jpeg():
    # Flat grey: the last scan (a refinement of the luma AC coefficients) is a few bytes of
    # end-of-band runs, yet decoding it still visits every block of the 1024×1024 image.
    buffer = io.BytesIO()
    Image.new("RGB", (1024, 1024), (120, 130, 140)).save(buffer, "JPEG", quality=90, progressive=True)
    return buffer.getvalue()


def repeat_last_scan(jpeg, times):
    start = jpeg.rindex(b"\xff\xda")  # the last start-of-scan; its data runs to end-of-image
    end = len(jpeg) - 2
    assert jpeg[end:] == b"\xff\xd9", "the JPEG must end with EOI"
    return jpeg[:end] + jpeg[start:end] * times + jpeg[end:]


def main():
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    files = png_files()
    jpeg = progressive_jpeg()
    files["progressive.jpg"] = jpeg
    for times in (90, 91, 2000):
        files[f"scans-{times}.jpg"] = repeat_last_scan(jpeg, times)
    for name, data in files.items():
        (out / name).write_bytes(data)


if __name__ == "__main__":
    main()
