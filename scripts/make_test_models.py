"""Make the tiny YOLO-style models the detector tests load (tests/detection/models/).

    /tmp/convvenv/bin/python scripts/make_test_models.py   (a venv with onnx and tensorflow-cpu,
                                                            as scripts/convert_person_model.sh makes)

Both models take a float NHWC 64×64 RGB image and return, whatever the image, the same YOLOv8-style
output ``[1, 4 + 2 classes, 8 anchors]`` (centre x, y, width, height in input pixels, then the
scores of ``person`` and ``car``): a person in the middle found twice (one box must survive
non-maximum suppression), a car top left, and five boxes below any threshold. They test the
plugins' plumbing (loading, input layout, output decoding, label maps), not a model's skill.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "tests" / "detection" / "models"
ANCHORS = np.zeros((6, 8), dtype=np.float32)
ANCHORS[:, 0] = [32, 32, 20, 40, 0.9, 0.1]
ANCHORS[:, 1] = [33, 32, 20, 40, 0.8, 0.1]
ANCHORS[:, 2] = [10, 10, 8, 8, 0.05, 0.6]
OUTPUT = ANCHORS[np.newaxis]


def onnx_model(path: Path) -> None:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes = [
        helper.make_node("ReduceMean", ["images"], ["mean"], keepdims=1),
        helper.make_node("Mul", ["mean", "zero"], ["nothing"]),
        helper.make_node("Reshape", ["nothing", "one_shape"], ["flat"]),
        helper.make_node("Add", ["anchors", "flat"], ["output0"]),
    ]
    graph = helper.make_graph(
        nodes, "tiny_yolo",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 64, 64, 3])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, [1, 6, 8])],
        [numpy_helper.from_array(OUTPUT, "anchors"), numpy_helper.from_array(np.zeros(1, np.float32), "zero"),
         numpy_helper.from_array(np.array([1, 1, 1], dtype=np.int64), "one_shape")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)


def tflite_model(path: Path) -> None:
    import tensorflow as tf

    anchors = tf.constant(OUTPUT)

    @tf.function(input_signature=[tf.TensorSpec([1, 64, 64, 3], tf.float32)])
    def detect(images: tf.Tensor) -> tf.Tensor:
        return anchors + 0.0 * tf.reduce_mean(images)

    converter = tf.lite.TFLiteConverter.from_concrete_functions([detect.get_concrete_function()], detect)
    path.write_bytes(converter.convert())


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    onnx_model(OUT / "tiny_yolo.onnx")
    if "--no-tflite" not in sys.argv:
        tflite_model(OUT / "tiny_yolo.tflite")
    (OUT / "tiny_yolo.labels").write_text("person\ncar\n")


if __name__ == "__main__":
    main()
