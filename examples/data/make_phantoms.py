#!/usr/bin/env python3
"""Writes the small synthetic example inputs shipped with mvg_infer (pure standard library).

Two 64x64 slices of a head-like phantom (ellipses in the manner of Shepp & Logan, 1974) at two
positions along z, with label maps: 1 = left inner ellipse, 2 = right inner ellipse.
  prompt_image.png, prompt_label.png  (slice z = 0.0)
  query_image.png,  query_label.png   (slice z = 0.4: the structures have moved and shrunk)
Label PNGs hold class ids (0, 1, 2) as pixel values. Run: python3 make_phantoms.py
"""
import struct
import zlib

N = 64


def png(path, rows):
    raw = b"".join(b"\x00" + bytes(r) for r in rows)

    def chunk(kind, data):
        c = struct.pack(">I", len(data)) + kind + data
        return c + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    head = struct.pack(">IIBBBBB", len(rows[0]), len(rows), 8, 0, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", head) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def inside(x, y, cx, cy, a, b):
    return ((x - cx) / a) ** 2 + ((y - cy) / b) ** 2 <= 1.0


def phantom(z):
    img, lab = [], []
    for r in range(N):
        irow, lrow = [], []
        for c in range(N):
            x, y = (c + 0.5) / N * 2 - 1, (r + 0.5) / N * 2 - 1
            v, l = 0.0, 0
            if inside(x, y, 0, 0, 0.72, 0.9):
                v = 0.9  # skull
            if inside(x, y, 0, 0, 0.66, 0.84):
                v = 0.35  # brain
            s = 1.0 - 0.5 * z
            if inside(x, y, -0.25 - 0.1 * z, -0.1, 0.16 * s, 0.3 * s):
                v, l = 0.6, 1
            if inside(x, y, 0.28 + 0.1 * z, 0.05 + 0.2 * z, 0.13 * s, 0.2 * s):
                v, l = 0.15, 2
            irow.append(int(round(v * 255)))
            lrow.append(l)
        img.append(irow)
        lab.append(lrow)
    return img, lab


for name, z in (("prompt", 0.0), ("query", 0.4)):
    i, l = phantom(z)
    png(f"{name}_image.png", i)
    png(f"{name}_label.png", l)
