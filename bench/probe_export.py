"""One measured download of positions.csv, in its own process so that its memory is its own.

python bench/probe_export.py SLUG   → one JSON line: rows, bytes, seconds, first byte, memory
"""

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.test import Client  # noqa: E402

PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


def rss_mb() -> float:
    """The process's resident memory now (the peak counter would hide growth below an earlier
    peak, such as the one Django's start-up leaves)."""
    resident_pages = int(Path("/proc/self/statm").read_text().split()[1])
    return resident_pages * PAGE_BYTES / 2**20


def main(slug: str) -> None:
    client = Client(HTTP_HOST="localhost")
    client.get(f"/n/{slug}/gaps.csv")  # warm: imports, connections, templates
    baseline = rss_mb()
    started = time.perf_counter()
    response = client.get(f"/n/{slug}/positions.csv")
    assert response.status_code == 200, response.status_code
    first_byte = None
    size = lines = 0
    neutralised = True
    peak = baseline
    for chunk in response.streaming_content:
        peak = max(peak, rss_mb())
        if first_byte is None:
            first_byte = time.perf_counter() - started
        size += len(chunk)
        lines += chunk.count(b"\n")
        if b",=1+1" in chunk or b"\n=1+1" in chunk:
            neutralised = False
    elapsed = time.perf_counter() - started
    print(
        json.dumps(
            {
                "rows": lines - 1,
                "bytes": size,
                "seconds": elapsed,
                "first_byte_seconds": first_byte,
                "memory_growth_mb": peak - baseline,
                "formulas_neutralised": neutralised and size > 0,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
