"""Settings export and import over HTTP, and the seed appliance's names in ``/settings``
(``Sensor``, ``TARGET_BT_ADDRESSES``, ``TARGET_AP_MAC_ADDRESSES``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from securitycam.appliance import Appliance

PHONE = "AA:BB:CC:DD:EE:01"
LAPTOP = "3C:22:FB:00:11:22"


def settings_file(data_dir: Path) -> bytes:
    return (data_dir / "settings" / "settings.json").read_bytes()


# -- export ---------------------------------------------------------------------------------------
def test_export_is_a_download_of_every_setting_but_secrets(client: FlaskClient, appliance: Appliance) -> None:
    appliance.settings.modify(lambda s: setattr(s.Auth, "password_hash", "$argon2id$secret"))
    client.post("/settings", json={"MQTT": {"password": "broker-pass", "user": "cam"},
                                   "Cameras": [{"name": "cam", "source": "rtsp", "url": "rtsp://admin:pw@10.0.0.5/s"}]})
    response = client.get("/settings/export")

    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith('attachment; filename="securitycam-settings-')
    text = response.get_data(as_text=True)
    for secret in ("$argon2id$secret", "broker-pass", "admin:pw"):
        assert secret not in text
    exported = json.loads(text)
    assert exported == client.get("/settings").json
    assert exported["MQTT"]["user"] == "cam" and "password" not in exported["MQTT"]
    assert exported["Cameras"][0]["url"] == "rtsp://***@10.0.0.5/s"


def test_an_export_imported_back_restores_the_settings_and_keeps_secrets(
    client: FlaskClient, appliance: Appliance
) -> None:
    client.post("/settings", json={"MQTT": {"password": "broker-pass"}, "StorageLimit": {"max_percent": 70},
                                   "TARGET_AP_MAC_ADDRESSES": [{"address": LAPTOP, "name": "Laptop"}]})
    backup = client.get("/settings/export").json
    client.post("/settings", json={"StorageLimit": {"max_percent": 50}, "TARGET_AP_MAC_ADDRESSES": []})

    response = client.post("/settings/import", json=backup)

    assert response.status_code == 200, response.json
    assert response.json["settings"] == backup
    assert appliance.settings.get().StorageLimit.max_percent == 70
    assert appliance.settings.get().MQTT.password == "broker-pass"  # write-only: not in the file, kept
    assert [d["address"] for d in client.get("/devices/wifi").json["devices"]] == [LAPTOP]


def test_import_merges_and_keeps_what_it_does_not_mention(client: FlaskClient, appliance: Appliance) -> None:
    client.post("/settings", json={"StorageLimit": {"max_percent": 70}})
    response = client.post("/settings/import", json={"Timelapse": {"fps": 12}, "CaptivePortal": {"enabled": False}})
    assert response.status_code == 200
    assert response.json["imported"] == ["CaptivePortal", "Timelapse"]
    saved = client.get("/settings").json
    assert saved["Timelapse"]["fps"] == 12 and saved["CaptivePortal"]["enabled"] is False
    assert saved["StorageLimit"]["max_percent"] == 70


@pytest.mark.parametrize(("body", "field", "text"), [
    ({"StorageLimit": {"max_percent": 70}, "NoSuchKey": 1}, "NoSuchKey", "Unknown"),
    ({"Timelapse": {"fps": 999}}, "Timelapse.fps", "Timelapse.fps"),
    ({"Auth": {"password_hash": "x"}}, "Auth.password_hash", "Auth.password_hash"),
    ({"TARGET_BT_ADDRESSES": [{"address": "nope"}]}, "TARGET_BT_ADDRESSES.0.address", "TARGET_BT_ADDRESSES"),
    ({"TARGET_BT_ADDRESSES": "AA:BB:CC:DD:EE:01"}, "TARGET_BT_ADDRESSES", "TARGET_BT_ADDRESSES"),
    ({"TARGET_AP_MAC_ADDRESSES": [{"address": LAPTOP, "colour": 1}]}, "TARGET_AP_MAC_ADDRESSES.0.colour", "colour"),
    ({"TARGET_BT_ADDRESSES": [{"address": PHONE}], "TARGET_AP_MAC_ADDRESSES": [{"address": PHONE}]},
     "TARGET_BT_ADDRESSES", "both"),
])
def test_import_is_checked_whole_before_anything_is_written(
    client: FlaskClient, appliance: Appliance, data_dir: Path, body: dict, field: str, text: str
) -> None:
    before, devices = settings_file(data_dir), client.get("/devices/status").json
    response = client.post("/settings/import", json=body)
    assert response.status_code == 400, response.json
    assert response.json["success"] is False and response.json["field"] == field
    assert text in response.json["message"]
    assert settings_file(data_dir) == before
    assert client.get("/devices/status").json == devices


@pytest.mark.parametrize(("data", "content_type"), [
    ("[1, 2]", "application/json"), ('"text"', "application/json"), ("not json {", "text/plain"),
    ("", "application/json"),
])
def test_import_refuses_what_is_not_a_json_object(client: FlaskClient, data_dir: Path, data: str,
                                                  content_type: str) -> None:
    before = settings_file(data_dir)
    response = client.post("/settings/import", data=data, content_type=content_type)
    assert response.status_code == 400 and response.json["success"] is False
    assert settings_file(data_dir) == before


def test_import_over_256_kib_is_413(client: FlaskClient, data_dir: Path) -> None:
    before = settings_file(data_dir)
    big = json.dumps({"Server": {"cors_origins": ["http://x.example"] * 20000}})
    assert len(big) > 256 * 1024
    response = client.post("/settings/import", data=big, content_type="application/json")
    assert response.status_code == 413 and response.json["success"] is False
    assert settings_file(data_dir) == before


def test_unknown_keys_in_post_settings_say_unknown(client: FlaskClient) -> None:
    response = client.post("/settings", json={"Bogus": 1})
    assert response.status_code == 400 and response.json["field"] == "Bogus"
    assert "Unknown" in response.json["message"]


# -- the seed's names -----------------------------------------------------------------------------
def test_settings_show_the_first_sensor_as_sensor(client: FlaskClient) -> None:
    client.post("/sensor/configure", json={"type": "reed_switch", "gpio": 17, "hold_seconds": 3})
    settings = client.get("/settings").json
    assert settings["Sensor"] == settings["Sensors"][0]
    assert settings["Sensor"]["gpio"] == 17 and settings["Sensor"]["type"] == "reed_switch"
    status = client.get("/sensor/status").json
    assert settings["Sensor"] == status["config"]


def test_posting_settings_back_whole_does_not_undo_a_change_to_sensors(client: FlaskClient) -> None:
    settings = client.get("/settings").json
    settings["Sensors"][0]["hold_seconds"] = 42  # the stale Sensor alias still says otherwise
    assert client.post("/settings", json=settings).status_code == 200
    assert client.get("/settings").json["Sensor"]["hold_seconds"] == 42
    # ...while a change to the alias itself applies
    assert client.post("/settings", json={"Sensor": {"hold_seconds": 7}}).status_code == 200
    assert client.get("/settings").json["Sensors"][0]["hold_seconds"] == 7


def test_tracked_devices_read_as_target_lists(client: FlaskClient, appliance: Appliance) -> None:
    appliance.presence.track(PHONE, "Ana's phone")
    client.post("/devices/wifi/add", json={"address": LAPTOP, "name": "Laptop"})
    settings = client.get("/settings").json
    bt = client.get("/devices/bt").json["devices"]
    wifi = client.get("/devices/wifi").json["devices"]
    assert settings["TARGET_BT_ADDRESSES"] == [{"address": d["address"], "name": d["name"]} for d in bt]
    assert settings["TARGET_AP_MAC_ADDRESSES"] == [{"address": d["address"], "name": d["name"]} for d in wifi]
    assert settings["TARGET_BT_ADDRESSES"] == [{"address": PHONE, "name": "Ana's phone"}]


def test_target_lists_posted_set_the_tracked_devices(client: FlaskClient, appliance: Appliance) -> None:
    appliance.presence.track(PHONE, "Ana's phone")
    response = client.post("/settings", json={"TARGET_BT_ADDRESSES": [{"address": "d4:11:22:33:44:03", "name": "W"}],
                                              "TARGET_AP_MAC_ADDRESSES": [{"address": LAPTOP}]})
    assert response.status_code == 200, response.json
    assert response.json["settings"]["TARGET_BT_ADDRESSES"] == [{"address": "D4:11:22:33:44:03", "name": "W"}]
    assert [d["address"] for d in client.get("/devices/wifi").json["devices"]] == [LAPTOP]
    assert not appliance.presence.tracked(PHONE)


@pytest.mark.parametrize(("route", "body", "field"), [
    ("/settings", {"Sensor": {"type": "bogus"}}, "Sensors.0.type"),
    ("/settings/import", {"Sensor": {"type": "bogus"}}, "Sensors.0.type"),
    ("/settings", {"Sensors": [{"id": "s2", "type": "nope"}]}, "Sensors.0.type"),
    ("/settings", {"Sensor": {"type": "vibration", "calibration": {"pulse_count": "many"}}},
     "Sensors.0.calibration.pulse_count"),
    ("/settings", {"Sensors": [{"id": "a", "type": "pir", "gpio": 5}, {"id": "b", "type": "reed_switch", "gpio": 5}]},
     "Sensors.0.gpio"),
])
def test_settings_refuse_a_sensor_the_sensor_api_would_refuse(
    client: FlaskClient, data_dir: Path, route: str, body: dict, field: str
) -> None:
    client.post("/sensor/configure", json={"type": "mock"})
    before = settings_file(data_dir)
    response = client.post(route, json=body)
    assert response.status_code == 400 and response.json["field"] == field, response.json
    assert settings_file(data_dir) == before
    assert client.get("/sensor/status").json["error"] is None


def test_a_sensor_saved_before_its_type_was_known_does_not_block_other_changes(
    client: FlaskClient, appliance: Appliance, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unknown_type(draft):  # type: ignore[no-untyped-def]
        draft.Sensors = [draft.Sensors[0].model_copy(update={"type": "removed_driver"})]
    with monkeypatch.context() as unchecked:  # as a settings file written by another version would be
        unchecked.setattr(appliance.settings, "_checks", [])
        appliance.settings.modify(unknown_type)
    answer = client.post("/settings", json={"RotationAngle": 90})
    assert answer.status_code == 200, answer.json
    assert client.get("/settings").json["Sensor"]["type"] == "removed_driver"


def test_a_new_type_through_sensor_starts_from_its_own_calibration(client: FlaskClient) -> None:
    configured = client.post("/sensor/configure", json={"type": "vibration", "gpio": 5,
                                                        "calibration": {"pulse_count": 3, "pulse_window": 5}})
    assert configured.status_code == 200
    response = client.post("/settings", json={"Sensor": {"type": "pir"}})
    assert response.status_code == 200, response.json
    assert response.json["settings"]["Sensor"]["type"] == "pir"
    assert response.json["settings"]["Sensor"]["calibration"] == {}
    assert client.get("/sensor/status").json["error"] is None


@pytest.mark.parametrize("route", ["/settings", "/settings/import"])
@pytest.mark.parametrize(("field", "value", "seed_key"), [
    ("width", 1280, "StreamWidth"),
    ("height", 720, "StreamHeight"),
    ("fps", 5, "StreamFPS"),
    ("rotation", 90, "RotationAngle"),
    ("rotation_mode", "encoder", "RotationMode"),
])
def test_posting_settings_back_whole_does_not_undo_a_change_to_the_first_camera(
    client: FlaskClient, route: str, field: str, value: object, seed_key: str
) -> None:
    settings = client.get("/settings/export" if route.endswith("import") else "/settings").json
    settings["Cameras"][0][field] = value  # the stale seed key still says otherwise

    response = client.post(route, json=settings)

    assert response.status_code == 200, response.json
    after = client.get("/settings").json
    assert after["Cameras"][0][field] == value and after[seed_key] == value


@pytest.mark.parametrize("route", ["/settings", "/settings/import"])
def test_posting_settings_back_whole_does_not_undo_a_change_to_the_first_cameras_isp(
    client: FlaskClient, route: str
) -> None:
    settings = client.get("/settings").json
    settings["Cameras"][0]["isp"]["brightness"] = 0.5  # the stale ISP still says 0
    settings["ISP"]["awb"] = "daylight"  # ...while the client changed another field through ISP

    assert client.post(route, json=settings).status_code == 200

    isp = client.get("/settings").json["Cameras"][0]["isp"]
    assert isp["brightness"] == 0.5 and isp["awb"] == "daylight"


def test_a_seed_camera_key_changed_alone_applies_and_cameras_wins_when_both_changed(client: FlaskClient) -> None:
    settings = client.get("/settings").json
    settings["StreamFPS"] = 5  # only the seed's name changed: it applies
    settings["Cameras"][0]["width"] = 1280
    settings["StreamWidth"] = 1920  # both changed: ours wins (a hand-edited export restored elsewhere)
    settings["ISP"]["contrast"] = 2.0
    settings["Cameras"][0]["isp"]["contrast"] = 1.5

    assert client.post("/settings", json=settings).status_code == 200

    camera = client.get("/settings").json["Cameras"][0]
    assert (camera["fps"], camera["width"], camera["isp"]["contrast"]) == (5, 1280, 1.5)


def test_a_hand_edited_export_restored_on_a_changed_appliance_keeps_the_edit(client: FlaskClient) -> None:
    client.post("/stream_settings", json={"width": 1920, "height": 1080})
    backup = client.get("/settings/export").json
    backup["Cameras"][0]["width"] = 1280  # edited by hand; StreamWidth still says 1920
    client.post("/stream_settings", json={"width": 640, "height": 360})

    assert client.post("/settings/import", json=backup).status_code == 200

    settings = client.get("/settings").json
    assert settings["Cameras"][0]["width"] == 1280 and settings["Cameras"][0]["height"] == 1080


def test_the_dashboards_cameras_form_saves_a_changed_width(client: FlaskClient) -> None:
    cameras = client.get("/settings").json["Cameras"]  # what the settings page loads and posts back
    cameras[0]["width"] = 1280

    response = client.post("/settings", json={"Cameras": cameras})

    assert response.status_code == 200, response.json
    assert response.json["settings"]["Cameras"][0]["width"] == 1280
    assert response.json["settings"]["StreamWidth"] == 1280


def test_an_unchanged_sensor_field_does_not_undo_a_change_to_sensors(client: FlaskClient) -> None:
    client.post("/sensor/configure", json={"type": "reed_switch", "gpio": 17, "hold_seconds": 3})
    settings = client.get("/settings").json
    settings["Sensors"][0]["hold_seconds"] = 42  # the stale Sensor still says 3...
    settings["Sensor"]["gpio"] = 22  # ...and the client changed another field through Sensor

    assert client.post("/settings", json=settings).status_code == 200

    sensor = client.get("/settings").json["Sensors"][0]
    assert sensor["hold_seconds"] == 42 and sensor["gpio"] == 22
