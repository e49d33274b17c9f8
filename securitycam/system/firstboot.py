"""First boot: an appliance with no network opens its own Wi-Fi, and the setup page joins one.

A worker looks at the network every few seconds and moves between these states:

- ``online``: a Wi-Fi or Ethernet connection is up (the hotspot does not count).
- ``offline``: none is. With no Wi-Fi saved at all (a fresh card) the hotspot comes up at once;
  with one saved, after ``FirstBoot.offline_grace_seconds`` (the router may be rebooting).
- ``portal``: the hotspot ``securitycam-XXXX`` is up (WPA2; its password is made on the first
  start, printed, and written to ``<data-dir>/hotspot.txt``, which ``securitycam-bootnote.path``
  copies to the boot partition, readable from any computer). NetworkManager's dnsmasq answers
  every name with :data:`~securitycam.system.nmcli.HOTSPOT_ADDRESS`, the captive-portal rule
  sends port 80 to the app, and the phones' connectivity probes get a redirect to the setup page
  (``securitycam.api.setup``), so their "sign in to network" sheet opens it. With a saved network
  the hotspot steps aside every ``retry_seconds`` to try it again, unless someone used the setup
  page within that time.
- ``joining``: the setup page sent a network. The hotspot goes down (one radio cannot be an access
  point and a client at once) and NetworkManager joins; on success the state is ``online`` with
  the new address, on failure (a wrong password) the hotspot comes back with the error, which
  ``/setup/status`` shows to the phone once it is back on the hotspot. (An appliance set up from
  its LAN goes ``offline`` instead, and NetworkManager back to the network it had.)

A hotspot found up at start (the service restarted during setup) is kept, with the phone on it.

Every change goes through ``nmcli`` on the command runner, so off a Pi the calls are recorded.
Before the hotspot comes up the radio scans once: while it is an access point it cannot scan, and
the setup page lists the networks of that scan.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
from pathlib import Path
from typing import Any

from securitycam.clock import Clock
from securitycam.config import Settings, SettingsStore
from securitycam.fileio import write_atomic
from securitycam.system.captive import CaptivePortal
from securitycam.system.host import HostReader
from securitycam.system.logs import CONSOLE, CONSOLE_ONLY
from securitycam.system.nmcli import HOTSPOT_ADDRESS, HOTSPOT_CONNECTION, NetworkError, NetworkManager, WifiNetwork
from securitycam.system.runner import CommandRunner
from securitycam.worker import PeriodicWorker

log = logging.getLogger(__name__)

ONLINE, OFFLINE, PORTAL, JOINING, DISABLED = "online", "offline", "portal", "joining", "disabled"
CHECK_INTERVAL = 10.0
HOTSPOT_NOTE = "hotspot.txt"
# Read aloud from a card or typed on a phone: no 0/O, 1/l/I.
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
PASSWORD_LENGTH = 12
# How long the answer to the setup page has to leave before the hotspot it travels on goes down.
JOIN_DELAY = 2.0
# After a hotspot that would not start (no NetworkManager, no Wi-Fi chip), the next try.
HOTSPOT_RETRY = 300.0


def node_suffix(host: HostReader) -> str:
    """Four hex digits naming this board: from the Pi's serial number, else the machine id."""
    for relative in ("proc/device-tree/serial-number", "etc/machine-id"):
        value = host.read(relative)
        if value:
            return hashlib.sha256(value.encode()).hexdigest()[:4]
    return "0000"


