"""The sensor endpoints over HTTP: documented behaviour, bad input, several sensors."""

from __future__ import annotations

import json

import pytest
import requests
from gpiozero.pins.mock import MockFactory

from securitycam.app import create_app
from securitycam.appliance import Hardware
from securitycam.system.host import HostReader
from tests.conftest import write_sys


def test_sensor_endpoints_need_a_token(anon):
    assert anon.get("/sensor/status").status_code == 401
    assert anon.post("/sensor/configure", json={"type": "pir"}).status_code == 401
    assert anon.get("/sensors").status_code == 401


def test_a_fresh_appliance_off_a_pi_runs_the_mock_sensor(client):
    status = client.get("/sensor/status").json
    assert status["config"]["type"] == "mock" and status["config"]["gpio"] is None
    assert status["enabled"] and status["armed"]
    assert not status["triggered"] and not status["suppressed"] and not status["recording_from_sensor"]


def test_mock_trigger_and_release_open_and_hold_an_event(client, wire):
    response = client.post("/sensor/mock/trigger")
    assert response.status_code == 200
    assert response.json["sensor"]["triggered"] and response.json["sensor"]["recording_from_sensor"]
    [event] = wire.sensor_events()
    assert event.label == "mock" and event.in_progress
    response = client.post("/sensor/mock/release")
    assert not response.json["sensor"]["triggered"] and response.json["sensor"]["recording_from_sensor"]
    wire.wait(10.1)
    assert not wire.appliance.events.get(event.id).in_progress


def test_mock_endpoints_refuse_when_the_mock_is_not_active(client):
    client.post("/sensor/configure", json={"type": "reed_switch"})
    for action in ("trigger", "release"):
        response = client.post(f"/sensor/mock/{action}")
        assert response.status_code == 400
        assert response.json["success"] is False and "mock" in response.json["message"]
    client.post("/sensor/configure", json={"type": "mock", "enabled": False})
    response = client.post("/sensor/mock/trigger")
    assert response.status_code == 400 and "disabled" in response.json["message"]


def test_configure_applies_the_documented_defaults(client, appliance):
    response = client.post("/sensor/configure", json={"type": "vibration"})
    assert response.status_code == 200
    config = response.json["sensor"]["config"]
    assert config["gpio"] == 27, "the type's default GPIO"
    assert config["enabled"] is True and config["hold_seconds"] == 10 and config["invert_logic"] is False
    assert config["calibration"] == {}
    assert client.get("/sensor/status").json["config"] == config
    saved = json.loads(appliance.paths.settings_file.read_text())
    assert saved["Sensors"][0]["type"] == "vibration" and saved["Sensors"][0]["gpio"] == 27


def test_configure_with_the_spec_examples(client):
    body = {"type": "vibration", "gpio": 5, "enabled": True, "calibration": {"pulse_count": 3, "pulse_window": 5}}
    config = client.post("/sensor/configure", json=body).json["sensor"]["config"]
    assert config["calibration"] == {"pulse_count": 3, "pulse_window": 5.0}
    body = {"type": "hall_digital", "gpio": 13, "enabled": True, "invert_logic": True}
    status = client.post("/sensor/configure", json=body).json["sensor"]
    assert status["config"]["invert_logic"] is True and status["armed"]


def test_an_unknown_type_lists_the_available_ones(client):
    response = client.post("/sensor/configure", json={"type": "laser_tripwire", "gpio": 4})
    assert response.status_code == 400
    assert response.json["field"] == "type"
    assert {"reed_switch", "pir", "vibration", "hall_digital", "mock", "button", "tilt"} <= set(
        response.json["available"]
    )
    assert client.get("/sensor/status").json["config"]["type"] == "mock", "nothing changed"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"gpio": 4}, "type"),
        ({"type": "pir", "gpio": 28}, "gpio"),
        ({"type": "pir", "gpio": -1}, "gpio"),
        ({"type": "pir", "gpio": "4"}, "gpio"),
        ({"type": "pir", "gpio": True}, "gpio"),
        ({"type": "pir", "hold_seconds": -5}, "hold_seconds"),
        ({"type": "pir", "enabled": "yes"}, "enabled"),
        ({"type": "pir", "calibration": {"sensitivity": 2}}, "calibration.sensitivity"),
        ({"type": "pir", "calibration": {"queue_len": 1.5}}, "calibration.queue_len"),
        ({"type": "pir", "calibration": {"pulse_count": 3}}, "calibration.pulse_count"),
        ({"type": "vibration", "calibration": {"pulse_count": "many"}}, "calibration.pulse_count"),
        ({"type": "pir", "calibration": []}, "calibration"),
        ({"type": "pir", "colour": "red"}, "colour"),
    ],
)
def test_bad_configurations_are_400_naming_the_field(client, body, field):
    response = client.post("/sensor/configure", json=body)
    assert response.status_code == 400, response.json
    assert response.json["success"] is False
    assert response.json["field"] == field
    assert field.split(".")[-1] in response.json["message"]


