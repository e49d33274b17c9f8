"""The Bluetooth controller, as BlueZ exposes it: BLE advertisements through bleak, classic
pairing and presence through ``bluetoothctl`` and ``l2ping``.

This is the code that runs on the Pi. Its two ways down to the hardware are seams: bleak's
scanner *backend* class (``scanner_backend``; ``None`` is bleak's own BlueZ backend over D-Bus)
and the :class:`~securitycam.system.runner.CommandRunner` that runs the BlueZ tools. Tests and the
demo put :class:`~securitycam.bt.fake.FakeRadio` under both, so everything here is exercised.

Every operation raises :class:`AdapterUnavailable` with a sentence a user can act on when there is
no controller (no D-Bus, no bluetoothd, no ``hci0``, tools not installed) instead of hanging::

    adapter = BluetoothAdapter(SubprocessRunner())
    for sighting in adapter.scan(duration=10):
        print(sighting.address, sighting.name, sighting.rssi)
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import math
import re
import threading
import time
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from securitycam.system.runner import CommandResult, CommandRunner, CommandTimeout

if TYPE_CHECKING:
    from bleak.backends.scanner import BaseBleakScanner

    from securitycam.bt.agent import PairingAgent

log = logging.getLogger(__name__)
T = TypeVar("T")

_ADDRESS = re.compile(r"^[0-9A-F]{2}(:[0-9A-F]{2}){5}$")
_NOT_DEVICES = {"00:00:00:00:00:00", "FF:FF:FF:FF:FF:FF"}
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]|\x01|\x02")
_DEVICE_LINE = re.compile(r"Device ([0-9A-F]{2}(?::[0-9A-F]{2}){5})(?: (.*))?$")

# How long a BlueZ tool may take before the controller counts as unreachable (bluetoothctl waits
# forever for a bluetoothd that is not running).
TOOL_TIMEOUT = 5.0
# l2ping's own wait for an echo reply; a phone in a pocket answers within a second or two.
PING_TIMEOUT = 3


def normalize_address(value: str) -> str:
    """``aa:bb:cc:dd:ee:ff`` → ``AA:BB:CC:DD:EE:FF``; raises ``ValueError`` for anything else.

    Only the colon form is accepted (as ``bluetoothctl`` prints it); the all-zero and broadcast
    addresses name no device.
    """
    address = value.strip().upper()
    if not _ADDRESS.fullmatch(address):
        raise ValueError("a Bluetooth address looks like AA:BB:CC:DD:EE:FF (six hex pairs separated by colons)")
    if address in _NOT_DEVICES:
        raise ValueError(f"{address} is not a device address")
    return address


class AdapterUnavailable(RuntimeError):
    """There is no usable Bluetooth controller; the message says why."""


class AdapterBusy(RuntimeError):
    """The controller is already scanning or waiting for a pairing."""


class PairingFailed(RuntimeError):
    """BlueZ refused to pair; the message is its reason."""


@dataclass(frozen=True)
class Sighting:
    """One device heard during a scan: its address, advertised name (if any) and signal strength."""

    address: str
    name: str | None
    rssi: int | None

    def as_dict(self) -> dict[str, Any]:
        return {"address": self.address, "name": self.name, "rssi": self.rssi}


# BlueZ's passive scanning goes through an advertisement monitor, which needs patterns; these match
# the Flags field every connectable advertisement carries (the set Home Assistant uses).
def _passive_patterns() -> list[Any]:
    from bleak.args.bluez import OrPattern
    from bleak.assigned_numbers import AdvertisementDataType

    return [OrPattern(0, AdvertisementDataType.FLAGS, flags) for flags in (b"\x02", b"\x06", b"\x1a")]


class BluetoothAdapter:
    """One BlueZ controller; thread-safe, one radio operation (scan, pairing window) at a time.

    ``busy_wait`` is how long an operation waits for another to finish before raising
    :class:`AdapterBusy`; ``pairing_poll`` how often the discoverable window checks for a newly
    paired device; ``dbus_address`` the bus the pairing agent registers on (``None``: the system bus).
    """

    def __init__(
        self,
        runner: CommandRunner,
        scanner_backend: type[BaseBleakScanner] | None = None,
        busy_wait: float = 10.0,
        pairing_poll: float = 1.0,
        dbus_address: str | None = None,
    ) -> None:
        self.runner = runner
        self.dbus_address = dbus_address
        self.scanner_backend = scanner_backend
        self.busy_wait = busy_wait
        self.pairing_poll = pairing_poll
        self._radio = threading.Lock()
        self._passive_works = True
        self._loop: EventLoopThread | None = None
        self._loop_lock = threading.Lock()
        self._local = threading.local()

    @contextmanager
    def transcript(self) -> Iterator[list[str]]:
        """Record the BlueZ commands this thread runs, with their output, until the block ends."""
        lines: list[str] = []
        self._local.transcript = lines
        try:
            yield lines
        finally:
            self._local.transcript = None

    def close(self) -> None:
        """Stop the thread that runs bleak's event loop (it starts again on the next scan)."""
        with self._loop_lock:
            if self._loop is not None:
                self._loop.close()
                self._loop = None

    def _ble_loop(self) -> EventLoopThread:
        # One long-lived loop keeps bleak's D-Bus connection open between presence checks, instead of
        # connecting and listing BlueZ's objects again every time (costly on a Pi Zero).
        with self._loop_lock:
            if self._loop is None:
                self._loop = EventLoopThread()
            return self._loop

    # -- the controller --------------------------------------------------------------------------
    def check(self) -> None:
        """Raise :class:`AdapterUnavailable` unless a powered controller is there (powering it on)."""
        shown = self._ctl("show")
        if "Controller " not in shown.stdout:
            reason = _clean(shown.stdout or shown.stderr) or "bluetoothctl reports no controller"
            raise AdapterUnavailable(f"no Bluetooth adapter found ({reason.splitlines()[0]})")
        if "Powered: no" in shown.stdout and not self._ctl("power", "on").ok:
            raise AdapterUnavailable("the Bluetooth adapter is off and could not be powered on")

    # -- BLE -------------------------------------------------------------------------------------
    def scan(self, duration: float, passive: bool = False) -> list[Sighting]:
        """Listen to advertisements for ``duration`` seconds; the devices heard, strongest first.

        ``passive`` listens without sending scan requests (less airtime, no names from scan
        responses) where BlueZ supports it, and falls back to an active scan where it does not.
        """
        self.check()
        with self._exclusive():
            heard = self._discover(duration, passive and self._passive_works)
        sightings = [
            Sighting(device.address.upper(), adv.local_name or device.name, adv.rssi) for device, adv in heard.values()
        ]
        return sorted(sightings, key=lambda s: -(s.rssi if s.rssi is not None else -999))

    def _discover(self, duration: float, passive: bool) -> dict[str, Any]:
        from bleak import BleakScanner
        from bleak.exc import BleakError

        options: dict[str, Any] = {"backend": self.scanner_backend}
        if passive:
            options.update(scanning_mode="passive", bluez={"or_patterns": _passive_patterns()})
        try:
            return self._ble_loop().run(
                BleakScanner.discover(timeout=duration, return_adv=True, **options), timeout=duration + TOOL_TIMEOUT
            )
        except TimeoutError as exc:
            raise AdapterUnavailable("the Bluetooth LE scan did not finish: is the bluetooth service running?") from exc
        except BleakError as exc:
            if passive:
                log.info("passive BLE scanning is not supported here (%s); scanning actively", exc)
                self._passive_works = False
                return self._discover(duration, passive=False)
            raise AdapterUnavailable(f"Bluetooth LE scanning failed: {exc}") from exc
        except OSError as exc:
            # No D-Bus socket at all: there is no BlueZ on this machine.
            raise AdapterUnavailable(f"no Bluetooth service (BlueZ over D-Bus) on this machine: {exc}") from exc

    # -- classic ---------------------------------------------------------------------------------
    def is_near(self, address: str) -> bool:
        """Whether a (paired) classic device answers an L2CAP echo request: a phone in range does,
        even with its screen off and without advertising."""
        try:
            result = self.runner.run(["l2ping", "-c", "1", "-t", str(PING_TIMEOUT), address], PING_TIMEOUT + 2)
        except CommandTimeout:
            return False
        if result.returncode == 127:
            raise AdapterUnavailable("l2ping is not installed (it comes with the bluez package)")
        return result.ok

    def paired(self) -> dict[str, str | None]:
        """Paired devices as ``{address: name}``."""
        result = self._ctl("devices", "Paired")
        if not result.ok or "Invalid command" in result.stdout:
            result = self._ctl("paired-devices")  # BlueZ before 5.65
        found: dict[str, str | None] = {}
        for line in _clean(result.stdout).splitlines():
            match = _DEVICE_LINE.search(line.strip())
            if match:
                found[match.group(1)] = match.group(2) or None
        return found

    def name_of(self, address: str) -> str | None:
        for line in _clean(self._ctl("info", address).stdout).splitlines():
            key, _, value = line.strip().partition(": ")
            if key in ("Name", "Alias") and value:
                return value
        return None

    def pair(self, address: str) -> None:
        """Pair with ``address`` (already paired is fine) and trust it so it reconnects by itself."""
        self.check()
        result = self._ctl("pair", address, timeout=30)
        output = _clean(result.stdout + result.stderr)
        if not result.ok and "AlreadyExists" not in output:
            raise PairingFailed(_last_line(output) or f"bluetoothctl pair exited with {result.returncode}")
        self._ctl("trust", address)

    def unpair(self, address: str) -> bool:
        """Forget ``address``'s pairing; ``False`` if BlueZ did not know it."""
        self.check()
        return self._ctl("remove", address).ok

    def wait_for_pairing(self, timeout: float) -> tuple[str, str | None] | None:
        """Be discoverable and pairable for ``timeout`` seconds; the first device that pairs meanwhile
        is trusted and returned as ``(address, name)``; ``None`` if nobody paired.

        For the window, :class:`~securitycam.bt.agent.PairingAgent` is BlueZ's default agent and
        accepts the phone's "Just Works" request; where it cannot register (no D-Bus here) pairing
        is left to whatever agent the system runs.
        """
        self.check()
        with self._exclusive():
            agent = self._register_agent()
            try:
                before = set(self.paired())
                self._ctl("pairable", "on")
                # BlueZ reads 0 as "forever": never let a short window round down to that.
                self._ctl("discoverable-timeout", str(max(1, math.ceil(timeout))))
                if not self._ctl("discoverable", "on").ok:
                    raise AdapterUnavailable("the Bluetooth adapter refused to become discoverable")
                deadline = time.monotonic() + timeout
                while True:
                    new = {a: n for a, n in self.paired().items() if a not in before}
                    if new:
                        address, name = next(iter(new.items()))
                        self._ctl("trust", address)
                        return address, name or self.name_of(address)
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return None
                    time.sleep(min(self.pairing_poll, remaining))
            finally:
                # BlueZ's own discoverable-timeout closes the window should bluetoothctl not answer now.
                with suppress(AdapterUnavailable):
                    self._ctl("discoverable", "off")
                if agent is not None:
                    self._unregister_agent(agent)

    def _unregister_agent(self, agent: PairingAgent) -> None:
        try:
            self._ble_loop().run(agent.unregister(), timeout=TOOL_TIMEOUT)
        except TimeoutError:
            log.warning("BlueZ did not answer unregistering the pairing agent")

    def _register_agent(self) -> PairingAgent | None:
        from securitycam.bt.agent import AgentRefused, PairingAgent

        try:
            agent = self._ble_loop().run(PairingAgent.register(self.dbus_address), timeout=TOOL_TIMEOUT)
        except (AgentRefused, TimeoutError) as exc:
            message = f"pairing agent not registered ({exc or 'timeout'}); pairing relies on the system's agent"
            log.warning("%s", message)
            self._note(message)
            return None
        self._note("pairing agent registered: Just Works pairing is accepted until the window closes")
        return agent

    # -- plumbing --------------------------------------------------------------------------------
    def _ctl(self, *args: str, timeout: float = TOOL_TIMEOUT) -> CommandResult:
        try:
            result = self.runner.run(["bluetoothctl", *args], timeout)
        except CommandTimeout as exc:
            raise AdapterUnavailable("bluetoothctl did not answer: is the bluetooth service running?") from exc
        if result.returncode == 127:
            raise AdapterUnavailable("bluetoothctl is not installed (install the bluez package)")
        self._note(f"$ bluetoothctl {' '.join(args)}  [exit {result.returncode}]")
        for line in _clean(result.stdout + result.stderr).splitlines():
            self._note(f"  {line}")
        return result

    def _note(self, line: str) -> None:
        transcript = getattr(self._local, "transcript", None)
        if transcript is not None:
            transcript.append(line)

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        if not self._radio.acquire(timeout=self.busy_wait):
            raise AdapterBusy("the Bluetooth adapter is busy with another scan or pairing; try again shortly")
        try:
            yield
        finally:
            self._radio.release()


class EventLoopThread:
    """An asyncio loop on its own daemon thread; :meth:`run` waits for a coroutine from any thread."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="bleak-loop", daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float) -> T:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError from None

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()


def _clean(text: str) -> str:
    return _ANSI.sub("", text).strip()


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""
