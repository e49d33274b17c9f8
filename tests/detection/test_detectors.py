"""Detector plugins: the shipped person model, a user's ONNX (SSD and YOLO outputs) and TFLite
model, the label maps, and clear errors for what cannot be loaded."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from skimage import data

from securitycam.config.detection import DetectorSettings, ModelSettings
from securitycam.detection.detectors import DETECTOR_TYPES, DetectorError, build_detector
from securitycam.detection.detectors.base import prepare_input, read_labelmap
from securitycam.detection.detectors.cpu import MODEL_FILE

MODELS = Path(__file__).parent / "models"
TINY = {"labelmap_path": str(MODELS / "tiny_yolo.labels"), "model_type": "yolo", "width": 64, "height": 64,
        "input_dtype": "float"}


def astronaut(size: int = 300) -> np.ndarray:
    return cv2.resize(cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR), (size, size))


def test_every_type_registers_itself() -> None:
    assert {"cpu", "onnx", "tflite", "none"} <= set(DETECTOR_TYPES)


def test_the_shipped_model_finds_the_astronaut() -> None:
    assert MODEL_FILE.stat().st_size > 10_000_000 and MODEL_FILE.with_suffix(".LICENSE").exists()
    detector = build_detector(DetectorSettings(), ModelSettings())
    assert detector.input_size == (300, 300)
    (person,) = detector.detect(astronaut())
    assert person.label == "person" and person.score > 0.8
    x1, y1, x2, y2 = person.box
    # She fills most of the picture, left of the flag.
    assert x1 < 0.1 and y1 < 0.2 and 0.5 < x2 < 0.85 and y2 > 0.9
    # A wall is nobody.
    assert [d for d in detector.detect(cv2.resize(cv2.cvtColor(data.brick(), cv2.COLOR_GRAY2BGR), (300, 300)))
            if d.score > 0.5] == []


def test_onnx_runs_a_users_ssd_model(tmp_path: Path) -> None:
    labels = tmp_path / "labels.txt"
    labels.write_text("1 person\n")
    detector = build_detector(DetectorSettings(type="onnx"), ModelSettings(
        path=str(MODEL_FILE), labelmap_path=str(labels), width=300, height=300))
    assert [d.label for d in detector.detect(astronaut())] == ["person"]


@pytest.mark.parametrize("kind", ["onnx", "tflite"])
def test_yolo_outputs_are_decoded_with_non_maximum_suppression(kind: str) -> None:
    if kind == "tflite":
        pytest.importorskip("ai_edge_litert")
    detector = build_detector(DetectorSettings(type=kind), ModelSettings(path=str(MODELS / f"tiny_yolo.{kind}"),
                                                                         **TINY))
    found = sorted(detector.detect(np.zeros((64, 64, 3), np.uint8)), key=lambda d: d.label, reverse=True)
    assert [d.label for d in found] == ["person", "car"]
    person, car = found
    assert person.score == pytest.approx(0.9)
    assert person.box == pytest.approx((22 / 64, 12 / 64, 42 / 64, 52 / 64))
    assert car.score == pytest.approx(0.6) and car.box == pytest.approx((6 / 64, 6 / 64, 14 / 64, 14 / 64))


def test_label_maps_with_or_without_ids(tmp_path: Path) -> None:
    plain = tmp_path / "plain.txt"
    plain.write_text("person\nbicycle\n\ncar\n")
    numbered = tmp_path / "numbered.txt"
    numbered.write_text("1 person\n3 car\n")
    assert read_labelmap(str(plain)) == {0: "person", 1: "bicycle", 3: "car"}
    assert read_labelmap(str(numbered)) == {1: "person", 3: "car"}


def test_input_layouts() -> None:
    image = np.zeros((2, 3, 3), np.uint8)
    image[..., 0] = 10  # blue
    rgb = prepare_input(image, ModelSettings())
    assert rgb.shape == (1, 2, 3, 3) and rgb.dtype == np.uint8 and rgb[0, 0, 0, 2] == 10
    planar = prepare_input(image, ModelSettings(input_tensor="nchw", input_pixel_format="bgr", input_dtype="float"))
    assert planar.shape == (1, 3, 2, 3) and planar.dtype == np.float32 and planar[0, 0, 0, 0] == pytest.approx(10 / 255)


@pytest.mark.parametrize(("model", "message"), [
    ({}, "Model.path"),
    ({"path": "/nonexistent.onnx", "labelmap_path": "/nonexistent.txt"}, "cannot read label map"),
    ({"path": __file__, "labelmap_path": str(MODELS / "tiny_yolo.labels")}, "cannot load model"),
])
def test_unusable_models_raise_clear_errors(model: dict, message: str) -> None:
    with pytest.raises(DetectorError, match=message):
        build_detector(DetectorSettings(type="onnx"), ModelSettings(**model))
