"""Detection figures: one camera at 5 fps with a person walking past every 20 s, for 60 s.

    python bench/detection.py [--seconds 60]

Runs the real appliance (no web server) in a temporary data directory; the camera is a ``file``
source playing a 20 s clip in a loop (5 s of a still wall, a person cut from
``skimage.data.astronaut()`` crossing in 6 s, 9 s of wall; the clip is made by a child process so
scikit-image never enters ours). Prints: our process's CPU (% of one core) and its ffmpeg's, our
RSS with the model loaded (steady, after the run), the model's ms per region, the share of
frames that ran no model, and the events it opened.
Targets (issue #11): frames without motion run no model; our RSS under 200 MB.
"""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

# Benchmark the checkout this script is in, whatever is installed.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from securitycam.appliance import Appliance, Hardware  # noqa: E402
from securitycam.system.runner import RecordingRunner  # noqa: E402

MAKE_CLIP = """
import subprocess, sys
import numpy as np
from tests.detection import scene
from tests.detection.test_end_to_end import make_clip
make_clip(__import__("pathlib").Path(sys.argv[1]),
          [*scene.still(25), *scene.walking(30), *scene.still(45)])
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as temp:
        clip = Path(temp) / "walk.mp4"
        subprocess.run([sys.executable, "-c", MAKE_CLIP, str(clip)], cwd=ROOT, check=True)
        appliance = Appliance.build(Path(temp) / "data", Hardware(runner=RecordingRunner()))
        appliance.settings.update({"Cameras": [{
            "name": "cam", "source": "file", "path": str(clip), "width": 640, "height": 360, "fps": 5,
            "detect": {"enabled": True, "fps": 5}}]})
        me = psutil.Process()
        rss_before = me.memory_info().rss
        appliance.start()
        try:
            time.sleep(3)  # ffmpeg up, the model loaded, frames flowing
            pid = appliance.recorder.cameras["cam"].supervisor.pid
            ffmpeg = psutil.Process(pid) if pid else None
            cpu0, wall0 = me.cpu_times(), time.monotonic()
            ffmpeg0 = ffmpeg.cpu_times() if ffmpeg else None
            stats0 = dict(appliance.detection.status()["cameras"]["cam"])
            peak = 0
            while time.monotonic() - wall0 < args.seconds:
                time.sleep(1)
                peak = max(peak, me.memory_info().rss)
            cpu1, wall1 = me.cpu_times(), time.monotonic()
            ffmpeg1 = ffmpeg.cpu_times() if ffmpeg else None
            stats = appliance.detection.status()["cameras"]["cam"]
            rss = me.memory_info().rss
            events = appliance.events.list(camera="cam")
        finally:
            appliance.stop()
    elapsed = wall1 - wall0
    ours = (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / elapsed * 100
    frames = stats["frames"] - stats0["frames"]
    idle = stats["frames_without_model"] - stats0["frames_without_model"]
    print(f"{elapsed:.0f} s, {frames} frames ({frames / elapsed:.1f} fps), {stats['regions']} regions")
    print(f"our process CPU: {ours:.1f} % of one core")
    if ffmpeg0 and ffmpeg1:
        spent = ffmpeg1.user + ffmpeg1.system - ffmpeg0.user - ffmpeg0.system
        print(f"its ffmpeg CPU: {spent / elapsed * 100:.1f} % of one core (decode, encode, frames)")
    print(f"our RSS: {rss / 2**20:.0f} MB at the end, {peak / 2**20:.0f} MB peak "
          f"({rss_before / 2**20:.0f} MB before the cameras and the model)")
    moving = stats["frames_with_motion"] - stats0["frames_with_motion"]
    print(f"model: {stats['model_cpu_ms_per_region']} CPU ms per region; "
          f"motion: {stats['motion_ms_per_frame']} ms per frame")
    print(f"frames that ran no model: {idle}/{frames} ({idle / max(1, frames):.0%}); frames with motion: {moving} "
          f"(the others ran the model only while a tracked object was due a look)")
    print(f"events: {[(e.label, round(e.end_time - e.start_time, 1) if e.end_time else None) for e in events]}")


if __name__ == "__main__":
    main()
