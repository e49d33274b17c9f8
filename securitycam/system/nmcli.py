"""NetworkManager through ``nmcli``, Raspberry Pi OS Bookworm's network stack, via the command runner.

Everything here is one ``nmcli`` call through :class:`~securitycam.system.runner.CommandRunner`,
so off a Pi the calls are recorded, and tests script nmcli's answers.

Answers are read in terse mode (``-t``): fields are separated by ``:``, and a ``:`` or ``\\``
inside a field (an SSID may hold either) is escaped with a backslash, which :func:`split_terse`
undoes.

The hotspot is a connection profile of its own (:data:`HOTSPOT_CONNECTION`): Wi-Fi in access-point
mode, WPA2 only (RSN with CCMP; some phones refuse a mixed WPA/WPA2 network), and IPv4
``shared``: NetworkManager then gives the interface :data:`HOTSPOT_ADDRESS`, runs dnsmasq for DHCP
and DNS on it and reads extra dnsmasq options from ``/etc/NetworkManager/dnsmasq-shared.d/``
(``scripts/install.sh`` puts the captive portal's "every name is this address" there; it only
applies while a shared connection, which is only the hotspot, is up).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from securitycam.system.runner import CommandRunner, CommandTimeout

log = logging.getLogger(__name__)

HOTSPOT_CONNECTION = "securitycam-hotspot"
HOTSPOT_ADDRESS = "10.42.0.1"
WIFI_TYPE = "802-11-wireless"
# Joining a network waits for DHCP too; nmcli's own default wait is 90 s.
JOIN_WAIT = 45


@dataclass(frozen=True)
class WifiNetwork:
    ssid: str
    signal: int
    security: str
    in_use: bool

    def to_dict(self) -> dict[str, object]:
        return {"ssid": self.ssid, "signal": self.signal, "security": self.security or "open",
                "in_use": self.in_use}


class NetworkError(RuntimeError):
    """An nmcli call failed; the message is nmcli's, without its ``Error:`` prefix."""


def split_terse(line: str) -> list[str]:
    """The fields of one line of ``nmcli -t`` output (``\\:`` is a colon in a field, ``\\\\`` a backslash)."""
    fields, current, escaped = [], [], False
    for char in line:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ":":
            fields.append("".join(current))
            current = []
        else:
            current.append(char)
    fields.append("".join(current))
    return fields


def parse_wifi_list(output: str) -> list[WifiNetwork]:
    """Networks from ``nmcli -t -f IN-USE,SSID,SIGNAL,SECURITY device wifi list``: one per SSID (its
    strongest access point), hidden ones left out, strongest first."""
    best: dict[str, WifiNetwork] = {}
    for line in output.splitlines():
        fields = split_terse(line)
        if len(fields) != 4 or not fields[1]:
            continue
        in_use, ssid, signal, security = fields
        try:
            strength = int(signal)
        except ValueError:
            continue
        known = best.get(ssid)
        used = in_use.strip() == "*" or (known is not None and known.in_use)
        if known is None or strength > known.signal:
            best[ssid] = WifiNetwork(ssid, strength, security.strip(), used)
        elif used:
            best[ssid] = WifiNetwork(ssid, known.signal, known.security, True)
    return sorted(best.values(), key=lambda network: (-network.signal, network.ssid))


def nmcli_message(stderr: str, stdout: str = "") -> str:
    """nmcli's error in a sentence for a person: its first line, without the ``Error:`` prefix."""
    text = (stderr.strip() or stdout.strip() or "nmcli failed").splitlines()[0]
    return text.removeprefix("Error:").strip()