class FirstBoot:
    def __init__(self, runner: CommandRunner, settings: SettingsStore, captive: CaptivePortal, data_dir: Path,
                 host: HostReader, clock: Clock | None = None, interval: float = CHECK_INTERVAL,
                 join_delay: float = JOIN_DELAY) -> None:
        self._settings = settings
        self._captive = captive
        self._clock = clock or Clock()
        self.network = NetworkManager(runner, settings.get().Wifi.interface)
        self.ssid = f"securitycam-{node_suffix(host)}"
        # Elsewhere (a laptop, CI) there is no Wi-Fi of the appliance's own to give away.
        self._on_pi = host.is_raspberry_pi()
        self.note_file = data_dir / HOTSPOT_NOTE
        self._join_delay = join_delay
        self._lock = threading.RLock()
        self._idle = threading.Condition(self._lock)
        self.state = OFFLINE
        self.error: str | None = None
        self.joining: str | None = None
        self.address: str | None = None
        self.networks: list[WifiNetwork] = []
        self._offline_since: float | None = None
        self._portal_since = 0.0
        self._hotspot_failed_at = float("-inf")
        self._last_visit = float("-inf")
        self._worker = PeriodicWorker("first-boot", self.step, interval, immediately=True)
        settings.on_change(self._settings_changed)

    # -- what the setup page reads ---------------------------------------------------------------
    def portal_on(self) -> bool:
        return self.state == PORTAL

    def visited(self) -> None:
        """Someone uses the setup page: the hotspot stays up for them (no retry of a saved network)."""
        with self._lock:
            self._last_visit = self._clock.monotonic()

    def status(self) -> dict[str, Any]:
        # Read without the lock, which a step holds through its nmcli calls: a page asking must
        # not wait for them, and each field is one attribute read.
        return {
            "state": self.state,
            "portal": self.state == PORTAL,
            "hotspot": {"ssid": self.ssid, "address": HOTSPOT_ADDRESS},
            "joining": self.joining,
            "address": self.address,
            "error": self.error,
        }

    # -- the state machine -----------------------------------------------------------------------
    def step(self) -> None:
        with self._lock:
            config = self._settings.get().FirstBoot
            if self.state == JOINING:
                return
            if not config.enabled or not self._on_pi:
                if self.state == PORTAL:
                    self._portal_off()
                self.state = DISABLED
                return
            now = self._clock.monotonic()
            if self.state == PORTAL:
                quiet = now - max(self._portal_since, self._last_visit) >= config.retry_seconds
                if quiet and self.network.saved_wifi():
                    log.info("hotspot off for a while: trying the saved Wi-Fi network again")
                    self._portal_off()
                    self.state, self._offline_since = OFFLINE, now
                return
            active = self.network.active()
            if HOTSPOT_CONNECTION in active:
                self._adopt_portal(now)
                return
            if active:
                if self.state != ONLINE:
                    self.address = self.network.address()
                    log.info("network up (address %s)", self.address or "unknown")
                self.state, self._offline_since = ONLINE, None
                return
            if self._offline_since is None:
                self._offline_since = now
            self.state = OFFLINE
            saved = self.network.saved_wifi()
            if now - self._hotspot_failed_at < HOTSPOT_RETRY:
                return
            if not saved or now - self._offline_since >= config.offline_grace_seconds:
                log.warning("no network (%s): opening the setup hotspot",
                            "no Wi-Fi network set up" if not saved else f"{', '.join(saved)} not reached")
                self._portal_on()

    def _portal_on(self) -> None:
        password = self._hotspot_password()
        try:
            self.networks = self.network.scan(rescan=True)
        except NetworkError as exc:
            log.warning("Wi-Fi scan before the hotspot failed: %s", exc)
        try:
            self.network.hotspot_up(self.ssid, password)
        except NetworkError as exc:
            log.error("could not start the hotspot %s: %s (next try in %d s)", self.ssid, exc, HOTSPOT_RETRY)
            self.state, self._hotspot_failed_at = OFFLINE, self._clock.monotonic()
            return
        self._captive.set_enabled(True)
        self.state, self._portal_since = PORTAL, self._clock.monotonic()
        log.info("setup hotspot on: Wi-Fi %r, its password in %s; setup page http://%s/",
                 self.ssid, self.note_file, HOTSPOT_ADDRESS, extra=CONSOLE)
        log.info("setup hotspot %r password: %s", self.ssid, password, extra=CONSOLE_ONLY)

    def _adopt_portal(self, now: float) -> None:
        """The hotspot is up already (the service restarted during setup): keep it, and the phone on it."""
        try:
            self.networks = self.network.scan(rescan=False)
        except NetworkError as exc:
            log.warning("Wi-Fi list: %s", exc)
        self._captive.set_enabled(True)
        self.state, self._portal_since = PORTAL, now
        log.info("setup hotspot %r already up: kept", self.ssid)

    def _portal_off(self) -> None:
        self.network.hotspot_down()
        log.info("setup hotspot off")

    def _hotspot_password(self) -> str:
        password = self._settings.get().FirstBoot.hotspot_password
        if not password:
            password = "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))

            def keep(settings: Settings) -> None:
                settings.FirstBoot.hotspot_password = password

            self._settings.modify(keep)
        note = (f"securitycam setup Wi-Fi\nnetwork:  {self.ssid}\npassword: {password}\n"
                f"setup page: http://{HOTSPOT_ADDRESS}/ (a phone opens it by itself)\n")
        try:
            if not self.note_file.exists() or self.note_file.read_text() != note:
                write_atomic(self.note_file, note, mode=0o600)
        except OSError as exc:
            log.error("could not write %s: %s", self.note_file, exc)
        return password

    # -- joining a network -----------------------------------------------------------------------
    def join(self, ssid: str, password: str) -> None:
        """Leave the hotspot and join ``ssid`` on a thread of its own (the caller answers first)."""
        with self._lock:
            if self.state == JOINING:
                raise NetworkError(f"already joining {self.joining!r}")
            was_online = self.state == ONLINE
            self.state, self.joining, self.error = JOINING, ssid, None
        threading.Thread(target=self._join, args=(ssid, password, was_online), name="first-boot-join",
                         daemon=True).start()

    def _join(self, ssid: str, password: str, was_online: bool) -> None:
        # The worker leaves a joining appliance alone, so the slow nmcli calls run without the lock.
        threading.Event().wait(self._join_delay)
        try:
            self._portal_off()
            self.network.join(ssid, password)
            failure = None
        except NetworkError as exc:
            failure = exc
        except Exception as exc:  # an ending thread must not leave the appliance JOINING with no hotspot
            log.exception("joining %r failed", ssid)
            failure = exc
        with self._lock:
            if failure is None:
                self.address = self.network.address()
                self.state, self._offline_since = ONLINE, None
                log.info("joined %r, address %s", ssid, self.address or "unknown", extra=CONSOLE)
            else:
                self.error = f"could not join {ssid!r}: {failure}"
                if was_online:
                    # Set up from the LAN: NetworkManager goes back to the network it had; the worker
                    # opens the hotspot only if none comes back within the grace period.
                    log.warning("could not join %r: %s", ssid, failure)
                    self.state, self._offline_since = OFFLINE, self._clock.monotonic()
                else:
                    log.warning("could not join %r: %s; the setup hotspot comes back", ssid, failure)
                    self._portal_on()
            self.joining = None
            self._idle.notify_all()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until no join is under way; whether none is."""
        with self._lock:
            return self._idle.wait_for(lambda: self.state != JOINING, timeout)

    # -- service ---------------------------------------------------------------------------------
    def _settings_changed(self, old: Settings, new: Settings) -> None:
        if old.FirstBoot.enabled != new.FirstBoot.enabled:
            self._worker.wake()

    def start(self) -> None:
        self._worker.start()

    def stop(self) -> None:
        """The hotspot stays up: the phone on it keeps its setup page while the service restarts."""
        self._worker.stop(timeout=5)
