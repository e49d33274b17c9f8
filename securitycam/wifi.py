"""Wi-Fi presence: phones on the Pi's hotspot or on its LAN, read through the command runner.

Both readings are cheap (no radio scan, nothing sent but one ARP question per tracked phone):

- *Hotspot stations.* ``iw dev <iface> info`` says whether the interface is an access point
  (``type AP``); if it is, ``iw dev <iface> station dump`` lists the stations associated with it
  (MAC, signal, inactive and connected time). A phone associated with the hotspot is home. Names
  come from the DHCP leases dnsmasq hands out (hostapd setups and NetworkManager's hotspot), read
  through the host seam.
- *LAN neighbours.* ``ip neigh show`` is the kernel's ARP/NDP table. ``REACHABLE`` (and ``DELAY``
  or ``PROBE``, being confirmed) means the device answered within the last half minute. ``STALE``
  only means it answered once, and on a small LAN the kernel keeps such entries for hours, long
  after a phone left: a tracked device found ``STALE`` is pinged once (``ping -c 1``), which makes
  the kernel ask it by ARP, and counts as seen only if the table then says ``REACHABLE`` (a phone
  that ignores ICMP still answers ARP).

When the Pi is no hotspot, or ``iw``/``ip`` are missing or fail, the readings are empty, never an
error: presence then rests on the other sources (Bluetooth, the LAN).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from securitycam.bt.adapter import normalize_address
from securitycam.system.host import HostReader
from securitycam.system.runner import CommandResult, CommandRunner, CommandTimeout

log = logging.getLogger(__name__)

COMMAND_TIMEOUT = 5.0
# States of ``ip neigh`` that mean "answered recently" (DELAY and PROBE: being confirmed right now).
LIVE_STATES = frozenset({"REACHABLE", "DELAY", "PROBE"})
STALE = "STALE"
LEASE_FILES = ("var/lib/misc/dnsmasq.leases", "var/lib/NetworkManager/dnsmasq-{iface}.leases")

_STATION = re.compile(r"^Station ([0-9A-Fa-f:]{17})")
_FIELD = re.compile(r"^\s+([a-z ]+):\s*(.*)$")
_NUMBER = re.compile(r"-?\d+")


@dataclass(frozen=True)
class Station:
    address: str
    name: str | None = None
    signal: int | None = None
    inactive_ms: int | None = None
    connected_seconds: int | None = None


@dataclass(frozen=True)
class Neighbour:
    address: str
    ip: str
    interface: str
    state: str


@dataclass(frozen=True)
class Stations:
    """The hotspot's stations; ``message`` says why there are none to list (no hotspot, no ``iw``)."""

    interface: str
    access_point: bool
    stations: list[Station]
    message: str | None = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"interface": self.interface, "access_point": self.access_point,
                                "stations": [asdict(station) for station in self.stations]}
        if self.message is not None:
            data["message"] = self.message
        return data


def _mac(text: str) -> str | None:
    try:
        return normalize_address(text)
    except ValueError:
        return None


def _first_number(text: str) -> int | None:
    match = _NUMBER.search(text)
    return int(match.group()) if match else None


def parse_station_dump(text: str) -> list[Station]:
    """The stations of ``iw dev <iface> station dump``, in its order."""
    found: list[dict[str, Any]] = []
    for line in text.splitlines():
        if start := _STATION.match(line):
            address = _mac(start.group(1))
            found.append({"address": address} if address else {})
        elif found and found[-1] and (field := _FIELD.match(line)):
            key, value = field.group(1).strip(), field.group(2)
            if key == "signal":
                found[-1]["signal"] = _first_number(value)
            elif key == "inactive time":
                found[-1]["inactive_ms"] = _first_number(value)
            elif key == "connected time":
                found[-1]["connected_seconds"] = _first_number(value)
    return [Station(**fields) for fields in found if fields]


def parse_neighbours(text: str) -> list[Neighbour]:
    """The entries of ``ip neigh show`` that have a link-layer address."""
    neighbours = []
    for line in text.splitlines():
        words = line.split()
        if "lladdr" not in words or "dev" not in words or not words:
            continue
        lladdr = words.index("lladdr") + 1
        address = _mac(words[lladdr]) if lladdr < len(words) else None
        if address is None:
            continue
        neighbours.append(Neighbour(address, words[0], words[words.index("dev") + 1], words[-1].upper()))
    return neighbours


def parse_leases(text: str) -> dict[str, str]:
    """MAC → host name from a dnsmasq lease file (``expiry mac ip name client-id``; ``*``: no name)."""
    names = {}
    for line in text.splitlines():
        words = line.split()
        if len(words) >= 4 and words[3] != "*" and (address := _mac(words[1])):
            names[address] = words[3]
    return names


class WifiPresence:
    """Reads who is on the hotspot and on the LAN; ``interface()`` gives the Wi-Fi interface's name."""

    def __init__(self, runner: CommandRunner, host: HostReader, interface: Callable[[], str]) -> None:
        self._runner = runner
        self._host = host
        self._interface = interface

    def _run(self, *args: str) -> CommandResult:
        try:
            return self._runner.run(list(args), timeout=COMMAND_TIMEOUT)
        except CommandTimeout as exc:
            return CommandResult(124, "", str(exc))

    def stations(self) -> Stations:
        iface = self._interface()
        info = self._run("iw", "dev", iface, "info")
        if not info.ok:
            reason = info.stderr.strip() or f"exit status {info.returncode}"
            return Stations(iface, False, [], f"cannot read {iface} with iw: {reason}")
        kind = re.search(r"^\s*type\s+(\S+)", info.stdout, re.MULTILINE)
        if kind is None or kind.group(1).upper() != "AP":
            mode = kind.group(1) if kind else "unknown"
            return Stations(iface, False, [], f"{iface} is not an access point (mode {mode}): no hotspot stations")
        dump = self._run("iw", "dev", iface, "station", "dump")
        if not dump.ok:
            return Stations(iface, True, [], f"cannot list the stations of {iface}: {dump.stderr.strip()}")
        names = self._lease_names(iface)
        stations = [Station(s.address, names.get(s.address), s.signal, s.inactive_ms, s.connected_seconds)
                    for s in parse_station_dump(dump.stdout)]
        return Stations(iface, True, stations)

    def neighbours(self) -> list[Neighbour]:
        result = self._run("ip", "neigh", "show")
        return parse_neighbours(result.stdout) if result.ok else []

    def sightings(self, addresses: set[str], lan: bool = True) -> dict[str, int | None]:
        """Which of ``addresses`` are on the hotspot (with their signal) or, with ``lan``, answer on the LAN."""
        seen: dict[str, int | None] = {s.address: s.signal for s in self.stations().stations if s.address in addresses}
        missing = addresses - set(seen)
        if not lan or not missing:
            return seen
        table = {n.address: n for n in self.neighbours() if n.address in missing}
        stale = [n for n in table.values() if n.state == STALE]
        for neighbour in stale:
            self._run("ping", "-c", "1", "-W", "1", "-I", neighbour.interface, neighbour.ip)
        if stale:
            table.update({n.address: n for n in self.neighbours() if n.address in missing})
        seen.update({address: None for address, n in table.items() if n.state in LIVE_STATES})
        return seen

    def _lease_names(self, iface: str) -> dict[str, str]:
        names: dict[str, str] = {}
        for relative in LEASE_FILES:
            text = self._host.read(relative.format(iface=iface))
            if text:
                names.update(parse_leases(text))
        return names
