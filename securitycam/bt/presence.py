"""Who is home: the tracked Bluetooth and Wi-Fi devices and whether each is near.

Every ``Bluetooth.poll_seconds`` the monitor listens to BLE advertisements for
``listen_seconds`` (tags and watches with a fixed address) and sends one ``l2ping`` to each
tracked Bluetooth device not heard that way (a paired phone answers even with its screen off).
Tracked Wi-Fi devices (``kind`` ``wifi``) are looked for on the hotspot and the LAN
(:mod:`securitycam.wifi`) in the same check. A device of either kind is
*present* from its first sighting and *away* once unseen for ``away_after_seconds``, so a phone
that sleeps through a check or two never "leaves". Absence is timed with the monotonic clock,
immune to the Pi setting its wall clock from NTP after boot.

The sensor manager asks :meth:`PresenceMonitor.anyone_home` when a sensor triggers, and may
subscribe with :meth:`PresenceMonitor.on_change`::

    presence.on_change(lambda home: print("someone is home" if home else "everyone left: armed"))

Each device's change is published on the bus as ``presence_change``. Devices and their state are
kept in SQLite: after a restart a device that was present stays present for a full
``away_after_seconds`` unless it is seen again, so a reboot never raises a false "left".
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from securitycam.bt.adapter import AdapterBusy, AdapterUnavailable, BluetoothAdapter
from securitycam.bus import PRESENCE_CHANGE, EventBus
from securitycam.clock import Clock
from securitycam.config import SettingsStore
from securitycam.config.models import Settings
from securitycam.store import Database
from securitycam.store.db import register_schema
from securitycam.system.health import OK, WARN, HealthMonitor
from securitycam.wifi import WifiPresence
from securitycam.worker import PeriodicWorker

log = logging.getLogger(__name__)

register_schema(
    "bt",
    [
        """
        CREATE TABLE bt_devices (
            address TEXT PRIMARY KEY,
            name TEXT,
            added_at REAL NOT NULL,
            last_seen REAL,
            present INTEGER NOT NULL DEFAULT 0,
            rssi INTEGER
        );
        """,
        "ALTER TABLE bt_devices ADD COLUMN kind TEXT NOT NULL DEFAULT 'bluetooth';",
    ],
)

BLUETOOTH, WIFI = "bluetooth", "wifi"

# Every tracked device may cost an l2ping timeout per check; this keeps a check well inside its period.
MAX_DEVICES = 20
# A device seen again is written back at most this often (an SD card's write budget); a change of
# presence is written at once.
PERSIST_SEEN_EVERY = 120.0

PresenceListener = Callable[[bool], None]


@dataclass
class TrackedDevice:
    address: str
    name: str | None
    added_at: float
    last_seen: float | None = None
    present: bool = False
    rssi: int | None = None
    seen_at: float | None = None  # monotonic time of the last sighting (or of a restart)
    persisted_seen: float | None = None
    kind: str = BLUETOOTH

    def as_dict(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "name": self.name,
            "present": self.present,
            "last_seen": self.last_seen,
            "rssi": self.rssi,
            "added_at": self.added_at,
        }


class TooManyDevices(RuntimeError):
    pass


class TrackedAsOtherKind(RuntimeError):
    """The address is already tracked as a device of the other kind (Bluetooth or Wi-Fi)."""


class PresenceMonitor:
    """Tracked devices, their presence, and the background check that keeps it current."""

    def __init__(
        self,
        adapter: BluetoothAdapter,
        db: Database,
        settings: SettingsStore,
        bus: EventBus,
        clock: Clock,
        health: HealthMonitor | None = None,
        wifi: WifiPresence | None = None,
    ) -> None:
        self.adapter = adapter
        self.wifi = wifi
        self._db = db
        self._settings = settings
        self._bus = bus
        self._clock = clock
        self._health = health
        self._lock = threading.RLock()
        self._listeners: list[PresenceListener] = []
        # A change to the Bluetooth settings wakes the loop: the new period applies at once.
        self._worker = PeriodicWorker("bt-presence", self.poll, lambda: settings.get().Bluetooth.poll_seconds)
        self._adapter_problem: str | None = None
        self._enabled = settings.get().Bluetooth.presence_enabled
        self._devices = self._load()
        settings.on_change(self._settings_changed)

    # -- what the rest of the appliance asks -----------------------------------------------------
    def anyone_home(self) -> bool:
        """Whether a tracked device is present (always ``False`` with presence turned off)."""
        with self._lock:
            return self._enabled and any(d.present for d in self._devices.values())

    def on_change(self, listener: PresenceListener) -> None:
        """Call ``listener(anyone_home)`` whenever :meth:`anyone_home`'s answer changes."""
        self._listeners.append(listener)

    def devices(self, kind: str | None = None) -> list[dict[str, Any]]:
        """The tracked devices of ``kind`` (every kind with ``None``), oldest first."""
        with self._lock:
            return [d.as_dict() for d in sorted(self._devices.values(), key=lambda d: d.added_at)
                    if kind is None or d.kind == kind]

    def tracked(self, address: str, kind: str = BLUETOOTH) -> bool:
        with self._lock:
            device = self._devices.get(address)
            return device is not None and device.kind == kind

    # -- the registry ----------------------------------------------------------------------------
    def track(self, address: str, name: str | None = None, seen: bool = False,
              kind: str = BLUETOOTH) -> tuple[dict[str, Any], bool]:
        """Start tracking ``address`` as a ``kind`` device (or rename it); ``seen`` counts this moment
        as a sighting (it has just paired). Returns the device and whether it is new."""
        with self._lock:
            device = self._devices.get(address)
            created = device is None
            if device is not None and device.kind != kind:
                raise TrackedAsOtherKind(
                    f"{address} is already tracked as a {device.kind} device; remove it there first")
            if device is None:
                if len(self._devices) >= MAX_DEVICES:
                    raise TooManyDevices(f"at most {MAX_DEVICES} devices can be tracked; remove one first")
                device = TrackedDevice(address, name, self._clock.time(), kind=kind)
                self._devices[address] = device
            elif name:
                device.name = name
            self._save(device)
        if seen:
            self._apply({address: None})
        return device.as_dict(), created

    def untrack(self, address: str) -> bool:
        with self._lock:
            was_home = self.anyone_home()
            device = self._devices.pop(address, None)
            if device is None:
                return False
            with self._db.transaction() as tx:
                tx.execute("DELETE FROM bt_devices WHERE address = ?", (address,))
            home = self.anyone_home()
        if device.present:
            device.present = False
            self._publish([device], home)
        self._notify(was_home, home)
        return True

    def device(self, address: str) -> dict[str, Any] | None:
        with self._lock:
            device = self._devices.get(address)
            return device.as_dict() if device else None

    # -- checking --------------------------------------------------------------------------------
    def poll(self) -> None:
        """One presence check: look for every tracked device, then apply what was (not) seen."""
        settings = self._settings.get()
        with self._lock:
            bluetooth = {a for a, d in self._devices.items() if d.kind == BLUETOOTH}
            wifi = {a for a, d in self._devices.items() if d.kind == WIFI}
        if not settings.Bluetooth.presence_enabled or not (bluetooth or wifi):
            return
        seen = self._look_for(bluetooth, settings.Bluetooth.listen_seconds) if bluetooth else {}
        if wifi and self.wifi is not None:
            seen.update(self.wifi.sightings(wifi, lan=settings.Wifi.lan_presence))
        self._apply(seen)

    def _look_for(self, addresses: set[str], listen_seconds: float) -> dict[str, int | None]:
        seen: dict[str, int | None] = {}
        try:
            if listen_seconds > 0:
                try:
                    for sighting in self.adapter.scan(listen_seconds, passive=True):
                        if sighting.address in addresses:
                            seen[sighting.address] = sighting.rssi
                except AdapterBusy:
                    log.debug("adapter busy with a user's scan; presence check uses l2ping only")
            for address in sorted(addresses - set(seen)):
                if self.adapter.is_near(address):
                    seen[address] = None
        except AdapterUnavailable as exc:
            self._adapter_trouble(str(exc))
            return seen
        self._adapter_trouble(None)
        return seen

    def _apply(self, seen: dict[str, int | None]) -> None:
        away_after = self._settings.get().Bluetooth.away_after_seconds
        now, mono = self._clock.time(), self._clock.monotonic()
        changed: list[TrackedDevice] = []
        with self._lock:
            was_home = self.anyone_home()
            for address, device in self._devices.items():
                if address in seen:
                    device.last_seen, device.seen_at = now, mono
                    device.rssi = seen[address] if seen[address] is not None else device.rssi
                    if not device.present:
                        device.present = True
                        changed.append(device)
                    elif device.persisted_seen is None or now - device.persisted_seen >= PERSIST_SEEN_EVERY:
                        self._save(device)
                elif device.present and mono - (device.seen_at if device.seen_at is not None else mono) >= away_after:
                    device.present = False
                    changed.append(device)
            for device in changed:
                self._save(device)
            home = self.anyone_home()
        self._publish(changed, home)
        self._notify(was_home, home)

    # -- service ---------------------------------------------------------------------------------
    def start(self) -> None:
        self._worker.start()

    def stop(self) -> None:
        self._worker.stop(timeout=15)
        self.adapter.close()

    # -- plumbing --------------------------------------------------------------------------------
    def _load(self) -> dict[str, TrackedDevice]:
        restarted_at = self._clock.monotonic()
        devices = {}
        for row in self._db.query("SELECT * FROM bt_devices ORDER BY added_at"):
            present = bool(row["present"])
            devices[row["address"]] = TrackedDevice(
                address=row["address"],
                name=row["name"],
                added_at=row["added_at"],
                last_seen=row["last_seen"],
                present=present,
                rssi=row["rssi"],
                seen_at=restarted_at if present else None,
                persisted_seen=row["last_seen"],
                kind=row["kind"],
            )
        return devices

    def _save(self, device: TrackedDevice) -> None:
        with self._db.transaction() as tx:
            tx.execute(
                "INSERT INTO bt_devices (address, name, added_at, last_seen, present, rssi, kind) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(address) DO UPDATE SET name = excluded.name, last_seen = excluded.last_seen, "
                "present = excluded.present, rssi = excluded.rssi",
                (device.address, device.name, device.added_at, device.last_seen, int(device.present), device.rssi,
                 device.kind),
            )
        device.persisted_seen = device.last_seen

    def _publish(self, changed: list[TrackedDevice], home: bool) -> None:
        for device in changed:
            log.info("%s (%s) is %s", device.name or "device", device.address, "home" if device.present else "away")
            self._bus.publish(PRESENCE_CHANGE, {**device.as_dict(), "kind": device.kind, "anyone_home": home})

    def _notify(self, was_home: bool, home: bool) -> None:
        if was_home == home:
            return
        log.info("presence: %s", "someone is home" if home else "nobody is home")
        for listener in list(self._listeners):
            try:
                listener(home)
            except Exception:
                log.exception("presence listener %r failed", listener)

    def _settings_changed(self, old: Settings, new: Settings) -> None:
        if new.Bluetooth != old.Bluetooth or new.Wifi != old.Wifi:
            self._worker.wake()
        with self._lock:
            was_home = self.anyone_home()
            self._enabled = new.Bluetooth.presence_enabled
            home = self.anyone_home()
        self._notify(was_home, home)

    def _adapter_trouble(self, problem: str | None) -> None:
        """Raise a health alert while presence cannot be checked (devices then drift to away, so
        alerts are never suppressed on stale information); clear it once the adapter answers."""
        if problem == self._adapter_problem:
            return
        self._adapter_problem = problem
        if problem:
            log.warning("presence checks cannot reach Bluetooth: %s", problem)
        if self._health is not None:
            level, message = (WARN, f"presence detection: {problem}") if problem else (OK, "")
            self._health.set_alert("bluetooth", level, message)
