"""``tflite``: a TensorFlow Lite model under ai-edge-litert (the ``[tflite]`` extra; it ships
wheels for x86-64 and aarch64 Linux). The top-level ``Model`` section describes it as for ``onnx``;
an SSD model's four outputs are told apart by shape, as their order differs between exports."""

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


@register_detector("tflite")
class TfliteDetector(Detector):
    def __init__(self, settings: DetectorSettings, model: ModelSettings) -> None:
        super().__init__(settings, model)
        if not model.path or not model.labelmap_path:
            raise DetectorError("detector tflite needs Model.path (a .tflite file) and Model.labelmap_path")
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as exc:
            raise DetectorError("detector tflite needs ai-edge-litert (pip install 'securitycam[tflite]')") from exc
        self.labels = read_labelmap(model.labelmap_path)
        self.input_size = (model.width, model.height)
        try:
            self.interpreter = Interpreter(model_path=model.path, num_threads=settings.num_threads)
            self.interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            raise DetectorError(f"cannot load model {model.path}: {exc}") from exc
        self.input_index = self.interpreter.get_input_details()[0]["index"]
        self.outputs = self.interpreter.get_output_details()

    def detect(self, image: np.ndarray) -> list[Detection]:
        self.interpreter.set_tensor(self.input_index, prepare_input(image, self.model))
        self.interpreter.invoke()
        tensors = [self.interpreter.get_tensor(output["index"]) for output in self.outputs]
        if self.model.model_type == "yolo":
            return decode_yolo(tensors[0], self.labels, *self.input_size)
        boxes = next(t for t in tensors if t.ndim == 3 and t.shape[-1] == 4)
        count = next((t for t in tensors if t.size == 1), None)
        per_box = [t for t in tensors if t.ndim == 2 and t.shape[-1] == boxes.shape[1]]
        # Of the two per-box outputs, class ids are whole numbers; scores are fractions.
        classes, scores = sorted(per_box[:2], key=lambda t: float(abs(t - t.round()).sum()))
        return decode_ssd(boxes, scores, classes, count, self.labels)
