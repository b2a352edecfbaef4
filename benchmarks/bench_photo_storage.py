"""Benchmark the photo storages: filesystem against an S3-compatible server, and an outage.

Prints one JSON object. Run: ``.venv/bin/python -m benchmarks.bench_photo_storage [--repeat 30]``.

Starts moto's standalone S3 server on 127.0.0.1 (a free port; a test dependency), makes a
bucket, and times ``save`` / ``read`` / ``delete`` of a 1.4 MB object (the size a 12 MP phone
photo is kept at) with :class:`FilesystemStorage` in a temporary folder and with
:class:`S3Storage`: median and p95 milliseconds. Then stops the server and times how long a
``save`` takes to raise ``StorageUnavailable`` (connection refused, one retry): the extra wait
before an upload's 503. moto is an in-process Python server, so the S3 figures bound the
client's overhead rather than a real MinIO's speed. The machine is shared: read them as rough.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import tempfile
import time
from collections.abc import Callable

import boto3
from moto.server import ThreadedMotoServer

from citizenvoice.services.media_storage import FilesystemStorage, MediaStorage, StorageUnavailable
from citizenvoice.services.s3_storage import S3Storage, parse_s3_url


def _ms(action: Callable[[], object], repeat: int) -> dict[str, float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "median_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 2),
    }


def _cycle(storage: MediaStorage, data: bytes, repeat: int) -> dict[str, dict[str, float]]:
    names: list[str] = []
    save = _ms(lambda: names.append(storage.save(data)), repeat)
    read = _ms(lambda: storage.read(names[0]), repeat)
    delete = _ms(lambda: storage.delete(names.pop()), repeat)
    return {"save": save, "read": read, "delete": delete}


def main() -> None:
    """Print the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    data = os.urandom(1_400_000)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's access log
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    boto3.client(
        "s3",
        endpoint_url=f"http://{host}:{port}",
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    ).create_bucket(Bucket="bench")
    s3 = S3Storage(parse_s3_url(f"s3://bench:bench@{host}:{port}/bench?secure=0&timeout=2"))
    with tempfile.TemporaryDirectory() as folder:
        figures = {
            "object_bytes": len(data),
            "repeat": args.repeat,
            "filesystem": _cycle(FilesystemStorage(folder), data, args.repeat),
            "s3_moto": _cycle(s3, data, args.repeat),
        }
    server.stop()

    def refused() -> None:
        try:
            s3.save(data)
        except StorageUnavailable:
            return
        raise AssertionError("the stopped server took the object")

    figures["s3_down_save_to_error"] = _ms(refused, 5)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
