"""Idle memory and request latency of ``securitycam serve`` (one process: waitress and the appliance).

    python bench/serve_footprint.py [--seconds 10] [--requests 500]

Prints the idle RSS and USS of each process (the appliance, its ffmpeg for the synthetic camera)
and in total, after the given seconds of idling, then the
median and p99 of authenticated GET /settings and GET /system_alert_state round trips while 20
SSE clients are connected.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import psutil
import requests
from local_server import LocalServer, percentile


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        server = LocalServer(data_dir)
        base = server.base
        try:
            server.wait_up()
            time.sleep(args.seconds)
            master = psutil.Process(server.proc.pid)
            processes = [master, *master.children(recursive=True)]
            total_rss = total_uss = 0
            roles = ["appliance"]
            for index, process in enumerate(processes):
                info = process.memory_full_info()
                total_rss += info.rss
                total_uss += info.uss
                role = roles[index] if index < len(roles) else process.name()
                mib = 2**20
                print(f"idle {role} (pid {process.pid}): RSS {info.rss / mib:.1f} MiB, USS {info.uss / mib:.1f} MiB")
            print(f"idle total: RSS {total_rss / 2**20:.1f} MiB, USS (not shared) {total_uss / 2**20:.1f} MiB")

            session = requests.Session()
            session.headers.update(server.headers)
            streams = [session.get(f"{base}/events", stream=True, timeout=5) for _ in range(20)]
            for path in ("/settings", "/system_alert_state"):
                samples = []
                for _ in range(args.requests):
                    started = time.perf_counter()
                    assert session.get(f"{base}{path}", timeout=5).status_code == 200
                    samples.append((time.perf_counter() - started) * 1000)
                print(f"GET {path} with 20 SSE clients: median {statistics.median(samples):.2f} ms, "
                      f"p99 {percentile(samples, 0.99):.2f} ms over {args.requests}")
            for stream in streams:
                stream.close()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
