"""The command-runner seam.

Everything that changes the machine (systemctl, reboot, iptables, bluetoothctl) or asks it a
question through a program (git, vcgencmd) goes through a :class:`CommandRunner`. On the Pi it is
a :class:`SubprocessRunner`; in tests and on a laptop a :class:`RecordingRunner` records each call
and answers from a script, so nothing is executed and tests read back what would have run.
"""

from __future__ import annotations

import logging
import os
import subprocess
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CommandResult:
    returncode: int
    stdout: str = ""
    stderr: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0


class CommandTimeout(RuntimeError):
    """The command did not finish within its timeout (it has been killed)."""


class CommandRunner:
    def run(self, args: Sequence[str], timeout: float = 30.0) -> CommandResult:
        """Run ``args`` (no shell), wait at most ``timeout`` seconds, return its result.

        Raises :class:`CommandTimeout` on timeout; a missing program is returncode 127.
        """
        raise NotImplementedError


def no_new_privileges(status: Path = Path("/proc/self/status")) -> bool:
    """Whether this process may never gain privileges (systemd's ``NoNewPrivileges=``): sudo cannot work."""
    try:
        return any(line.split() == ["NoNewPrivs:", "1"] for line in status.read_text().splitlines())
    except OSError:
        return False


class SubprocessRunner(CommandRunner):
    """Runs commands for real. Installed as a service (``systemd/securitycam.service``) it runs as
    its own user with ``NoNewPrivileges``: iptables works through the unit's ``CAP_NET_ADMIN``, and
    systemctl, nmcli and timedatectl ask systemd and NetworkManager over D-Bus, which polkit allows
    for this user (``systemd/polkit/``). Started by hand as a user (``scripts/run.sh``), the commands
    that need root go through ``sudo -n``."""

    PRIVILEGED = frozenset({"systemctl", "iptables"})

    def __init__(self) -> None:
        self._sudo = os.geteuid() != 0 and not no_new_privileges()

    def run(self, args: Sequence[str], timeout: float = 30.0) -> CommandResult:
        args = list(args)
        if args and args[0] in self.PRIVILEGED and self._sudo:
            args = ["sudo", "-n", *args]
        try:
            done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise CommandTimeout(f"{args[0]} timed out after {timeout:g} s") from exc
        except OSError as exc:
            return CommandResult(127, "", str(exc))
        return CommandResult(done.returncode, done.stdout, done.stderr)


Responder = Callable[[list[str]], CommandResult]
# Arguments whose next argument is a secret (nmcli's Wi-Fi passwords): logged as ***.
SECRET_OPTIONS = frozenset({"password", "wifi-sec.psk"})


def loggable(args: list[str]) -> str:
    """``args`` as one line for a log (which every user may read), secrets masked."""
    return " ".join("***" if index and args[index - 1] in SECRET_OPTIONS else arg for index, arg in enumerate(args))


MAX_RECORDED_CALLS = 10_000


class RecordingRunner(CommandRunner):
    """Records every call; answers from responders keyed by command prefix (longest prefix wins).

    ``passthrough`` names programs that are safe to really run (read-only ones such as ``git``):
    the demo on a laptop shows its real git commit while a reboot request is only recorded.
    Unscripted commands succeed with empty output.
    """

    def __init__(self, passthrough: Sequence[str] = ()) -> None:
        self.calls: list[list[str]] = []
        self._responders: dict[tuple[str, ...], Responder] = {}
        self._passthrough = set(passthrough)
        self._real = SubprocessRunner()
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)

    def respond(self, prefix: Sequence[str], result: CommandResult | Responder) -> None:
        """Answer commands starting with ``prefix`` with ``result`` (or ``result(args)``)."""
        responder = result if callable(result) else (lambda _args, r=result: r)
        self._responders[tuple(prefix)] = responder

    def run(self, args: Sequence[str], timeout: float = 30.0) -> CommandResult:
        args = list(args)
        with self._changed:
            self.calls.append(args)
            # The laptop demo runs for weeks with this runner: keep the newest calls, not all of them.
            if len(self.calls) > MAX_RECORDED_CALLS:
                del self.calls[: len(self.calls) - MAX_RECORDED_CALLS // 2]
            self._changed.notify_all()
        for length in range(len(args), 0, -1):
            responder = self._responders.get(tuple(args[:length]))
            if responder is not None:
                return responder(args)
        if args and args[0] in self._passthrough:
            return self._real.run(args, timeout)
        log.info("not executed (no hardware): %s", loggable(args))
        return CommandResult(0)

    def wait_for(self, prefix: Sequence[str], timeout: float = 5.0) -> list[str] | None:
        """Block until a call starting with ``prefix`` has been made; return it, or ``None``."""
        prefix = list(prefix)
        with self._changed:
            found = self._changed.wait_for(
                lambda: next((c for c in self.calls if c[: len(prefix)] == prefix), None), timeout
            )
        return found
