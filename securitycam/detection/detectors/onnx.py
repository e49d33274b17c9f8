"""``onnx``: a model file under onnxruntime (the top-level ``Model`` section says its input and
output shapes; ``ssd`` or ``yolo``). The ``cpu`` detector is this one with the shipped model."""

from __future__ import annotations

from typing import TYPE_CHECKING

from securitycam.detection.detectors.base import (
    Detection,
    Detector,
    DetectorError,
    decode_ssd,
    decode_yolo,
    prepare_input,
    read_labelmap,
    register_detector,
)

if TYPE_CHECKING:
    import numpy as np

    from securitycam.config.detection import DetectorSettings, ModelSettings


@register_detector("onnx")
class OnnxDetector(Detector):
    def __init__(self, settings: DetectorSettings, model: ModelSettings) -> None:
        super().__init__(settings, model)
        if not model.path:
            raise DetectorError("detector onnx needs Model.path (an .onnx file)")
        self.labels = self._labels()
        self.input_size = (model.width, model.height)
        try:
            import onnxruntime
        except ImportError as exc:
            raise DetectorError("detector onnx needs onnxruntime (pip install onnxruntime)") from exc
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = settings.num_threads
        options.inter_op_num_threads = 1
        # The arena and the memory pattern keep the peak of every run reserved (15 MB here); without them
        # RSS stays near the model's size.
        options.enable_cpu_mem_arena = False
        options.enable_mem_pattern = False
        options.log_severity_level = 3
        try:
            self.session = onnxruntime.InferenceSession(model.path, options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types for unreadable models
            raise DetectorError(f"cannot load model {model.path}: {exc}") from exc
        self.input_name = self.session.get_inputs()[0].name

    def _labels(self) -> dict[int, str]:
        if not self.model.labelmap_path:
            raise DetectorError("detector onnx needs Model.labelmap_path (one label per line)")
        return read_labelmap(self.model.labelmap_path)

    def detect(self, image: np.ndarray) -> list[Detection]:
        outputs = self.session.run(None, {self.input_name: prepare_input(image, self.model)})
        if self.model.model_type == "yolo":
            return decode_yolo(outputs[0], self.labels, *self.input_size)
        boxes, scores, classes, *rest = outputs
        return decode_ssd(boxes, scores, classes, rest[0] if rest else None, self.labels)
