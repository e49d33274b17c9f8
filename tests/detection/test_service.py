"""The detection service inside the appliance: sensor events become review items, a settings
change restarts only the camera it concerns, and a crash's leftovers are closed at start."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from securitycam.app import create_app
from securitycam.appliance import Appliance, Hardware
from tests.conftest import FAST_DELAYS, PASSWORD
from tests.recorder.conftest import wait_for


def cameras(**second: object) -> list[dict]:
    return [{"name": "cam", "detect": {"enabled": True}},
            {"name": "side", "detect": {"enabled": True, "detector": "none"}, **second}]


def test_a_sensor_event_opens_a_review_item_naming_the_sensor(app, client: FlaskClient) -> None:
    appliance: Appliance = app.extensions["securitycam"]
    event = appliance.events.open("cam", "sensor", "reed_switch", sub_label="front door")
    (item,) = appliance.detection.reviews.list(cameras=["cam"])
    assert item.data["sensors"] == ["front door"] and item.data["detections"] == [event.id]
    assert item.severity == "detection"  # a door on its own, no person seen
    appliance.events.end(event.id)
    # Quiet for review.quiet_seconds (5 s) after the door's event: the item ends (the service ticks).
    appliance.settings.update({"Cameras": [{"name": "cam", "review": {"quiet_seconds": 0}}]})
    assert wait_for(lambda: appliance.detection.reviews.get(item.id).end_time, timeout=5)


def test_changing_one_cameras_detection_restarts_only_its_pipeline(app, client: FlaskClient) -> None:
    appliance: Appliance = app.extensions["securitycam"]
    assert client.post("/settings", json={"Cameras": cameras()}).status_code == 200
    detection = appliance.detection
    wait_for(lambda: set(detection.pipelines) == {"cam", "side"}, timeout=5)
    first, second = detection.pipelines["cam"], detection.pipelines["side"]
    assert first.detector.type_name == "cpu" and second.detector.type_name == "none"
    changed = client.post("/settings", json={"Cameras": cameras(zones={"door": {"coordinates": "0,0,9,0,9,9"}})})
    assert changed.status_code == 200
    wait_for(lambda: detection.pipelines.get("side") not in (None, second), timeout=5)
    assert detection.pipelines["cam"] is first


def test_a_broken_detector_falls_back_to_motion_only_with_a_clear_error(app, client: FlaskClient) -> None:
    response = client.post("/settings", json={"Detectors": {"cpu": {"type": "cpu"}, "mine": {"type": "onnx"}},
                                              "Cameras": [{"name": "cam", "detect": {"enabled": True,
                                                                                     "detector": "mine"}}]})
    assert response.status_code == 200
    detection = app.extensions["securitycam"].detection
    wait_for(lambda: "cam" in detection.errors, timeout=5)
    assert "Model.path" in detection.errors["cam"]
    assert detection.pipelines["cam"].detector.type_name == "none"


def test_leftovers_of_a_crash_are_closed_at_start(tmp_path: Path, hardware: Hardware,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECURITYCAM_PASSWORD", PASSWORD)
    app = create_app(tmp_path / "data", hardware, start=False, config=FAST_DELAYS)
    appliance: Appliance = app.extensions["securitycam"]
    stale = appliance.events.open("cam", "object", "person", start_time=1000.0, data={"last_seen": 1012.5})
    sensor = appliance.events.open("cam", "sensor", "reed_switch", start_time=1000.0)
    item = appliance.detection.reviews.open("cam", 1000.0, "alert")
    appliance.start()
    try:
        assert appliance.events.get(stale.id).end_time == 1012.5
        assert appliance.detection.reviews.get(item.id).end_time is not None
        # The sensor that opened this one died with the crash too: the recorder ends it, at the
        # camera's last footage (none here: where it began).
        assert appliance.events.get(sensor.id).end_time == 1000.0
    finally:
        appliance.stop()
