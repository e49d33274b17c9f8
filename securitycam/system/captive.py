"""The captive portal: one iptables PREROUTING rule redirecting port 80 to the dashboard.

The portal remembers the rule it put (the port it redirects to): ``active`` checks that rule
with ``iptables -C``, and turning the portal off or moving it to another ``redirect_port``
removes that rule, not one built from settings that may have changed since. A reading of
``active`` serves every caller for :data:`STATUS_REUSE` seconds (one ``iptables -C`` however
often clients ask), and each change reads it again. It follows the
``CaptivePortal`` settings however they change (``POST /captive-portal`` or ``POST /settings``).
Idempotent both ways: enabling twice adds the rule once, disabling removes every copy.
"""

from __future__ import annotations

import logging
import threading

from securitycam.answers import SharedAnswers
from securitycam.clock import Clock
from securitycam.config import Settings, SettingsStore
from securitycam.config.models import CaptivePortalSettings
from securitycam.system.runner import CommandRunner

log = logging.getLogger(__name__)

# Copies of the rule removed at most when turning off (older versions could add duplicates).
MAX_COPIES = 10
STATUS_REUSE = 3.0


class CaptivePortal:
    def __init__(self, runner: CommandRunner, settings: SettingsStore, clock: Clock | None = None) -> None:
        self._runner = runner
        self._settings = settings
        self._lock = threading.Lock()
        self._readings = SharedAnswers(clock)
        self._started = False
        # The port of the rule this process put and saw in place; None: no rule of ours.
        self._port: int | None = None
        settings.on_change(self._settings_changed)

    @staticmethod
    def _rule(action: str, port: int) -> list[str]:
        return ["iptables", "-t", "nat", action, "PREROUTING", "-p", "tcp", "--dport", "80",
                "-j", "REDIRECT", "--to-ports", str(port)]

    def _present(self, port: int) -> bool:
        return self._runner.run(self._rule("-C", port), timeout=10).ok

    def _remove(self, port: int) -> bool:
        """Remove every copy of the rule to ``port``; whether there was one."""
        for copy in range(MAX_COPIES):
            if not self._present(port):
                return copy > 0
            self._runner.run(self._rule("-D", port), timeout=10)
        return True

    def active(self) -> bool:
        """Whether the rule this process put is in the table now (as read at most STATUS_REUSE s ago)."""
        return self._readings.get("active", self._read_active, STATUS_REUSE)

    def _read_active(self) -> bool:
        with self._lock:
            return self._port is not None and self._present(self._port)

    def apply(self, portal: CaptivePortalSettings) -> bool:
        """Make the rule match ``portal`` (on or off, which port); return whether it is active afterwards."""
        with self._lock:
            self._readings.forget("active")
            previous, self._port = self._port, None
            wanted = portal.redirect_port if portal.enabled else None
            for port in {port for port in (previous, portal.redirect_port) if port not in (None, wanted)}:
                if self._remove(port):
                    log.info("captive portal off: port 80 no longer redirected to %d", port)
            if wanted is None:
                return False
            added = False
            if not self._present(wanted):
                result = self._runner.run(self._rule("-A", wanted), timeout=10)
                added = result.ok
                if not result.ok:
                    log.error("captive portal: could not redirect port 80 to %d: %s", wanted, result.stderr.strip())
            if self._present(wanted):
                self._port = wanted
                if added or previous != wanted:
                    log.info("captive portal on: port 80 redirected to %d", wanted)
            return self._port is not None

    def set_enabled(self, enabled: bool) -> dict[str, bool]:
        def change(settings: Settings) -> None:
            settings.CaptivePortal.enabled = enabled

        portal = self._settings.modify(change).CaptivePortal
        return {"enabled": enabled, "active": self.apply(portal)}

    def status(self) -> dict[str, bool]:
        return {"enabled": self._settings.get().CaptivePortal.enabled, "active": self.active()}

    def _settings_changed(self, old: Settings, new: Settings) -> None:
        if self._started and old.CaptivePortal != new.CaptivePortal:
            self.apply(new.CaptivePortal)

    def start(self) -> None:
        self._started = True
        self.apply(self._settings.get().CaptivePortal)

    def stop(self) -> None:
        """The rule stays: the portal must keep working while the service restarts."""