class NetworkManager:
    def __init__(self, runner: CommandRunner, interface: str = "wlan0") -> None:
        self._runner = runner
        self.interface = interface

    def _nmcli(self, *args: str, timeout: float = 30.0) -> str:
        try:
            result = self._runner.run(["nmcli", *args], timeout=timeout)
        except CommandTimeout as exc:
            raise NetworkError(str(exc)) from exc
        if not result.ok:
            raise NetworkError(nmcli_message(result.stderr, result.stdout))
        return result.stdout

    def _table(self, fields: str, *command: str) -> list[list[str]]:
        """The rows of ``nmcli -t -f fields command`` with as many fields as asked; none when it fails."""
        try:
            output = self._nmcli("-t", "-f", fields, *command, timeout=10)
        except NetworkError as exc:
            log.warning("nmcli %s: %s", " ".join(command), exc)
            return []
        width = fields.count(",") + 1
        return [row for row in map(split_terse, output.splitlines()) if len(row) == width]

    def active(self) -> list[str]:
        """The connections up on a Wi-Fi or Ethernet device (the hotspot's among them when it is up)."""
        return [connection for _device, kind, state, connection in
                self._table("DEVICE,TYPE,STATE,CONNECTION", "device", "status")
                if kind in ("wifi", "ethernet") and state == "connected"]

    def saved_wifi(self) -> list[str]:
        """The Wi-Fi connection profiles NetworkManager would join by itself (the hotspot not counted)."""
        return [name for name, kind in self._table("NAME,TYPE", "connection", "show")
                if kind == WIFI_TYPE and name != HOTSPOT_CONNECTION]

    def scan(self, rescan: bool = True) -> list[WifiNetwork]:
        """Networks in range. With the hotspot up the radio cannot scan: NetworkManager answers from
        its last scan (``rescan=False`` asks for just that)."""
        output = self._nmcli("-t", "-f", "IN-USE,SSID,SIGNAL,SECURITY", "device", "wifi", "list",
                             "ifname", self.interface, "--rescan", "yes" if rescan else "no", timeout=30)
        return parse_wifi_list(output)

    def hotspot_up(self, ssid: str, password: str) -> None:
        """(Re)create the hotspot profile with this SSID and password and bring it up."""
        self.hotspot_down(delete=True)
        self._nmcli(
            "connection", "add", "type", "wifi", "ifname", self.interface, "con-name", HOTSPOT_CONNECTION,
            "autoconnect", "no", "ssid", ssid,
            "802-11-wireless.mode", "ap", "802-11-wireless.band", "bg",
            "ipv4.method", "shared", "ipv4.addresses", f"{HOTSPOT_ADDRESS}/24", "ipv6.method", "disabled",
            "wifi-sec.key-mgmt", "wpa-psk", "wifi-sec.proto", "rsn", "wifi-sec.pairwise", "ccmp",
            "wifi-sec.group", "ccmp", "wifi-sec.psk", password,
        )
        self._nmcli("connection", "up", HOTSPOT_CONNECTION, timeout=45)

    def hotspot_down(self, delete: bool = False) -> None:
        """Take the hotspot down (and forget its profile); quiet when it is not there."""
        try:
            self._nmcli("connection", "delete" if delete else "down", HOTSPOT_CONNECTION, timeout=30)
        except NetworkError as exc:
            log.debug("hotspot %s: %s", "delete" if delete else "down", exc)

    def join(self, ssid: str, password: str) -> None:
        """Join ``ssid`` (a profile NetworkManager keeps and rejoins at boot); :class:`NetworkError`
        says why not (a wrong password: "Secrets were required, but not provided"), and the profile
        the failed attempt made is removed so that NetworkManager does not keep retrying it. A profile
        of that name saved before (the owner's home network, out of reach for a while) is kept: a
        mistyped password must not cost the owner a network that worked."""
        args = ["--wait", str(JOIN_WAIT), "device", "wifi", "connect", ssid]
        if password:
            args += ["password", password]
        try:
            saved_before = ssid in self.saved_wifi()
        except NetworkError:
            saved_before = True  # unknown: keeping a failed profile is the harmless mistake
        try:
            self._nmcli(*args, "ifname", self.interface, timeout=JOIN_WAIT + 15)
        except NetworkError:
            if saved_before:
                raise
            try:
                self._nmcli("connection", "delete", "id", ssid, timeout=15)
            except NetworkError as exc:
                log.debug("no failed profile to remove for %r: %s", ssid, exc)
            raise

    def address(self) -> str | None:
        """The interface's IPv4 address (without the prefix length), once it has one."""
        try:
            output = self._nmcli("-t", "-f", "IP4.ADDRESS", "device", "show", self.interface, timeout=10)
        except NetworkError:
            return None
        for fields in map(split_terse, output.splitlines()):
            if len(fields) == 2 and fields[0].startswith("IP4.ADDRESS") and fields[1]:
                return fields[1].split("/")[0]
        return None
