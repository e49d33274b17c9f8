"""A new sensor type is one class: defining it registers it with the API and the manager."""

from __future__ import annotations

import pytest

from securitycam.sensors import Calibration, SensorDriver, Wire


@pytest.fixture
def water_leak():
    class WaterLeak(SensorDriver):
        type_name = "water_leak"
        description = "Water leak probe: triggers when the contacts get wet"
        default_gpio = 16
        pull_up = False
        wiring = (Wire("S", "GPIO 16 (physical pin 36)"), Wire("+", "3.3V"), Wire("-", "GND"))
        calibration = (Calibration("bounce_ms", "Debounce time", "int", 200, min=0, max=2000, step=50, unit="ms"),)

    yield WaterLeak
    del SensorDriver.registry["water_leak"]


def test_a_type_defined_in_one_class_is_listed_configured_and_triggers(client, wire, water_leak):
    described = {t["name"]: t for t in client.get("/sensor/types").json["types"]}["water_leak"]
    assert described["default_gpio"] == 16 and described["calibration"][0]["default"] == 200

    response = client.post("/sensor/configure", json={"type": "water_leak", "hold_seconds": 0})
    assert response.status_code == 200 and response.json["sensor"]["config"]["gpio"] == 16
    wire.high(16)
    [event] = wire.sensor_events()
    assert event.label == "water_leak"
    wire.low(16)
    assert wire.status()["triggered"], "its own 200 ms debounce holds the release"
    wire.wait(0.2)
    assert not wire.appliance.events.get(event.id).in_progress
