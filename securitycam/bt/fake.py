"""A pretend Bluetooth controller and the devices around it, for tests and the demo.

It sits *below* :class:`~securitycam.bt.adapter.BluetoothAdapter`, at the two places the real one
reaches the hardware: it answers ``bluetoothctl`` and ``l2ping`` through a
:class:`~securitycam.system.runner.RecordingRunner`, and it is a bleak scanner backend that
delivers advertisements to bleak's own detection callbacks. A test says what is in the room::

    radio = FakeRadio()
    adapter = radio.adapter(runner)            # the real adapter code, over the fake radio
    radio.arrive("AA:BB:CC:DD:EE:01", "Ana's phone")
    adapter.is_near("AA:BB:CC:DD:EE:01")      # True
    radio.leave("AA:BB:CC:DD:EE:01")
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.exc import BleakError

from securitycam.bt.adapter import BluetoothAdapter
from securitycam.system.runner import CommandResult, RecordingRunner

CONTROLLER = "B8:27:EB:00:00:01"
NO_BUS = "unix:path=/nonexistent/securitycam-fake-radio-bus"
# Locally administered addresses (second hex digit 2/6/A/E): no real device has them.
DEMO_PHONE = "02:00:5E:00:53:01"
DEMO_TAG = "06:00:5E:00:53:02"


@dataclass
class FakeDevice:
    address: str
    name: str | None = None
    rssi: int = -60
    advertises: bool = True  # heard by a BLE scan
    answers_ping: bool = True  # answers l2ping (a classic device such as a phone)


class FakeRadio:
    """The room: a controller (or none, with ``controller=False``), devices nearby, devices paired.

    ``passive_supported=False`` makes passive scans fail the way BlueZ without advertisement
    monitors does. ``pair_on_poll`` pairs a waiting device on the Nth paired-devices query, as a
    phone does a moment after the user taps "pair".
    """

    def __init__(self, controller: bool = True, passive_supported: bool = True) -> None:
        self.controller = controller
        self.powered = True
        self.passive_supported = passive_supported
        self.nearby: dict[str, FakeDevice] = {}
        self.paired: dict[str, str | None] = {}
        self.discoverable = False
        self.scan_modes: list[str] = []
        self._incoming: tuple[FakeDevice, int] | None = None
        self._lock = threading.Lock()

    @classmethod
    def demo(cls) -> FakeRadio:
        """The demo's room: a phone that answers pings and advertises, and a BLE tag."""
        radio = cls()
        radio.arrive(DEMO_PHONE, "Demo phone", rssi=-58)
        radio.arrive(DEMO_TAG, "Demo tag", rssi=-77, answers_ping=False)
        return radio

    # -- what a test does ------------------------------------------------------------------------
    def arrive(self, address: str, name: str | None = None, **options: Any) -> FakeDevice:
        device = FakeDevice(address.upper(), name, **options)
        with self._lock:
            self.nearby[device.address] = device
        return device

    def leave(self, address: str) -> None:
        with self._lock:
            self.nearby.pop(address.upper(), None)

    def pair_when_discoverable(self, address: str, name: str | None = None, after_polls: int = 1) -> None:
        """A phone that will pair once the Pi is discoverable, on the ``after_polls``-th check."""
        self._incoming = (FakeDevice(address.upper(), name), after_polls)

    def adapter(self, runner: RecordingRunner, **options: Any) -> BluetoothAdapter:
        """The real adapter, with this radio answering its commands and scans."""
        self.attach(runner)
        # A simulated room must never register a pairing agent with this machine's real BlueZ.
        options.setdefault("dbus_address", NO_BUS)
        return BluetoothAdapter(runner, scanner_backend=self.scanner_backend(), **options)

    def attach(self, runner: RecordingRunner) -> None:
        runner.respond(["bluetoothctl"], self._bluetoothctl)
        runner.respond(["l2ping"], self._l2ping)

    def scanner_backend(self) -> type[BaseBleakScanner]:
        radio = self

        class FakeScanner(BaseBleakScanner):
            def __init__(self, detection_callback: Any, service_uuids: Any, scanning_mode: str, **_: Any) -> None:
                super().__init__(detection_callback, service_uuids)
                self.scanning_mode = scanning_mode
                self.seen_devices = {}

            async def start(self) -> None:
                radio.scan_modes.append(self.scanning_mode)
                if not radio.controller:
                    raise FileNotFoundError(2, "No such file or directory", "/run/dbus/system_bus_socket")
                if self.scanning_mode == "passive" and not radio.passive_supported:
                    raise BleakError("org.bluez.Error.NotSupported: advertisement monitors are not supported")
                self.seen_devices = {}
                with radio._lock:
                    heard = [d for d in radio.nearby.values() if d.advertises]
                for device in heard:
                    adv = AdvertisementData(device.name, {}, {}, [], None, device.rssi, ())
                    ble = self.create_or_update_device(device.address, device.address, device.name, None, adv)
                    self.call_detection_callbacks(ble, adv)

            async def stop(self) -> None:
                return None

        return FakeScanner

    # -- what the tools answer -------------------------------------------------------------------
    def _l2ping(self, args: list[str]) -> CommandResult:
        address = args[-1].upper()
        with self._lock:
            device = self.nearby.get(address)
        if not self.controller:
            return CommandResult(1, "", "Can't create socket: No such device\n")
        if device is None or not device.answers_ping:
            return CommandResult(1, f"Ping: {address} from {CONTROLLER} (data size 44) ...\n", "no response\n")
        return CommandResult(0, f"Ping: {address} from {CONTROLLER} (data size 44) ...\n44 bytes from {address} id 0\n")

    def _bluetoothctl(self, args: list[str]) -> CommandResult:
        command, params = args[1], args[2:]
        if not self.controller:
            return CommandResult(1, "No default controller available\n")
        with self._lock:
            return self._answer(command, params)

    def _answer(self, command: str, params: list[str]) -> CommandResult:
        if command == "show":
            powered = "yes" if self.powered else "no"
            return CommandResult(0, f"Controller {CONTROLLER} (public)\n\tName: securitycam\n\tPowered: {powered}\n")
        if command == "power":
            self.powered = params == ["on"]
            return CommandResult(0, f"Changing power {params[0]} succeeded\n")
        if command == "devices":
            self._maybe_pair_incoming()
            return CommandResult(0, "".join(f"Device {a} {n or a}\n" for a, n in self.paired.items()))
        if command == "info":
            address = params[0].upper()
            device = self.nearby.get(address)
            if device is None and address not in self.paired:
                return CommandResult(1, f"Device {address} not available\n")
            name = self.paired.get(address) or (device.name if device else None)
            return CommandResult(0, f"Device {address} (public)\n\tName: {name}\n\tPaired: yes\n")
        if command == "pair":
            address = params[0].upper()
            if address in self.paired:
                return CommandResult(1, "Failed to pair: org.bluez.Error.AlreadyExists\n")
            if address not in self.nearby:
                return CommandResult(1, f"Device {address} not available\n")
            self.paired[address] = self.nearby[address].name
            return CommandResult(0, f"Attempting to pair with {address}\nPairing successful\n")
        if command == "remove":
            address = params[0].upper()
            if self.paired.pop(address, False) is False:
                return CommandResult(1, f"Device {address} not available\n")
            return CommandResult(0, "Device has been removed\n")
        if command == "discoverable":
            self.discoverable = params == ["on"]
        return CommandResult(0, f"Changing {command} {' '.join(params)} succeeded\n")

    def _maybe_pair_incoming(self) -> None:
        if self._incoming is None or not self.discoverable:
            return
        device, polls = self._incoming
        if polls > 1:
            self._incoming = (device, polls - 1)
            return
        self._incoming = None
        self.paired[device.address] = device.name
        self.nearby.setdefault(device.address, device)
