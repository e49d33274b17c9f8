"""``none``: no object detection; the camera records on motion (``motion.record``)."""

from __future__ import annotations

import numpy as np

from securitycam.detection.detectors.base import Detection, Detector, register_detector


@register_detector("none")
class NoDetector(Detector):
    runs_model = False

    def detect(self, image: np.ndarray) -> list[Detection]:
        return []