@pytest.mark.parametrize("raw", ["not json", "[1, 2]", ""])
def test_a_body_that_is_not_an_object_is_400(client, raw):
    response = client.post("/sensor/configure", data=raw, content_type="application/json")
    assert response.status_code == 400 and response.json["success"] is False


def test_a_pin_used_by_another_sensor_is_refused(client):
    client.post("/sensor/configure", json={"type": "reed_switch", "gpio": 22})
    response = client.post("/sensors", json={"type": "pir", "gpio": 22})
    assert response.status_code == 400
    assert response.json["field"] == "gpio" and "sensor1" in response.json["message"]
    assert client.post("/sensors", json={"id": "hall", "type": "hall_digital", "gpio": 13}).status_code == 201
    response = client.post("/sensor/configure", json={"type": "pir", "gpio": 13})
    assert response.status_code == 400 and "'hall'" in response.json["message"]
    response = client.patch("/sensors/hall", json={"gpio": 22})
    assert response.status_code == 400 and response.json["field"] == "gpio"


def test_mock_sensors_use_no_pin(client):
    client.post("/sensor/configure", json={"type": "mock", "gpio": 22})
    assert client.get("/sensor/status").json["config"]["gpio"] is None
    assert client.post("/sensors", json={"type": "reed_switch", "gpio": 22}).status_code == 201


def test_enable_and_disable(client):
    client.post("/sensor/configure", json={"type": "reed_switch", "enabled": False})
    assert not client.get("/sensor/status").json["armed"]
    response = client.post("/sensor/enable")
    assert response.status_code == 200 and response.json["sensor"]["armed"]
    response = client.post("/sensor/disable")
    assert response.status_code == 200
    status = client.get("/sensor/status").json
    assert not status["enabled"] and not status["armed"]


def test_types_describe_wiring_and_calibration(client):
    types = {t["name"]: t for t in client.get("/sensor/types").json["types"]}
    assert {"reed_switch", "pir", "vibration", "hall_digital", "mock", "button", "tilt"} <= set(types)
    vibration = types["vibration"]
    assert vibration["default_gpio"] == 27 and vibration["description"]
    assert all(set(wire) == {"pin", "connect"} for wire in vibration["wiring"])
    pulse_count = next(c for c in vibration["calibration"] if c["key"] == "pulse_count")
    assert set(pulse_count) == {"key", "label", "type", "min", "max", "default", "step", "unit"}
    assert pulse_count["type"] == "int" and pulse_count["min"] >= 1
    assert types["mock"]["default_gpio"] is None and types["mock"]["wiring"] == []


def test_pin_test_reads_a_free_pin_with_the_types_pull(client, pins):
    response = client.post("/sensor/test", json={"type": "reed_switch", "gpio": 5})
    assert response.status_code == 200
    assert response.json["level"] == "LOW" and response.json["in_use_by"] is None
    pins.pin(5).drive_high()
    response = client.post("/sensor/test", json={"type": "reed_switch", "gpio": 5})
    assert response.json["level"] == "HIGH" and response.json["would_trigger"] is True
    assert client.post("/sensor/test", json={"type": "reed_switch", "gpio": 5}).status_code == 200, "pin released"


