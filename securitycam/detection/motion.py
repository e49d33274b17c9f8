"""Motion detection on the grey picture, Frigate's way (its "improved" motion detector).

Each frame is shrunk to ``frame_height`` rows (a few thousand pixels: noise averages out and the
work is tiny), its contrast stretched between the 4th and 96th percentiles averaged over the last
50 frames (``improve_contrast``: a dim night picture still shows a person; the average keeps a
bright object walking in from remapping the whole picture at once), masked (masked pixels are painted white in both the
frame and the background, so they never differ), blurred, and compared with a running average of
past frames. Pixels that differ by more than ``threshold`` are dilated into blobs; a blob bigger
than ``contour_area`` gives a motion box, scaled back to detect coordinates.

The background follows the picture at ``frame_alpha`` per frame, but while something keeps moving
it is updated only after ten frames of motion, so a person walking slowly does not fade into it.
A change covering more than ``lightning_threshold`` of the frame (lights switched on, IR mode,
the camera moved) is not motion: no boxes, and the background is replaced by the new picture.
"""

from __future__ import annotations

import cv2
import numpy as np

from securitycam.config.detection import MotionSettings, polygon_points

Box = tuple[int, int, int, int]

# Frames of continuous motion before the background starts following it anyway.
PERSISTENT_MOTION_FRAMES = 10
# Frames whose contrast range is averaged (Frigate's count); the history starts, and starts
# again at a recalibration, filled with the first frame's range.
CONTRAST_HISTORY = 50


class MotionDetector:
    """Motion boxes (x1, y1, x2, y2 in detect pixels) for a stream of grey frames of one size."""

    def __init__(self, settings: MotionSettings, width: int, height: int) -> None:
        self.settings = settings
        self.scale = height / settings.frame_height
        self.size = (max(1, round(width / self.scale)), settings.frame_height)
        self.mask = self._mask(width, height)
        self.background: np.ndarray | None = None
        self.motion_frames = 0
        self.recalibrations = 0
        self._contrast: np.ndarray | None = None
        self._contrast_index = 0
        self._full_frame = self.size[0] * self.size[1]

    def _mask(self, width: int, height: int) -> np.ndarray | None:
        if not self.settings.mask:
            return None
        mask = np.zeros((self.size[1], self.size[0]), dtype=np.uint8)
        for polygon in self.settings.mask:
            points = np.array(polygon_points(polygon, width, height), dtype=np.float32) / self.scale
            cv2.fillPoly(mask, [points.round().astype(np.int32)], 255)
        return mask.astype(bool)

    def detect(self, gray: np.ndarray) -> list[Box]:
        settings = self.settings
        small = cv2.resize(gray, self.size, interpolation=cv2.INTER_LINEAR)
        if settings.improve_contrast:
            small = self._stretch_contrast(small)
        if self.mask is not None:
            small[self.mask] = 255
        small = cv2.GaussianBlur(small, (3, 3), 0)
        if self.background is None:
            self.background = small.astype(np.float32)
            return []
        delta = cv2.absdiff(small, cv2.convertScaleAbs(self.background))
        _, changed = cv2.threshold(delta, settings.threshold, 255, cv2.THRESH_BINARY)
        changed = cv2.dilate(changed, None, iterations=1)
        contours, _ = cv2.findContours(changed, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        boxes: list[Box] = []
        total_area = 0.0
        for contour in contours:
            area = cv2.contourArea(contour)
            total_area += area
            if area > settings.contour_area:
                x, y, w, h = cv2.boundingRect(contour)
                boxes.append((int(x * self.scale), int(y * self.scale),
                              int((x + w) * self.scale), int((y + h) * self.scale)))
        if total_area / self._full_frame > settings.lightning_threshold:
            self.background = small.astype(np.float32)
            self._contrast = None
            self.motion_frames = 0
            self.recalibrations += 1
            return []
        if boxes:
            self.motion_frames += 1
            if self.motion_frames >= PERSISTENT_MOTION_FRAMES:
                cv2.accumulateWeighted(small, self.background, settings.frame_alpha)
        else:
            self.motion_frames = 0
            cv2.accumulateWeighted(small, self.background, settings.frame_alpha)
        return boxes

    def _stretch_contrast(self, image: np.ndarray) -> np.ndarray:
        """Map the averaged 4th..96th percentiles onto 0..255 (percentiles from a histogram: fast)."""
        histogram = cv2.calcHist([image], [0], None, [256], [0, 256]).ravel().cumsum()
        total = histogram[-1]
        low = int(np.searchsorted(histogram, total * 0.04))
        high = int(np.searchsorted(histogram, total * 0.96))
        if high <= low:  # a single colour: nothing to stretch
            return image
        if self._contrast is None:
            self._contrast = np.tile(np.array([low, high], dtype=np.float32), (CONTRAST_HISTORY, 1))
        self._contrast[self._contrast_index] = (low, high)
        self._contrast_index = (self._contrast_index + 1) % CONTRAST_HISTORY
        low_mean, high_mean = self._contrast.mean(axis=0)
        scale = 255.0 / max(1.0, high_mean - low_mean)
        table = np.clip((np.arange(256, dtype=np.float32) - low_mean) * scale, 0, 255).astype(np.uint8)
        return cv2.LUT(image, table)
