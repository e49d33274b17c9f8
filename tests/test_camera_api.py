"""``/isp_settings``, ``/stream_settings`` and ``/night_mode`` through HTTP: defaults, saving per
camera, the seed's names in ``GET /settings``, and a 400 naming the field for each bad input."""

from __future__ import annotations

import pytest

ISP_DEFAULTS = {"brightness": 0, "contrast": 1, "saturation": 1, "sharpness": 1, "ev": 0, "awb": "auto",
                "exposure": "normal", "denoise": "off", "metering": "centre"}


@pytest.fixture
def two_cameras(appliance):
    appliance.settings.update({"Cameras": [{"name": "front"}, {"name": "back"}]})


def test_isp_defaults(client):
    assert client.get("/isp_settings").json == ISP_DEFAULTS


def test_isp_saved_and_shown_in_settings(client):
    answer = client.post("/isp_settings", json={"brightness": 0.8, "awb": "cloudy", "contrast": 2,
                                                "unknown_key": 1})
    assert answer.status_code == 200, answer.json
    assert client.get("/isp_settings").json == {**ISP_DEFAULTS, "brightness": 0.8, "awb": "cloudy", "contrast": 2}
    settings = client.get("/settings").json
    assert settings["ISP"]["brightness"] == 0.8 and settings["ISP"]["awb"] == "cloudy"
    assert settings["Cameras"][0]["isp"]["brightness"] == 0.8
    # A later partial change keeps the other fields.
    client.post("/isp_settings", json={"metering": "spot"})
    assert client.get("/isp_settings").json["awb"] == "cloudy"


@pytest.mark.parametrize(("body", "field"), [
    ({"brightness": 5}, "brightness"),
    ({"brightness": -2}, "brightness"),
    ({"brightness": "0.5"}, "brightness"),
    ({"contrast": 20}, "contrast"),
    ({"contrast": True}, "contrast"),
    ({"saturation": -1}, "saturation"),
    ({"sharpness": 17}, "sharpness"),
    ({"ev": 15}, "ev"),
    ({"awb": "nonsense"}, "awb"),
    ({"exposure": "ultra"}, "exposure"),
    ({"denoise": "max"}, "denoise"),
    ({"metering": "average"}, "metering"),
    ({"brightness": 0.1, "profile": "evening"}, "profile"),
    ({"brightness": 0.1, "camera": 7}, "camera"),
])
def test_isp_refuses_bad_values_naming_the_field(client, body, field):
    answer = client.post("/isp_settings", json=body)
    assert answer.status_code == 400, answer.json
    assert answer.json["success"] is False and answer.json["field"] == field and field in answer.json["message"]
    assert client.get("/isp_settings").json == ISP_DEFAULTS  # nothing saved


@pytest.mark.parametrize("raw", [b"", b"{}", b'{"nothing": 1}', b"[1]", b"not json"])
def test_isp_refuses_empty_or_useless_bodies(client, raw):
    answer = client.post("/isp_settings", data=raw, content_type="application/json")
    assert answer.status_code == 400 and answer.json["success"] is False


def test_isp_per_camera_and_night_profile(client, two_cameras):
    assert client.post("/isp_settings?camera=back", json={"brightness": -0.3}).status_code == 200
    assert client.post("/isp_settings", json={"camera": "back", "profile": "night", "ev": 2}).status_code == 200
    assert client.get("/isp_settings").json["brightness"] == 0  # the first camera is untouched
    assert client.get("/isp_settings?camera=back").json["brightness"] == -0.3
    night = client.get("/isp_settings?camera=back&profile=night").json
    assert night["ev"] == 2 and night["saturation"] == 0 and night["exposure"] == "long"
    missing = client.post("/isp_settings?camera=garage", json={"brightness": 0.1})
    assert missing.status_code == 404 and missing.json["field"] == "camera"
    assert client.get("/isp_settings?camera=garage").status_code == 404


