"""Page weight and first contentful paint of the public portal at 375 px in headless Chromium.

Serves the app on a free loopback port (threaded werkzeug, in this process) over an existing
database, or measures a running server (``--url``), and loads each /open/ page ``--runs``
times in headless Chromium with a 375 x 812 phone viewport and the browser cache disabled.
Reports per page: bytes transferred and decoded (document plus every sub-resource, from the
Resource Timing API), first-contentful-paint and responseStart (Performance API) as medians
over the runs; the first run also warms the portal's aggregate cache, so the median is the
warm figure and ``first_fcp_ms`` the cold one. Prints JSON.

    python -m benchmarks.bench_portal                      # the embedded database of make run
    python -m benchmarks.bench_portal --sqlite /tmp/x.sqlite3 --runs 5 --screenshots artifacts/p
    python -m benchmarks.bench_portal --url http://127.0.0.1:5000
    python -m benchmarks.bench_portal --seed 900       # a fresh demo database in a temp folder
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import statistics
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

PAGES = ("/open/", "/open/departments/", "/open/issues", "/open/rectification", "/open/data/")
WIDTH, HEIGHT = 375, 812

# Waits for the first-contentful-paint entry (a buffered observer sees one already recorded;
# a page that never paints answers null after 5 s), then sums the bytes of every request.
_METRICS_JS = """
const done = arguments[arguments.length - 1];
const report = (fcp) => {
  const nav = performance.getEntriesByType('navigation')[0];
  const res = performance.getEntriesByType('resource');
  const sum = (k) => res.reduce((a, r) => a + (r[k] || 0), nav[k] || 0);
  done({fcp: fcp, ttfb: nav.responseStart, status: nav.responseStatus, transfer: sum('transferSize'),
        decoded: sum('decodedBodySize'), requests: res.length + 1});
};
const timer = setTimeout(() => report(null), 5000);
new PerformanceObserver((list) => {
  const paint = list.getEntries().find(p => p.name === 'first-contentful-paint');
  if (paint) { clearTimeout(timer); report(paint.startTime); }
}).observe({type: 'paint', buffered: true});
"""


@contextmanager
def _serve(sqlite: str, overrides: dict[str, str] | None = None) -> Iterator[str]:
    from werkzeug.serving import make_server

    from citizenvoice import create_app
    from config import DevelopmentConfig

    if not Path(sqlite).is_file():
        # SQLite would create an empty file and every page would measure the 503 page.
        raise SystemExit(f"{sqlite} does not exist: run `make run` first, or pass --sqlite/--seed")
    env = {**os.environ, **(overrides or {}), "DATABASE_URL": f"sqlite:///{Path(sqlite).resolve()}"}
    env.pop("REDIS_URL", None)
    app = create_app(DevelopmentConfig(env))
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log on stdout
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@contextmanager
def _chromium() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="cv-bench-")
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or shutil.which("chromium-browser") or ""
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        f"--user-data-dir={profile}",
        f"--window-size={WIDTH},{HEIGHT}",
    ):
        options.add_argument(flag)
    options.add_experimental_option(
        "mobileEmulation",
        {"deviceMetrics": {"width": WIDTH, "height": HEIGHT, "pixelRatio": 2.0}},
    )
    driver = webdriver.Chrome(
        service=Service(executable_path=shutil.which("chromedriver") or ""), options=options
    )
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(10)
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _full_page_shot(driver: Any, path: str) -> None:
    """The whole page at the phone's width (after measuring: the resize cannot skew a figure)."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": WIDTH, "height": min(height, 8000), "deviceScaleFactor": 1, "mobile": True},
    )
    driver.save_screenshot(path)
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def measure(base: str, runs: int, screenshots: str | None) -> dict[str, Any]:
    """Load every page ``runs`` times; medians of FCP, TTFB and bytes per page."""
    report: dict[str, Any] = {"viewport": f"{WIDTH}x{HEIGHT}", "runs": runs, "pages": {}}
    with _chromium() as driver:
        for path in PAGES:
            samples = []
            for _ in range(runs):
                driver.get(base + path)
                sample = driver.execute_async_script(_METRICS_JS)
                # An error page (a 503 without the database) also paints: never report it.
                if sample.get("status") not in (None, 0, 200):
                    raise SystemExit(f"{path} answered HTTP {sample['status']}: nothing to measure")
                samples.append(sample)
            if screenshots:
                os.makedirs(screenshots, exist_ok=True)
                name = path.strip("/").replace("/", "-") or "open"
                _full_page_shot(driver, os.path.join(screenshots, f"{name}.png"))
            fcps = [s["fcp"] for s in samples if s["fcp"] is not None]
            report["pages"][path] = {
                "transfer_bytes": int(statistics.median(s["transfer"] for s in samples)),
                "decoded_bytes": int(statistics.median(s["decoded"] for s in samples)),
                "requests": samples[-1]["requests"],
                "first_fcp_ms": round(samples[0]["fcp"] or 0, 1),
                "fcp_ms_median": round(statistics.median(fcps), 1) if fcps else None,
                "ttfb_ms_median": round(statistics.median(s["ttfb"] for s in samples), 1),
            }
    return report


@contextmanager
def _seeded(messages: int) -> Iterator[tuple[str, dict[str, str]]]:
    """A fresh embedded database with ``messages`` demo messages (``flask seed``), removed after."""
    import subprocess
    import sys

    folder = tempfile.mkdtemp(prefix="cv-bench-portal-")
    database = os.path.join(folder, "portal.sqlite3")
    env = {
        **os.environ,
        "CITIZENVOICE_ENV": "development",
        "DATABASE_URL": f"sqlite:///{database}",
        "CITIZENVOICE_OPEN_DATA_DIR": os.path.join(folder, "opendata"),
        "CITIZENVOICE_AUDIT_ANCHOR": os.path.join(folder, "audit.anchor"),
    }
    env.pop("REDIS_URL", None)
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    try:
        for command in (["db", "upgrade"], ["seed", "--messages", str(messages)]):
            subprocess.run([*flask, *command], env=env, check=True, capture_output=True)
        yield (
            database,
            {key: env[key] for key in ("CITIZENVOICE_OPEN_DATA_DIR", "CITIZENVOICE_AUDIT_ANCHOR")},
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    """Parse arguments, serve (or use --url), measure, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite", default="instance/citizenvoice.sqlite3")
    parser.add_argument("--url", default=None, help="measure a running server instead")
    parser.add_argument("--seed", type=int, default=None, help="seed a fresh temp database first")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--screenshots", default=None, help="save a 375-px screenshot per page")
    args = parser.parse_args()
    if args.url:
        report = measure(args.url.rstrip("/"), args.runs, args.screenshots)
    elif args.seed is not None:
        with _seeded(args.seed) as (database, overrides), _serve(database, overrides) as base:
            report = measure(base, args.runs, args.screenshots)
    else:
        with _serve(args.sqlite) as base:
            report = measure(base, args.runs, args.screenshots)
    print(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
