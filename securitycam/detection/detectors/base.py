"""What an object detector is, the registry that finds one by type, and the output decoders the
model-running detectors share.

A detector looks at one square region of a frame, already resized to its :attr:`Detector.input_size`
(BGR, ``uint8``), and returns :class:`Detection` boxes normalised to that region (0..1); the
pipeline maps them back to the frame. A new detector type is one module in this package with a
class decorated by :func:`register_detector`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

if TYPE_CHECKING:
    # numpy is imported where a model's tensors are handled: settings validation imports this
    # package, and an appliance with no camera detecting never loads numpy (~15 MB).
    import numpy as np

    from securitycam.config.detection import DetectorSettings, ModelSettings

DETECTOR_TYPES: dict[str, type[Detector]] = {}

# Boxes scoring less than this are not worth returning (per-label ``min_score`` filters later).
FLOOR_SCORE = 0.3


class DetectorError(RuntimeError):
    """A detector that cannot be built (missing runtime, unreadable model or label map)."""


class Detection(NamedTuple):
    label: str
    score: float
    # x1, y1, x2, y2 as fractions of the region.
    box: tuple[float, float, float, float]


def register_detector(type_name: str):  # type: ignore[no-untyped-def]
    def decorate(cls: type[Detector]) -> type[Detector]:
        cls.type_name = type_name
        DETECTOR_TYPES[type_name] = cls
        return cls

    return decorate


class Detector:
    """One loaded model. ``runs_model`` is false for ``none`` (motion only)."""

    type_name: ClassVar[str] = ""
    runs_model: ClassVar[bool] = True
    input_size: tuple[int, int] = (300, 300)

    def __init__(self, settings: DetectorSettings, model: ModelSettings) -> None:
        self.settings = settings
        self.model = model

    def detect(self, image: np.ndarray) -> list[Detection]:
        raise NotImplementedError


def read_labelmap(path: str) -> dict[int, str]:
    """A label map file: ``id label`` per line, or one label per line (its id is the line number)."""
    try:
        lines = [line.strip() for line in Path(path).read_text().splitlines()]
    except OSError as exc:
        raise DetectorError(f"cannot read label map {path}: {exc}") from exc
    labels: dict[int, str] = {}
    for number, line in enumerate(lines):
        first, _, rest = line.partition(" ")
        if first.isdigit() and rest.strip():
            labels[int(first)] = rest.strip()
        elif line:
            labels[number] = line
    return labels


def prepare_input(image: np.ndarray, model: ModelSettings) -> np.ndarray:
    """A BGR region as the model wants it: channel order, layout, type, batch of one."""
    import numpy as np

    pixels = image[:, :, ::-1] if model.input_pixel_format == "rgb" else image
    if model.input_tensor == "nchw":
        pixels = pixels.transpose(2, 0, 1)
    batch = np.ascontiguousarray(pixels)[np.newaxis]
    return batch.astype(np.float32) / 255.0 if model.input_dtype == "float" else batch


def decode_ssd(boxes: np.ndarray, scores: np.ndarray, classes: np.ndarray, count: Any,
               labels: dict[int, str]) -> list[Detection]:
    """TF Object Detection API outputs: boxes ``[1, N, 4]`` as ymin, xmin, ymax, xmax fractions."""
    import numpy as np

    found = []
    total = int(np.asarray(count).reshape(-1)[0]) if count is not None else len(scores.reshape(-1))
    for (ymin, xmin, ymax, xmax), score, class_id in zip(
            boxes.reshape(-1, 4)[:total], scores.reshape(-1)[:total], classes.reshape(-1)[:total], strict=True):
        label = labels.get(int(class_id))
        if score >= FLOOR_SCORE and label is not None:
            found.append(Detection(label, float(score), (float(xmin), float(ymin), float(xmax), float(ymax))))
    return found


def decode_yolo(output: np.ndarray, labels: dict[int, str], width: int, height: int,
                nms_threshold: float = 0.45) -> list[Detection]:
    """YOLOv8-style output ``[1, 4 + classes, anchors]`` (or transposed): centre x, y, width,
    height in input pixels, then one score per class; overlapping boxes are suppressed."""
    import cv2
    import numpy as np

    rows = output.reshape(output.shape[-2], output.shape[-1])
    if rows.shape[0] < rows.shape[1]:
        rows = rows.T
    class_scores = rows[:, 4:]
    class_ids = class_scores.argmax(axis=1)
    scores = class_scores[np.arange(len(rows)), class_ids]
    keep = scores >= FLOOR_SCORE
    rows, class_ids, scores = rows[keep], class_ids[keep], scores[keep]
    if not len(rows):
        return []
    boxes = [[float(cx - w / 2), float(cy - h / 2), float(w), float(h)] for cx, cy, w, h in rows[:, :4]]
    chosen = cv2.dnn.NMSBoxes(boxes, scores.astype(float).tolist(), FLOOR_SCORE, nms_threshold)
    found = []
    for index in np.asarray(chosen).reshape(-1):
        label = labels.get(int(class_ids[index]))
        if label is None:
            continue
        x, y, w, h = boxes[index]
        found.append(Detection(label, float(scores[index]),
                               (x / width, y / height, (x + w) / width, (y + h) / height)))
    return found
