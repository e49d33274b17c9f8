"""Sensor tests: real drivers and the real manager on gpiozero mock pins, time from a manual clock.

Pins are :class:`ContactPin`\\ s: the level a test drives is what the wire holds, as a closed reed
switch holds the line LOW against the Pi's pull-up. (gpiozero's plain mock pin jumps to the pull's
level when a device claims it, which would make every door read "open" at the start.)
"""

from __future__ import annotations

from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory, MockPin

from securitycam.appliance import Appliance, Hardware
from securitycam.clock import ManualClock
from securitycam.system.host import HostReader
from securitycam.system.runner import RecordingRunner


class ContactPin(MockPin):
    def _set_pull(self, value: str) -> None:
        self._pull = value


class Presence:
    """What the Bluetooth presence service will be to the manager: someone home or not."""

    def __init__(self) -> None:
        self.home = False

    def anyone_home(self) -> bool:
        return self.home


@pytest.fixture
def pins() -> MockFactory:
    return MockFactory(pin_class=ContactPin)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def hardware(runner: RecordingRunner, sysroot: Path, disk, pins: MockFactory, clock: ManualClock) -> Hardware:
    return Hardware(runner=runner, host=HostReader(sysroot, disk_usage=disk), clock=clock, pin_factory=pins,
                    run_cameras=False)


@pytest.fixture
def presence(appliance: Appliance) -> Presence:
    check = Presence()
    appliance.sensors.presence = check
    return check


class Wiring:
    """Drive a pin and wait for the manager to have handled the edge."""

    def __init__(self, appliance: Appliance, pins: MockFactory, clock: ManualClock) -> None:
        self.appliance = appliance
        self.pins = pins
        self.clock = clock

    def high(self, gpio: int) -> None:
        self.pins.pin(gpio).drive_high()
        self.settle()

    def low(self, gpio: int) -> None:
        self.pins.pin(gpio).drive_low()
        self.settle()

    def pulse(self, gpio: int, gap: float = 0.1) -> None:
        self.high(gpio)
        self.wait(gap / 2)
        self.low(gpio)
        self.wait(gap / 2)

    def wait(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.settle()

    def settle(self) -> None:
        assert self.appliance.sensors.sync(), "sensor manager did not answer"

    def status(self, sensor_id: str | None = None) -> dict:
        return self.appliance.sensors.status(sensor_id)  # type: ignore[return-value]

    def sensor_events(self, **filters: object) -> list:
        return self.appliance.events.list(source="sensor", **filters)  # type: ignore[arg-type]


@pytest.fixture
def wire(appliance: Appliance, pins: MockFactory, clock: ManualClock) -> Wiring:
    return Wiring(appliance, pins, clock)
