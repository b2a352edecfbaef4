"""Benchmark photo checking and re-encoding (citizenvoice.services.images).

Prints one JSON object. Run: ``.venv/bin/python -m benchmarks.bench_photos [--repeat 5]``.

Inputs are made here with Pillow: a 12 MP phone-size JPEG (4032 x 3024, noisy so it compresses
like a photo, with GPS EXIF), a 4 MP PNG screenshot, and the hostile 20,000 x 20,000 PNG of a
few KB. For each: the median wall and process CPU seconds of ``process_photo`` over
``--repeat`` runs, the sizes in and out, and the peak RSS growth of the process across the run
(ru_maxrss, so the largest input dominates). The machine is shared: read CPU beside wall.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import statistics
import struct
import time
import zlib

from PIL import Image

from citizenvoice.services.images import PhotoError, process_photo


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(side: int = 20_000) -> bytes:
    """A valid PNG header declaring side x side pixels with a few compressed rows (~1 KB)."""
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    rows = zlib.compress((b"\x00" + b"\x00" * side * 3) * 16, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", rows)
        + _chunk(b"IEND", b"")
    )


def _phone_jpeg() -> bytes:
    noise = Image.effect_noise((4032, 3024), 60).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6
    exif.get_ifd(0x8825)[2] = (28.0, 11.0, 23.45)
    out = io.BytesIO()
    noise.save(out, "JPEG", quality=92, exif=exif.tobytes())
    return out.getvalue()


def _screenshot_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (2000, 2000), (240, 240, 240)).save(out, "PNG")
    return out.getvalue()


def _measure(data: bytes, repeat: int) -> dict[str, object]:
    walls, cpus, outcome, size_out = [], [], "stored", 0
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            size_out = len(process_photo(data).data)
        except PhotoError as exc:
            outcome = f"refused: {exc.message}"
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return {
        "bytes_in": len(data),
        "bytes_out": size_out,
        "outcome": outcome,
        "wall_s_median": round(statistics.median(walls), 4),
        "cpu_s_median": round(statistics.median(cpus), 4),
    }


def main() -> None:
    """Measure each input and print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    start_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    figures = {
        "phone_jpeg_12mp": _measure(_phone_jpeg(), args.repeat),
        "screenshot_png_4mp": _measure(_screenshot_png(), args.repeat),
        "bomb_png_20000x20000": _measure(png_bomb(), args.repeat),
    }
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    figures["peak_rss_growth_mb"] = round((peak - start_rss) / 1024, 1)
    print(json.dumps(figures, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
