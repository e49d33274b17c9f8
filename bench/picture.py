"""Picture-settings figures: what night mode's brightness sample costs (the latest.jpg it reads is
at most ``frame_width``, 640, wide), how long a camera is without fresh frames when its settings
change, and ffmpeg's CPU with and without the picture filters (eq + transpose) on the synthetic
camera.

    python bench/picture.py [--seconds 20]

Runs the real appliance (two synthetic 640x480 cameras at 10 fps, real ffmpeg) in a temporary
data directory.
"""

from __future__ import annotations

import argparse
import io
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

# Benchmark the checkout this script is in, whatever is installed.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recorder import wait  # bench/recorder.py, a sibling (bench/ is first on the path)

from securitycam.app import create_app
from securitycam.appliance import Hardware
from securitycam.imaging import mean_brightness
from securitycam.system.runner import RecordingRunner

CAMERA = {"width": 640, "height": 480, "fps": 10, "frame_rate": 2}


def sample_cost() -> None:
    from PIL import Image

    for width, height in ((640, 360), (1296, 972), (1920, 1080)):
        out = io.BytesIO()
        Image.effect_noise((width, height), 60).convert("RGB").save(out, "JPEG", quality=80)
        jpeg = out.getvalue()
        times = []
        for _ in range(30):
            begun = time.perf_counter()
            mean_brightness(jpeg)
            times.append((time.perf_counter() - begun) * 1000)
        print(f"night-mode sample (mean_brightness) of a {width}x{height} JPEG of noise (worst case): median "
              f"{statistics.median(times):.2f} ms, max {max(times):.2f} ms")


def ffmpeg_cpu(appliance, name: str, seconds: float) -> float:  # type: ignore[no-untyped-def]
    process = psutil.Process(appliance.recorder.cameras[name].supervisor.pid)
    start = sum(process.cpu_times()[:2])
    time.sleep(seconds)
    return (sum(process.cpu_times()[:2]) - start) / seconds * 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="how long to measure ffmpeg's CPU")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    sample_cost()
    with tempfile.TemporaryDirectory() as data:
        app = create_app(data, Hardware(runner=RecordingRunner()), start=False)
        appliance = app.extensions["securitycam"]
        appliance.settings.update({"Cameras": [{"name": "a", **CAMERA}, {"name": "b", **CAMERA}],
                                   "Auth": {"enabled": False}})
        appliance.start()
        try:
            cameras = appliance.recorder.cameras
            wait(lambda: all(c.latest_frame() for c in cameras.values()), 30)
            time.sleep(3)
            plain = ffmpeg_cpu(appliance, "a", args.seconds)
            client = app.test_client()
            gaps = []
            for brightness in (0.3, -0.3, 0.2, -0.2, 0.1):
                old = cameras["a"].supervisor.pid
                other = cameras["b"].supervisor.pid
                begun = time.monotonic()
                client.post("/isp_settings", json={"camera": "a", "brightness": brightness})
                wait(lambda old=old: cameras["a"].supervisor.pid not in (None, old), 30)
                started = time.time()
                wait(lambda started=started: cameras["a"].frame_path.stat().st_mtime > started, 30)
                gaps.append(time.monotonic() - begun)
                assert cameras["b"].supervisor.pid == other
            print(f"POST /isp_settings -> first frame of the restarted camera (5 runs): median "
                  f"{statistics.median(gaps):.2f} s, max {max(gaps):.2f} s; the other camera's ffmpeg never restarted")
            client.post("/stream_settings", json={"camera": "a", "rotation": 90})
            wait(lambda: cameras["a"].camera.rotation == 90, 30)
            time.sleep(3)
            filtered = ffmpeg_cpu(appliance, "a", args.seconds)
            print(f"ffmpeg CPU for 640x480 @ 10 fps synthetic (libx264 ultrafast): plain {plain:.1f} %, "
                  f"with eq + transpose {filtered:.1f} % of one core (over {args.seconds:g} s each)")
        finally:
            appliance.stop()


if __name__ == "__main__":
    main()
