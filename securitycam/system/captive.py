"""The captive portal: one iptables PREROUTING rule redirecting port 80 to the dashboard.

Idempotent both ways: ``iptables -C`` tells whether the rule is there, so enabling twice adds it
once and disabling removes every copy. ``active`` always reads the real rule table.
"""

from __future__ import annotations

import logging

from securitycam.config import Settings, SettingsStore
from securitycam.system.runner import CommandRunner

log = logging.getLogger(__name__)


class CaptivePortal:
    def __init__(self, runner: CommandRunner, settings: SettingsStore) -> None:
        self._runner = runner
        self._settings = settings

    def _rule(self, action: str) -> list[str]:
        port = self._settings.get().CaptivePortal.redirect_port
        return ["iptables", "-t", "nat", action, "PREROUTING", "-p", "tcp", "--dport", "80",
                "-j", "REDIRECT", "--to-ports", str(port)]

    def active(self) -> bool:
        return self._runner.run(self._rule("-C"), timeout=10).ok

    def apply(self, enabled: bool) -> bool:
        """Make the rule match ``enabled``; return whether it is active afterwards."""
        if enabled and not self.active():
            result = self._runner.run(self._rule("-A"), timeout=10)
            if not result.ok:
                log.error("could not add captive portal rule: %s", result.stderr.strip())
        elif not enabled:
            for _ in range(10):  # remove duplicates left by older versions, but never loop forever
                if not self.active():
                    break
                self._runner.run(self._rule("-D"), timeout=10)
        return self.active()

    def set_enabled(self, enabled: bool) -> dict[str, bool]:
        def change(settings: Settings) -> None:
            settings.CaptivePortal.enabled = enabled

        self._settings.modify(change)
        return {"enabled": enabled, "active": self.apply(enabled)}

    def status(self) -> dict[str, bool]:
        return {"enabled": self._settings.get().CaptivePortal.enabled, "active": self.active()}

    def start(self) -> None:
        self.apply(self._settings.get().CaptivePortal.enabled)

    def stop(self) -> None:
        """The rule stays: the portal must keep working while the service restarts."""
