"""Detection settings through the public settings API: defaults, validation with clear errors,
and that changing only detection knobs does not restart the recording."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from securitycam.config.detection import polygon_points
from securitycam.config.models import Settings


def test_defaults_follow_frigate() -> None:
    camera = Settings().Cameras[0]
    assert (camera.detect.width, camera.detect.height, camera.detect.fps) == (640, 360, 5)
    assert camera.detect.initialized_frames == 2 and camera.detect.disappeared_frames == 25
    assert camera.motion.threshold == 30 and camera.motion.contour_area == 10
    assert camera.motion.lightning_threshold == 0.8 and camera.motion.frame_height == 100
    assert camera.objects.track == ["person"]
    assert camera.objects.filter_for("person").threshold == 0.7
    assert camera.objects.filter_for("person").min_score == 0.5
    assert camera.review.alerts.labels == ["person", "car"]
    assert camera.review.sensors.alert_with_labels == ["person"] and camera.review.sensors.only_when_away
    assert Settings().Detectors["cpu"].type == "cpu"


@pytest.mark.parametrize(("camera", "detect", "size"), [
    ({"width": 1280, "height": 720}, (640, 360), (640, 360)),
    ({"width": 1280, "height": 720, "rotation": 180}, (640, 360), (640, 360)),
    ({"width": 1280, "height": 720, "rotation": 90}, (640, 360), (360, 640)),  # turned: portrait
    ({"width": 1280, "height": 720, "rotation": 270}, (640, 360), (360, 640)),
    ({"width": 1280, "height": 720, "rotation": 90}, (360, 640), (360, 640)),  # written portrait already
    ({"width": 720, "height": 1280}, (640, 360), (360, 640)),  # a portrait camera, not turned
    ({"width": 720, "height": 720, "rotation": 90}, (640, 360), (640, 360)),  # square: as written
])
def test_the_detect_size_takes_the_orientation_of_the_turned_picture(camera: dict, detect: tuple, size: tuple) -> None:
    settings = Settings.model_validate({"Cameras": [{**camera, "detect": {"width": detect[0], "height": detect[1]}}]})
    assert settings.Cameras[0].detect_size() == size


def test_polygons_in_pixels_or_fractions() -> None:
    assert polygon_points("0,0,100,0,100,50", 640, 360) == [(0, 0), (100, 0), (100, 50)]
    assert polygon_points("0,0,1,0,1,0.5", 640, 360) == [(0, 0), (640, 0), (640, 180)]


def camera_with(client: FlaskClient, **changes: object) -> object:
    current = client.get("/settings").get_json()
    camera = {**current["Cameras"][0], **changes}
    return client.post("/settings", json={"Cameras": [camera]})


def test_settings_api_accepts_detection_and_refuses_bad_values(client: FlaskClient) -> None:
    ok = camera_with(client, zones={"door": {"coordinates": "0,0,100,0,100,100"}},
                     review={"alerts": {"labels": ["person"], "required_zones": ["door"]}})
    assert ok.status_code == 200, ok.get_json()
    saved = client.get("/settings").get_json()["Cameras"][0]
    assert saved["zones"]["door"]["inertia"] == 3
    for bad in ({"zones": {"z": {"coordinates": "1,2,3"}}},
                {"motion": {"mask": ["a,b,c,d,e,f"]}},
                {"objects": {"required_zones": ["nowhere"]}},
                {"detect": {"detector": "coral"}},
                {"detect": {"width": 641}}):
        response = camera_with(client, **bad)
        assert response.status_code == 400, bad
        body = response.get_json()
        assert body["success"] is False and body["message"]
    unknown = client.post("/settings", json={"Detectors": {"x": {"type": "bogus"}}})
    assert unknown.status_code == 400 and "bogus" in unknown.get_json()["message"]


def test_only_frame_knobs_change_the_recording() -> None:
    camera = Settings().Cameras[0]
    zoned = camera.model_copy(update={"zones": {}, "motion": camera.motion.model_copy(update={"threshold": 50})})
    assert zoned.recording_fields() == camera.recording_fields()
    bigger = camera.model_copy(update={"detect": camera.detect.model_copy(update={"width": 320})})
    assert bigger.recording_fields() != camera.recording_fields()
