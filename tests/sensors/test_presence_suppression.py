"""End to end: a door opening while someone's phone is home is logged but records nothing; once
everyone has left, the same door opening records. Real sensor driver on a mock pin, the real
presence monitor over the fake radio, the real event store."""

from __future__ import annotations

from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory

from securitycam.appliance import Hardware
from securitycam.bt.fake import FakeRadio
from securitycam.clock import ManualClock
from securitycam.system.host import HostReader
from securitycam.system.runner import RecordingRunner
from tests.bt.conftest import FAST_BLUETOOTH, PHONE
from tests.sensors.conftest import Wiring

DOOR = 22


@pytest.fixture
def radio() -> FakeRadio:
    return FakeRadio()


@pytest.fixture
def hardware(runner: RecordingRunner, sysroot: Path, disk, clock: ManualClock, pins: MockFactory,
             radio: FakeRadio) -> Hardware:
    """The sensor tests' mock pins and clock, and the real Bluetooth adapter over a fake radio."""
    return Hardware(runner=runner, host=HostReader(sysroot, disk_usage=disk), clock=clock, pin_factory=pins,
                    bluetooth=radio.adapter(runner, busy_wait=0.3, pairing_poll=0.01), run_cameras=False)


def open_and_close_door(wire: Wiring) -> None:
    wire.high(DOOR)
    wire.wait(1)
    wire.low(DOOR)


def test_door_is_suppressed_while_home_and_records_once_away(client, appliance, radio, clock, wire):
    client.post("/settings", json={"Bluetooth": FAST_BLUETOOTH})
    configured = client.post("/sensor/configure", json={"type": "reed_switch", "gpio": DOOR, "hold_seconds": 5})
    assert configured.status_code == 200, configured.json
    appliance.presence.track(PHONE, "Ana's phone")
    radio.arrive(PHONE, advertises=False)
    appliance.presence.poll()
    assert appliance.presence.anyone_home() is True

    wire.high(DOOR)
    status = client.get("/sensor/status").json
    assert status["triggered"] is True and status["suppressed"] is True
    assert status["recording_from_sensor"] is False
    wire.low(DOOR)
    assert wire.sensor_events() == []

    radio.leave(PHONE)
    wire.wait(60)
    appliance.presence.poll()
    assert appliance.presence.anyone_home() is True, "a minute unseen is not leaving"
    wire.wait(300)
    appliance.presence.poll()
    assert appliance.presence.anyone_home() is False

    wire.high(DOOR)
    status = client.get("/sensor/status").json
    assert status["suppressed"] is False and status["recording_from_sensor"] is True
    wire.low(DOOR)
    wire.wait(1)  # past the contact's bounce time: released
    wire.wait(5)  # the hold
    (event,) = wire.sensor_events()
    assert event.label == "reed_switch" and event.end_time is not None


def test_a_sensor_can_ignore_presence(client, appliance, radio, wire):
    client.post("/settings", json={"Bluetooth": FAST_BLUETOOTH})
    client.post("/sensor/configure", json={"type": "reed_switch", "gpio": DOOR})
    client.post("/settings", json={"Sensors": [{**appliance.settings.get().Sensors[0].model_dump(),
                                                "ignore_presence": True}]})
    appliance.presence.track(PHONE, "Ana's phone")
    radio.arrive(PHONE, advertises=False)
    appliance.presence.poll()
    assert appliance.presence.anyone_home() is True
    open_and_close_door(wire)
    assert len(wire.sensor_events()) == 1


def test_a_phone_on_the_wifi_suppresses_the_door_too(client, appliance, runner, clock, wire):
    """Wi-Fi presence counts as home for suppression, as Bluetooth does (no Bluetooth device here)."""
    from securitycam.system.runner import CommandResult

    client.post("/settings", json={"Bluetooth": {"listen_seconds": 0, "away_after_seconds": 60}})
    client.post("/sensor/configure", json={"type": "reed_switch", "gpio": DOOR, "hold_seconds": 5})
    assert client.post("/devices/wifi/add", json={"address": "3C:22:FB:00:11:22"}).status_code == 201
    neighbour = "192.168.1.23 dev wlan0 lladdr 3c:22:fb:00:11:22 REACHABLE"
    runner.respond(["ip", "neigh", "show"], CommandResult(0, neighbour))
    appliance.presence.poll()

    wire.high(DOOR)
    status = client.get("/sensor/status").json
    assert status["triggered"] is True and status["suppressed"] is True
    wire.low(DOOR)
    assert wire.sensor_events() == []

    runner.respond(["ip", "neigh", "show"], CommandResult(0, ""))
    wire.wait(61)
    appliance.presence.poll()
    wire.high(DOOR)
    assert client.get("/sensor/status").json["suppressed"] is False
