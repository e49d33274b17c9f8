"""Bluetooth: the BlueZ adapter (scan, pair, ping) and the presence monitor built on it."""

from securitycam.bt.adapter import (
    AdapterBusy,
    AdapterUnavailable,
    BluetoothAdapter,
    PairingFailed,
    Sighting,
    normalize_address,
)
from securitycam.bt.presence import PresenceMonitor

__all__ = [
    "AdapterBusy",
    "AdapterUnavailable",
    "BluetoothAdapter",
    "PairingFailed",
    "PresenceMonitor",
    "Sighting",
    "normalize_address",
]
