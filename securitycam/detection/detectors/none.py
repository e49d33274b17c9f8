"""``none``: no object detection; the camera records on motion (``motion.record``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from securitycam.detection.detectors.base import Detection, Detector, register_detector

if TYPE_CHECKING:
    import numpy as np


@register_detector("none")
class NoDetector(Detector):
    runs_model = False

    def detect(self, image: np.ndarray) -> list[Detection]:
        return []
