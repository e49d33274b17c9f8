"""On a machine with no GPIO (a laptop, CI) the appliance's own pins: simulated, resting idle.

These tests use the pin factory the appliance picks by itself off a Pi (no ``pin_factory`` in
the hardware), so they see what a user on a laptop sees when following the README.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory

from securitycam.appliance import Appliance, Hardware
from securitycam.clock import ManualClock
from securitycam.system.host import HostReader
from securitycam.system.runner import RecordingRunner

README_EXAMPLE = {"type": "reed_switch", "gpio": 22, "hold_seconds": 10}
PIN_TYPES = ["reed_switch", "hall_digital", "tilt", "button", "pir", "vibration"]


@pytest.fixture
def hardware(runner: RecordingRunner, sysroot: Path, disk, clock: ManualClock) -> Hardware:
    return Hardware(runner=runner, host=HostReader(sysroot, disk_usage=disk), clock=clock, run_cameras=False)


@pytest.fixture
def pins(appliance: Appliance) -> MockFactory:
    return appliance.hardware.pin_factory  # type: ignore[return-value]


def test_the_readme_reed_switch_rests_idle_and_says_it_is_simulated(client, wire):
    response = client.post("/sensor/configure", json=README_EXAMPLE)
    assert response.status_code == 200
    sensor = response.json["sensor"]
    assert sensor["armed"] and sensor["simulated"]
    assert not sensor["triggered"] and not sensor["recording_from_sensor"]
    wire.wait(30)
    status = client.get("/sensor/status").json
    assert status["simulated"] and not status["triggered"] and not status["recording_from_sensor"]
    assert wire.sensor_events() == []
    [entry] = client.get("/logs/api", query_string={"search": "armed: reed_switch"}).json
    assert "GPIO 22, simulated" in entry["message"] and "reads LOW" in entry["message"]


def test_a_simulated_door_contact_still_triggers_when_its_pin_is_driven(client, wire):
    client.post("/sensor/configure", json=README_EXAMPLE)
    wire.high(22)  # the door opens
    assert client.get("/sensor/status").json["triggered"]
    [event] = wire.sensor_events()
    wire.wait(1)
    wire.low(22)
    wire.wait(10.1)
    assert not wire.appliance.events.get(event.id).in_progress


@pytest.mark.parametrize("invert_logic", [False, True])
@pytest.mark.parametrize("type_name", PIN_TYPES)
def test_every_simulated_pin_rests_at_its_sensors_idle_level(client, wire, type_name, invert_logic):
    response = client.post("/sensor/configure", json={"type": type_name, "invert_logic": invert_logic})
    assert response.status_code == 200
    sensor = response.json["sensor"]
    assert sensor["armed"] and sensor["simulated"] and not sensor["triggered"]
    wire.wait(1)
    assert not client.get("/sensor/status").json["triggered"]
    assert wire.sensor_events() == []


def test_the_mock_sensor_says_it_is_simulated(client):
    assert client.get("/sensor/status").json["simulated"] is True