def test_pin_test_does_not_disturb_a_running_sensor(client, wire):
    client.post("/sensor/configure", json={"type": "reed_switch", "gpio": 22})
    wire.high(22)
    response = client.post("/sensor/test", json={"type": "reed_switch", "gpio": 22})
    assert response.status_code == 200
    assert response.json["level"] == "HIGH" and response.json["in_use_by"] == "sensor1"
    status = wire.status()
    assert status["armed"] and status["triggered"]
    wire.wait(0.1)
    wire.low(22)
    assert not wire.status()["triggered"], "the sensor still sees its pin"


def test_pin_test_of_the_mock_reads_nothing(client):
    response = client.post("/sensor/test", json={"type": "mock"})
    assert response.status_code == 200
    assert response.json["value"] is None and response.json["level"] is None and response.json["gpio"] is None


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"type": "nope", "gpio": 5}, 400, "type"),
        ({"type": "pir", "gpio": 40}, 400, "gpio"),
        ({"gpio": 5}, 400, "type"),
    ],
)
def test_pin_test_bad_input(client, body, status, field):
    response = client.post("/sensor/test", json=body)
    assert response.status_code == status
    assert response.json["field"] == field


def test_sensors_crud(client, wire):
    assert [s["id"] for s in client.get("/sensors").json["sensors"]] == ["sensor1"]
    response = client.post("/sensors", json={"type": "pir", "camera": "garden", "name": "Garden PIR"})
    assert response.status_code == 201
    created = response.json["sensor"]
    assert created["id"] == "sensor2" and created["config"]["gpio"] == 17 and created["armed"]
    assert client.post("/sensors", json={"id": "sensor2", "type": "tilt"}).status_code == 409
    response = client.post("/sensors", json={"id": "Bad Id", "type": "tilt"})
    assert response.status_code == 400 and response.json["field"] == "id"

    response = client.patch("/sensors/sensor2", json={"hold_seconds": 30, "enabled": False})
    assert response.status_code == 200
    changed = response.json["sensor"]
    assert changed["config"]["hold_seconds"] == 30 and not changed["armed"]
    assert changed["config"]["camera"] == "garden", "fields not given stay"
    response = client.patch("/sensors/sensor2", json={"type": "tilt"})
    assert response.json["sensor"]["config"]["gpio"] == 6, "a new type moves to its own default pin"
    assert client.get("/sensors/sensor2").json["config"]["name"] == "Garden PIR"
    assert client.patch("/sensors/nope", json={"enabled": True}).status_code == 404
    assert client.get("/sensors/nope").status_code == 404

    assert client.delete("/sensors/sensor2").status_code == 200
    assert client.delete("/sensors/sensor2").status_code == 404
    assert [s["id"] for s in client.get("/sensors").json["sensors"]] == ["sensor1"]


def test_removing_a_sensor_ends_its_event_and_frees_its_pin(client, wire):
    client.post("/sensors", json={"id": "door", "type": "reed_switch", "gpio": 22})
    wire.high(22)
    [event] = wire.sensor_events()
    client.delete("/sensors/door")
    assert not wire.appliance.events.get(event.id).in_progress
    assert client.post("/sensors", json={"type": "pir", "gpio": 22}).status_code == 201


def test_single_sensor_endpoints_with_no_sensor_left(client):
    client.delete("/sensors/sensor1")
    status = client.get("/sensor/status").json
    assert status["config"] is None and status["enabled"] is False
    assert client.post("/sensor/enable").status_code == 404
    assert client.post("/sensor/mock/trigger").status_code == 400
    response = client.post("/sensor/configure", json={"type": "pir"})
    assert response.status_code == 200 and response.json["sensor"]["id"] == "sensor1"


def test_settings_api_changes_sensors_too(client, wire):
    response = client.post("/settings", json={"Sensor": {"type": "reed_switch", "gpio": 22, "enabled": True}})
    assert response.status_code == 200, response.json
    assert response.json["settings"]["Sensors"][0]["type"] == "reed_switch"
    wire.high(22)
    assert wire.status()["triggered"]
    response = client.post("/settings", json={"Sensors": [{"id": "a"}, {"id": "a"}]})
    assert response.status_code == 400 and response.json["field"] == "Sensors"


