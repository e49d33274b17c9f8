"""Object detectors, keyed by ``type`` (``cpu``, ``onnx``, ``tflite``, ``none``).

Every module in this package is imported here, so a detector registers itself just by existing.
Modules import their runtimes (onnxruntime, ai-edge-litert) only when a detector is built.
"""

from __future__ import annotations

import importlib
import pkgutil

from securitycam.detection.detectors.base import DETECTOR_TYPES, Detection, Detector, DetectorError, register_detector

for _module in pkgutil.iter_modules(__path__):
    if _module.name != "base":
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["DETECTOR_TYPES", "Detection", "Detector", "DetectorError", "build_detector", "register_detector"]


def build_detector(settings, model):  # type: ignore[no-untyped-def]
    """The detector for a :class:`~securitycam.config.detection.DetectorSettings`."""
    return DETECTOR_TYPES[settings.type](settings, model)
