"""Bluetooth tests: the real adapter and presence code over a :class:`FakeRadio` (the room), with
time under the test's control."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from securitycam.app import create_app
from securitycam.appliance import Appliance, Hardware
from securitycam.bt import PresenceMonitor
from securitycam.bt.fake import FakeRadio
from securitycam.clock import ManualClock
from securitycam.system.host import HostReader
from securitycam.system.runner import RecordingRunner
from tests.conftest import FAST_DELAYS, PASSWORD, FakeDisk

PHONE = "AA:BB:CC:DD:EE:01"
TAG = "C0:FF:EE:00:00:02"
WATCH = "D4:11:22:33:44:03"
# BLE listening per presence check, and scan length, short enough for tests to not notice.
FAST_BLUETOOTH = {"listen_seconds": 0.01, "scan_seconds": 0.05}


@pytest.fixture
def radio() -> FakeRadio:
    return FakeRadio()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def hardware(runner: RecordingRunner, sysroot: Path, disk: FakeDisk, radio: FakeRadio, clock: ManualClock) -> Hardware:
    return Hardware(
        runner=runner,
        host=HostReader(sysroot, disk_usage=disk),
        clock=clock,
        bluetooth=radio.adapter(runner, busy_wait=0.3, pairing_poll=0.01),
        run_cameras=False,
    )


@pytest.fixture
def app(data_dir: Path, hardware: Hardware, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The app with its services not started: a presence check runs only when a test calls ``poll()``,
    never behind its back."""
    monkeypatch.setenv("SECURITYCAM_PASSWORD", PASSWORD)
    app = create_app(data_dir, hardware, start=False, config=FAST_DELAYS)
    yield app
    app.extensions["securitycam"].stop()


@pytest.fixture
def presence(appliance: Appliance) -> PresenceMonitor:
    appliance.settings.update({"Bluetooth": FAST_BLUETOOTH})
    return appliance.presence
