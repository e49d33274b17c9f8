"""Motion detector cost: ms per frame at 640×480 and 1920×1080 over 300 frames of a moving shape.

    .venv/bin/python bench/motion.py [--frames 300]

Frames are made up front (a grey rectangle sliding over a noisy still background), so only the
detector is timed: resize, contrast, mask, blur, delta, threshold, dilate, contours. Target on
the development machine: at most 1.0 ms and 1.3 ms.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from securitycam.config.detection import MotionSettings
from securitycam.detection.motion import MotionDetector


def frames(width: int, height: int, count: int) -> list[np.ndarray]:
    rng = np.random.default_rng(1)
    background = rng.integers(60, 120, size=(height, width), dtype=np.uint8)
    side = height // 5
    made = []
    for number in range(count):
        frame = background.copy()
        x = int((width - side) * (number % 100) / 100)
        frame[height // 3: height // 3 + side, x: x + side] = 200
        made.append(frame)
    return made


def measure(width: int, height: int, count: int) -> tuple[float, float, int]:
    images = frames(width, height, count)
    detector = MotionDetector(MotionSettings(), width, height)
    # OpenCV sets itself up on first use; that is not the per-frame cost.
    MotionDetector(MotionSettings(), width, height).detect(images[0])
    timings, with_motion = [], 0
    for image in images:
        start = time.perf_counter()
        boxes = detector.detect(image)
        timings.append((time.perf_counter() - start) * 1000)
        with_motion += bool(boxes)
    return statistics.mean(timings), statistics.median(timings), with_motion


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300)
    args = parser.parse_args()
    for width, height in ((640, 480), (1920, 1080)):
        mean, median, with_motion = measure(width, height, args.frames)
        print(f"{width}x{height}: {mean:.3f} ms/frame mean, {median:.3f} ms median "
              f"({with_motion}/{args.frames} frames with motion)")


if __name__ == "__main__":
    main()
