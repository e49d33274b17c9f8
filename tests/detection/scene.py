"""Test scenes as BGR frames: a person cut from ``skimage.data.astronaut()`` walking across a still
background, the background alone, a sudden brightness change, and a plain shape moving.

The background is ``skimage.data.brick()`` (a wall, greyscale) stretched, tinted and scaled to the frame;
the person is the astronaut's upper body (where the model found her in the whole picture), scaled
to about two thirds of the frame's height, on her own photo's backdrop.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

import cv2
import numpy as np
from skimage import data

WIDTH, HEIGHT, FPS = 640, 360, 5


@cache
def background() -> np.ndarray:
    wall = cv2.resize(data.brick(), (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA)
    # A daylight picture's range of greys (the brick photo's own is narrow).
    wall = cv2.normalize(wall, None, 30, 210, cv2.NORM_MINMAX)
    return cv2.merge([wall, (wall * 0.9).astype(np.uint8), (wall * 0.8).astype(np.uint8)])


@cache
def person(height: int = 230) -> np.ndarray:
    astronaut = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)[30:512, 0:380]
    width = round(astronaut.shape[1] * height / astronaut.shape[0])
    return cv2.resize(astronaut, (width, height), interpolation=cv2.INTER_AREA)


def still(frames: int) -> Iterator[np.ndarray]:
    for _ in range(frames):
        yield background()


def walking(frames: int, start_x: int = -120, end_x: int = 560, top: int = 110) -> Iterator[np.ndarray]:
    """The person crossing from ``start_x`` to ``end_x`` (left edges, may be outside the frame)."""
    figure = person()
    height, width = figure.shape[:2]
    for step in range(frames):
        x = round(start_x + (end_x - start_x) * step / max(1, frames - 1))
        frame = background().copy()
        left, right = max(0, x), min(WIDTH, x + width)
        if right > left:
            frame[top:top + height, left:right] = figure[:, left - x:right - x]
        yield frame


def brightness_step(frames: int, at: int) -> Iterator[np.ndarray]:
    lit = cv2.convertScaleAbs(background(), alpha=1.4, beta=70)
    for step in range(frames):
        yield background() if step < at else lit


def moving_shape(frames: int) -> Iterator[np.ndarray]:
    for step in range(frames):
        frame = background().copy()
        x = 20 + step * (WIDTH - 180) // max(1, frames - 1)
        cv2.rectangle(frame, (x, 140), (x + 120, 220), (40, 160, 220), -1)
        yield frame


def to_yuv(frame: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420)
