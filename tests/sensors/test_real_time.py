"""The same chain on the real clock: the manager's own thread runs the debounce and hold timers."""

from __future__ import annotations

import time

import pytest

from securitycam.clock import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()


def wait_until(condition, timeout: float = 30.0) -> float:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout, "timed out"
        time.sleep(0.005)
    return time.monotonic() - started


def test_bounce_and_hold_on_the_real_clock(client, pins, appliance):
    body = {"type": "reed_switch", "gpio": 22, "hold_seconds": 0.3, "calibration": {"bounce_ms": 40}}
    assert client.post("/sensor/configure", json=body).status_code == 200
    events = appliance.events
    pin = pins.pin(22)
    pin.drive_high()
    pin.drive_low()  # chatter inside the 40 ms lock-out ...
    pin.drive_high()  # ... ending open
    wait_until(lambda: events.list(source="sensor"))
    time.sleep(0.1)
    assert appliance.sensors.status()["triggered"]
    [event] = events.list(source="sensor")

    pin.drive_low()
    pin.drive_high()  # a glitch: the door did not really open again ...
    pin.drive_low()  # ... it is closed
    released = time.monotonic()
    wait_until(lambda: not events.get(event.id).in_progress)
    held = time.monotonic() - released
    assert 0.3 <= held < 2.0, held
    assert len(events.list(source="sensor")) == 1
    assert not appliance.sensors.status()["triggered"]