def test_a_spec_settings_file_is_migrated_on_load(tmp_path, hardware, monkeypatch):
    monkeypatch.setenv("SECURITYCAM_PASSWORD", "pw-for-test")
    settings_file = tmp_path / "data" / "settings" / "settings.json"
    settings_file.parent.mkdir(parents=True)
    settings_file.write_text(json.dumps({
        "Sensor": {"type": "hall_digital", "gpio": 13, "enabled": True, "hold_seconds": 5, "calibration": {}},
        "StorageLimit": {"enabled": False, "max_percent": 85},
        "CaptivePortal": {"enabled": True},
    }))
    appliance = create_app(tmp_path / "data", hardware).extensions["securitycam"]
    try:
        status = appliance.sensors.status()
        assert status["config"]["type"] == "hall_digital" and status["config"]["hold_seconds"] == 5
        assert status["armed"], "an existing settings file keeps its sensor, even off a Pi"
        appliance.settings.update({"StorageLimit": {"max_percent": 80}})
        saved = json.loads(settings_file.read_text())
        assert "Sensor" not in saved and saved["Sensors"][0]["gpio"] == 13
        assert saved["StorageLimit"]["enabled"] is False and saved["StorageLimit"]["max_percent"] == 80
    finally:
        appliance.stop()


def test_a_fresh_appliance_on_a_pi_keeps_the_shipped_sensor(tmp_path, hardware, sysroot, monkeypatch):
    monkeypatch.setenv("SECURITYCAM_PASSWORD", "pw-for-test")
    write_sys(sysroot, "proc/device-tree/model", "Raspberry Pi Zero 2 W Rev 1.0\x00")
    appliance = create_app(tmp_path / "pi-data", hardware).extensions["securitycam"]
    try:
        status = appliance.sensors.status()
        assert status["config"]["type"] == "reed_switch" and status["config"]["gpio"] == 22
        assert not status["enabled"] and not status["armed"]
    finally:
        appliance.stop()


def test_sse_stream_carries_sensor_state(client, live_server, token):
    with requests.get(f"{live_server.url}/events", params={"token": token}, stream=True, timeout=5) as stream:
        lines = stream.iter_lines(decode_unicode=True)
        assert next(lines).startswith("retry")
        client.post("/sensor/mock/trigger")
        # Other messages may come first (the sensor's event opens a review item: ``reviews``).
        event_line = next(line for line in lines if line == "event: sensor_state")
        data_line = next(lines)
    assert event_line == "event: sensor_state"
    data = json.loads(data_line.removeprefix("data: "))
    assert data["triggered"] is True and data["recording_from_sensor"] is True


def test_a_sensor_that_cannot_be_armed_says_why(client, appliance, monkeypatch):
    sensors = [
        {"id": "door", "type": "reed_switch", "gpio": 22, "enabled": True},
        {"id": "twin", "type": "pir", "gpio": 22, "enabled": True},
        {"id": "gone", "type": "sonar", "gpio": 5, "enabled": True},
    ]
    # POST /settings refuses what /sensors would (a pin taken twice, an unknown type)...
    refused = client.post("/settings", json={"Sensors": sensors})
    assert refused.status_code == 400 and refused.json["field"] == "Sensors.0.gpio"
    # ...but a settings file may hold them (written by another version, edited by hand): the manager
    # reports what it cannot arm.
    with monkeypatch.context() as unchecked:
        unchecked.setattr(appliance.settings, "_checks", [])
        assert client.post("/settings", json={"Sensors": sensors}).status_code == 200
    statuses = {s["id"]: s for s in client.get("/sensors").json["sensors"]}
    assert statuses["door"]["armed"] and statuses["door"]["error"] is None
    assert not statuses["twin"]["armed"] and "GPIO22" in statuses["twin"]["error"].replace(" ", "")
    assert not statuses["gone"]["armed"] and "sonar" in statuses["gone"]["error"]
    # Freeing the pin lets the other sensor arm on the next change.
    assert client.patch("/sensors/door", json={"gpio": 23}).status_code == 200
    assert client.get("/sensors/twin").json["armed"]


def test_the_pin_factory_seam(sysroot):
    assert isinstance(Hardware(host=HostReader(sysroot)).resolved().pin_factory, MockFactory)
    write_sys(sysroot, "proc/device-tree/model", "Raspberry Pi 4 Model B Rev 1.4\x00")
    assert Hardware(host=HostReader(sysroot)).resolved().pin_factory is None, "gpiozero's own default (lgpio)"
