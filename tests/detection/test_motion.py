"""The motion detector on synthetic grey frames: boxes where something moves, none for a still
picture, none (and a fresh background) for a whole-frame change, nothing under a mask."""

from __future__ import annotations

import numpy as np
import pytest

from securitycam.config.detection import MotionSettings
from securitycam.detection.motion import MotionDetector

W, H = 640, 360


@pytest.fixture
def background() -> np.ndarray:
    return np.random.default_rng(3).integers(70, 110, size=(H, W), dtype=np.uint8)


def with_square(background: np.ndarray, x: int, y: int = 120, side: int = 80, value: int = 220) -> np.ndarray:
    frame = background.copy()
    frame[y:y + side, x:x + side] = value
    return frame


def test_still_picture_has_no_motion(background: np.ndarray) -> None:
    detector = MotionDetector(MotionSettings(), W, H)
    assert all(detector.detect(background.copy()) == [] for _ in range(20))


def test_moving_square_gives_a_box_around_it_in_detect_pixels(background: np.ndarray) -> None:
    detector = MotionDetector(MotionSettings(), W, H)
    for _ in range(5):
        detector.detect(background)
    boxes = detector.detect(with_square(background, 300))
    assert len(boxes) == 1
    x1, y1, x2, y2 = boxes[0]
    # The box covers the square (80 px at 300,120), give or take the working image's pixels.
    assert x1 <= 305 and x2 >= 375 and y1 <= 125 and y2 >= 195
    assert x2 - x1 < 130 and y2 - y1 < 130


@pytest.mark.parametrize("improve_contrast", [True, False])
def test_whole_frame_change_is_ignored_and_recalibrates(background: np.ndarray, improve_contrast: bool) -> None:
    detector = MotionDetector(MotionSettings(improve_contrast=improve_contrast), W, H)
    for _ in range(5):
        detector.detect(background)
    # Lights on: brighter and with the texture inverted, so contrast stretching cannot undo it.
    lit = (255 - background // 2).astype(np.uint8)
    assert detector.detect(lit) == []
    assert detector.recalibrations == 1
    # The new picture is the background now: still no motion on the next frames.
    assert detector.detect(lit) == [] and detector.detect(lit) == []


def test_a_smaller_lightning_threshold_catches_a_half_frame_change(background: np.ndarray) -> None:
    half = background.copy()
    half[:, : W // 2] = 250
    loose = MotionDetector(MotionSettings(improve_contrast=False), W, H)
    strict = MotionDetector(MotionSettings(improve_contrast=False, lightning_threshold=0.4), W, H)
    for detector in (loose, strict):
        detector.detect(background)
    assert loose.detect(half) != []
    assert strict.detect(half) == []


def test_motion_under_a_mask_is_not_reported(background: np.ndarray) -> None:
    masked = MotionDetector(MotionSettings(mask=["250,100,450,100,450,260,250,260"]), W, H)
    relative = MotionDetector(MotionSettings(mask=["0.39,0.27,0.71,0.27,0.71,0.73,0.39,0.73"]), W, H)
    plain = MotionDetector(MotionSettings(), W, H)
    for detector in (masked, relative, plain):
        detector.detect(background)
    moved = with_square(background, 300)
    assert plain.detect(moved) != []
    assert masked.detect(moved) == []
    assert relative.detect(moved) == []


def test_threshold_and_contour_area_knobs(background: np.ndarray) -> None:
    faint = with_square(background, 300, value=120)  # about 30 above the background
    tiny = with_square(background, 300, side=6)
    sensitive = MotionDetector(MotionSettings(threshold=10), W, H)
    deaf = MotionDetector(MotionSettings(threshold=200), W, H)
    picky = MotionDetector(MotionSettings(contour_area=50), W, H)
    for detector in (sensitive, deaf, picky):
        detector.detect(background)
    assert sensitive.detect(faint) != []
    assert deaf.detect(faint) == []
    assert picky.detect(tiny) == []


def test_slow_walker_does_not_fade_into_the_background(background: np.ndarray) -> None:
    detector = MotionDetector(MotionSettings(frame_alpha=0.2), W, H)
    detector.detect(background)
    # Something stands still for a while after arriving: it keeps showing as motion for the first
    # frames (the background only follows persistent motion after ten frames).
    standing = with_square(background, 200)
    results = [detector.detect(standing) for _ in range(9)]
    assert all(results)