def test_stream_settings_and_seed_names(client):
    assert client.get("/stream_settings").json == {"width": 640, "height": 360, "fps": 10, "rotation": 0,
                                                   "rotation_mode": "auto"}
    answer = client.post("/stream_settings", json={"width": 1920, "height": 1080, "fps": 15, "RotationAngle": 270})
    assert answer.status_code == 200, answer.json
    settings = client.get("/settings").json
    assert (settings["StreamWidth"], settings["StreamHeight"], settings["StreamFPS"]) == (1920, 1080, 15)
    assert settings["RotationAngle"] == 270 and settings["RotationMode"] == "auto"
    assert settings["Cameras"][0]["rotation"] == 270


def test_seed_names_are_accepted_by_post_settings(client):
    answer = client.post("/settings", json={"RotationAngle": 180, "StreamFPS": 15, "ISP": {"awb": "daylight"}})
    assert answer.status_code == 200, answer.json
    camera = client.get("/settings").json["Cameras"][0]
    assert camera["rotation"] == 180 and camera["fps"] == 15 and camera["isp"]["awb"] == "daylight"
    bad = client.post("/settings", json={"RotationAngle": 45})
    assert bad.status_code == 400 and "rotation" in bad.json["message"]


@pytest.mark.parametrize(("body", "field"), [
    ({"width": 10}, "width"),
    ({"width": "1920"}, "width"),
    ({"height": 99999}, "height"),
    ({"fps": 0}, "fps"),
    ({"fps": 12.5}, "fps"),
    ({"rotation": 45}, "rotation"),
    ({"RotationAngle": "90"}, "rotation"),
    ({"rotation_mode": "sideways"}, "rotation_mode"),
])
def test_stream_refuses_bad_values_naming_the_field(client, body, field):
    answer = client.post("/stream_settings", json=body)
    assert answer.status_code == 400, answer.json
    assert answer.json["field"] == field
    assert client.get("/stream_settings").json["width"] == 640


@pytest.mark.parametrize("raw", [b"", b"{}", b'{"colour": "red"}', b'"x"'])
def test_stream_refuses_empty_bodies(client, raw):
    assert client.post("/stream_settings", data=raw, content_type="application/json").status_code == 400


def test_night_mode_settings_and_state(client, appliance):
    state = client.get("/night_mode").json
    assert state["camera"] == "cam" and state["settings"]["mode"] == "off"
    assert (state["enabled"], state["active"]) == (False, False)
    info = client.get("/system_info").json["night_mode"]
    assert {"enabled", "active", "reason"} <= set(info) and info["enabled"] is False and info["active"] is False
    answer = client.post("/night_mode", json={"mode": "schedule", "start": "21:30", "end": "05:45"})
    assert answer.status_code == 200, answer.json
    assert appliance.settings.get().Cameras[0].night.start == "21:30"
    assert client.get("/system_info").json["night_mode"]["enabled"] is True


@pytest.mark.parametrize(("body", "field"), [
    ({"mode": "sometimes"}, "mode"),
    ({"start": "25:00"}, "start"),
    ({"end": "6"}, "end"),
    ({"dark_below": 300}, "dark_below"),
    ({"check_seconds": 0.5}, "check_seconds"),
    ({"ir_gpio": 40}, "ir_gpio"),
    ({"ir_active_high": "yes"}, "ir_active_high"),
])
def test_night_mode_refuses_bad_values_naming_the_field(client, body, field):
    answer = client.post("/night_mode", json=body)
    assert answer.status_code == 400, answer.json
    assert answer.json["field"] == field


def test_night_mode_refuses_crossed_thresholds_and_a_sensor_pin(client, appliance):
    crossed = client.post("/night_mode", json={"dark_below": 100, "bright_above": 50})
    assert crossed.status_code == 400 and "bright_above" in crossed.json["message"]
    sensor_pin = appliance.settings.get().Sensors[0].gpio or 22
    appliance.settings.update({"Sensors": [{"id": "door", "type": "reed_switch", "gpio": sensor_pin}]})
    taken = client.post("/night_mode", json={"ir_gpio": sensor_pin})
    assert taken.status_code == 400 and "already used by sensor door" in taken.json["message"]
    assert client.post("/night_mode", json={}).status_code == 400
