"""Benchmark: the printable invitation sheet's QR codes (pure, no database).

``qr_svg_ms``: mean time to draw one invitation URL's QR code as inline SVG; ``svg_bytes``: its
size; ``sheet_s`` and ``sheet_mb``: the QR part of one sheet of the page's maximum (1,000).

Usage: python -m benchmarks.bench_survey_sheet [--count 1000] [--base https://example.gov.cn]
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import time

from citizenvoice.domain.survey import generate_code
from citizenvoice.domain.survey_sheet import qr_svg


def main() -> None:
    """Draw ``--count`` QR codes of fresh invitation URLs and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--base", default="https://zhengwu.example.gov.cn")
    args = parser.parse_args()
    urls = [f"{args.base}/survey/{generate_code()}" for _ in range(args.count)]
    start = time.perf_counter()
    sizes = [len(qr_svg(url)) for url in urls]
    elapsed = time.perf_counter() - start
    print(
        json.dumps(
            {
                "count": args.count,
                "qr_svg_ms": round(elapsed / args.count * 1000, 2),
                "svg_bytes": round(sum(sizes) / len(sizes)),
                "sheet_s": round(elapsed, 2),
                "sheet_mb": round(sum(sizes) / 1e6, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
