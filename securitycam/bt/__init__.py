"""Bluetooth: the BlueZ adapter (scan, pair, ping) and the presence monitor built on it."""

import logging

from securitycam.bt.adapter import (
    AdapterBusy,
    AdapterUnavailable,
    BluetoothAdapter,
    PairingFailed,
    Sighting,
    normalize_address,
)
from securitycam.bt.presence import PresenceMonitor
from securitycam.system.logs import CONSOLE
from securitycam.system.runner import CommandRunner

log = logging.getLogger(__name__)


def demo_adapter(runner: CommandRunner) -> BluetoothAdapter:
    """The demo's Bluetooth (no Pi): the real adapter over a simulated room with a phone in it.

    ``runner`` must be the demo's :class:`~securitycam.system.runner.RecordingRunner`, which the
    simulated radio answers ``bluetoothctl`` and ``l2ping`` through.
    """
    from securitycam.bt.fake import FakeRadio  # imports bleak: only the demo pays for it at start

    log.info("no Pi hardware: Bluetooth is simulated (a demo phone and a BLE tag are nearby)", extra=CONSOLE)
    return FakeRadio.demo().adapter(runner)  # type: ignore[arg-type]


__all__ = [
    "AdapterBusy",
    "AdapterUnavailable",
    "BluetoothAdapter",
    "PairingFailed",
    "PresenceMonitor",
    "Sighting",
    "demo_adapter",
    "normalize_address",
]
