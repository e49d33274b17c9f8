"""First boot through the recording runner: a fake ``nmcli`` (the lowest layer) answers as
NetworkManager would, and the tests read back the commands the appliance ran."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from securitycam.app import create_app
from securitycam.appliance import Appliance, Hardware
from securitycam.clock import ManualClock
from securitycam.system.firstboot import HOTSPOT_RETRY, OFFLINE, ONLINE, PORTAL
from securitycam.system.host import HostReader
from securitycam.system.logs import API_LOG_NAME, log_to_console
from securitycam.system.nmcli import HOTSPOT_CONNECTION, NetworkManager, parse_wifi_list, split_terse
from securitycam.system.runner import CommandResult, RecordingRunner
from tests.conftest import FAST_DELAYS, write_sys

HOME = "Home: 5G\\Net"  # a colon and a backslash, as SSIDs may have
HOME_TERSE = "Home\\: 5G\\\\Net"
SCAN = (f" :{HOME_TERSE}:70:WPA2\n"
        " :Cafe:40:\n"
        f" :{HOME_TERSE}:82:WPA2\n"
        " ::30:WPA2\n"
        "*:Neighbour:55:WPA1 WPA2\n")
WIFI_PASSWORD = "right-password"
ADMIN_PASSWORD = "a long new admin password"


class FakeNmcli:
    """NetworkManager as far as the appliance asks it: saved profiles, devices, the hotspot, joins."""

    def __init__(self) -> None:
        self.saved: list[str] = []
        self.connected_to: str | None = None
        self.hotspot = False

    def __call__(self, args: list[str]) -> CommandResult:
        command = args[1:]
        if command[:4] == ["-t", "-f", "DEVICE,TYPE,STATE,CONNECTION", "device"]:
            if self.hotspot:
                return CommandResult(0, f"wlan0:wifi:connected:{HOTSPOT_CONNECTION}\nlo:loopback:unmanaged:\n")
            state = f"connected:{self.connected_to}" if self.connected_to else "disconnected:"
            return CommandResult(0, f"wlan0:wifi:{state}\nlo:loopback:unmanaged:\n")
        if command[:4] == ["-t", "-f", "NAME,TYPE", "connection"]:
            profiles = [*self.saved, *([HOTSPOT_CONNECTION] if self.hotspot else [])]
            # nmcli -t escapes a colon or backslash in a field with a backslash.
            escaped = [name.replace("\\", "\\\\").replace(":", "\\:") for name in profiles]
            return CommandResult(0, "".join(f"{name}:802-11-wireless\n" for name in escaped) + "lo:loopback\n")
        if command[:3] == ["-t", "-f", "IN-USE,SSID,SIGNAL,SECURITY"]:
            return CommandResult(0, SCAN)
        if command[:3] == ["-t", "-f", "IP4.ADDRESS"]:
            return CommandResult(0, "IP4.ADDRESS[1]:192.168.1.23/24\n" if self.connected_to else "")
        if command[:2] == ["connection", "up"] and command[2] == HOTSPOT_CONNECTION:
            self.hotspot = True
            return CommandResult(0, "Connection successfully activated\n")
        if command[:2] in (["connection", "down"], ["connection", "delete"]):
            if command[-1] == HOTSPOT_CONNECTION and self.hotspot:
                self.hotspot = False
                return CommandResult(0)
            return CommandResult(10, "", f"Error: unknown connection '{command[-1]}'.\n")
        if "connect" in command:
            ssid = command[command.index("connect") + 1]
            password = command[command.index("password") + 1] if "password" in command else ""
            if self.hotspot:
                return CommandResult(4, "", "Error: device busy\n")
            if password != WIFI_PASSWORD:
                return CommandResult(4, "", "Error: Connection activation failed: Secrets were required, "
                                            "but not provided.\n")
            self.saved.append(ssid)
            self.connected_to = ssid
            return CommandResult(0, "Device 'wlan0' successfully activated\n")
        return CommandResult(0)


@pytest.fixture
def nmcli(runner: RecordingRunner) -> FakeNmcli:
    fake = FakeNmcli()
    runner.respond(["nmcli"], fake)
    return fake


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sysroot(sysroot: Path) -> Path:
    write_sys(sysroot, "proc/device-tree/model", "Raspberry Pi Zero 2 W Rev 1.0\x00")
    write_sys(sysroot, "proc/device-tree/serial-number", "00000000a1b2c3d4\x00")
    return sysroot


@pytest.fixture
def hardware(hardware: Hardware, clock: ManualClock) -> Hardware:
    return Hardware(runner=hardware.runner, host=hardware.host, clock=clock, run_cameras=False)


@pytest.fixture
def app(data_dir: Path, hardware: Hardware, nmcli: FakeNmcli, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """A fresh appliance on a Pi (no SECURITYCAM_PASSWORD: a random one in default-password.txt),
    its services stopped so each test steps the first-boot worker itself."""
    monkeypatch.delenv("SECURITYCAM_PASSWORD", raising=False)
    app = create_app(data_dir, hardware, start=False, config=FAST_DELAYS)
    app.extensions["securitycam"].first_boot._join_delay = 0
    yield app
    app.extensions["securitycam"].stop()


@pytest.fixture
def pi(appliance: Appliance) -> Appliance:
    return appliance


@pytest.fixture
def phone(anon: FlaskClient) -> FlaskClient:
    """A phone on the hotspot: no credentials."""
    return anon


def nmcli_calls(runner: RecordingRunner) -> list[list[str]]:
    return [call[1:] for call in runner.calls if call[0] == "nmcli"]


def hotspot_ups(runner: RecordingRunner) -> int:
    return nmcli_calls(runner).count(["connection", "up", HOTSPOT_CONNECTION])


def test_terse_output_is_split_with_its_escapes():
    assert split_terse(f"*:{HOME_TERSE}:82:WPA2") == ["*", HOME, "82", "WPA2"]
    assert split_terse("a\\:b:") == ["a:b", ""]
    networks = parse_wifi_list(SCAN)
    assert [(n.ssid, n.signal, n.security, n.in_use) for n in networks] == [
        (HOME, 82, "WPA2", False), ("Neighbour", 55, "WPA1 WPA2", True), ("Cafe", 40, "", False)]


def test_no_wifi_brings_up_the_hotspot_and_the_portal(pi, runner, nmcli, phone):
    assert phone.get("/generate_204").status_code == 204  # before: no portal
    pi.first_boot.step()
    assert pi.first_boot.state == PORTAL
    add = next(call for call in nmcli_calls(runner) if call[:2] == ["connection", "add"])
    options = dict(zip(add[2::2], add[3::2], strict=False))
    ssid = pi.first_boot.ssid
    assert ssid.startswith("securitycam-") and len(ssid) == len("securitycam-") + 4
    assert options["ssid"] == ssid and options["802-11-wireless.mode"] == "ap"
    assert options["wifi-sec.key-mgmt"] == "wpa-psk" and options["wifi-sec.proto"] == "rsn"
    assert options["ipv4.method"] == "shared" and options["ipv4.addresses"] == "10.42.0.1/24"
    password = options["wifi-sec.psk"]
    assert len(password) == 12 and pi.settings.get().FirstBoot.hotspot_password == password
    note = (pi.paths.root / "hotspot.txt").read_text()
    assert ssid in note and password in note and "http://10.42.0.1/" in note
    assert (pi.paths.root / "hotspot.txt").stat().st_mode & 0o777 == 0o600
    # The scan ran before the hotspot took the radio; the port-80 rule is on.
    scan_at = nmcli_calls(runner).index(next(c for c in nmcli_calls(runner) if "wifi" in c and "list" in c))
    assert scan_at < nmcli_calls(runner).index(["connection", "up", HOTSPOT_CONNECTION])
    assert ["iptables", "-t", "nat", "-C", "PREROUTING", "-p", "tcp", "--dport", "80", "-j", "REDIRECT",
            "--to-ports", "5005"] in runner.calls
    assert pi.captive_portal.status() == {"enabled": True, "active": True}
    # The secret is not in the API's settings.
    token = phone.post("/auth/validate", json={
        "password": (pi.paths.default_password_file).read_text().strip()}).json["token"]
    assert "hotspot_password" not in phone.get("/settings", headers={"Authorization": f"Bearer {token}"}).json[
        "FirstBoot"]
    # Restarting keeps the same password.
    pi.first_boot.network.hotspot_down()
    pi.first_boot.state = OFFLINE
    pi.first_boot.step()
    adds = [c for c in nmcli_calls(runner) if c[:2] == ["connection", "add"]]
    assert adds[-1][adds[-1].index("wifi-sec.psk") + 1] == password


@pytest.mark.parametrize(("path", "status", "body"), [
    ("/generate_204", 204, ""),
    ("/gen_204", 204, ""),
    ("/hotspot-detect.html", 200, "<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>"),
    ("/connecttest.txt", 200, "Microsoft Connect Test"),
    ("/ncsi.txt", 200, "Microsoft NCSI"),
    ("/success.txt", 200, "success\n"),
    ("/canonical.html", 200, '<meta http-equiv="refresh" content="0;url=https://support.mozilla.org/kb/captive-portal"/>'),
])
def test_probes_open_the_portal_sheet_only_while_the_hotspot_is_up(pi, phone, path, status, body):
    pi.first_boot.state = ONLINE
    off = phone.get(path, headers={"Host": "connectivitycheck.gstatic.com"})
    assert (off.status_code, off.get_data(as_text=True)) == (status, body)
    pi.first_boot.step()
    assert pi.first_boot.state == PORTAL
    on = phone.get(path, headers={"Host": "captive.apple.com"})
    assert on.status_code == 302 and on.headers["Location"] == "http://10.42.0.1/ui/setup/"
    assert on.headers["Cache-Control"] == "no-store"


def test_the_hotspot_password_is_printed_but_not_in_the_log_every_user_reads(pi, nmcli, phone):
    console = io.StringIO()
    handler = log_to_console(console)
    try:
        pi.first_boot.step()
    finally:
        logging.getLogger("securitycam").removeHandler(handler)
    password = pi.settings.get().FirstBoot.hotspot_password
    assert password and password in console.getvalue() and pi.first_boot.ssid in console.getvalue()
    api_log = (pi.paths.logs / "api" / API_LOG_NAME).read_text()
    assert f"setup hotspot on: Wi-Fi {pi.first_boot.ssid!r}" in api_log and password not in api_log


def test_off_a_pi_the_recorded_join_does_not_log_the_wifi_password(caplog):
    runner = RecordingRunner()
    network = NetworkManager(runner)
    with caplog.at_level(logging.INFO, logger="securitycam"):
        network.join(HOME, WIFI_PASSWORD)
        network.hotspot_up("securitycam-0000", "hotspot-secret")
    join = next(call for call in runner.calls if "connect" in call)
    assert join[-3:-2] == [WIFI_PASSWORD]  # what the Pi would run is recorded whole
    assert "not executed" in caplog.text and HOME in caplog.text
    assert WIFI_PASSWORD not in caplog.text and "hotspot-secret" not in caplog.text


def test_the_page_windows_opens_after_its_probe_leads_to_setup(pi, phone):
    # Windows 10/11, having found a portal, opens http://www.msftconnecttest.com/redirect in a browser.
    pi.first_boot.state = ONLINE
    assert phone.get("/redirect").status_code == 404
    pi.first_boot.step()
    on = phone.get("/redirect", headers={"Host": "www.msftconnecttest.com"})
    assert on.status_code == 302 and on.headers["Location"] == "http://10.42.0.1/ui/setup/"


def test_a_saved_network_gets_a_grace_period_and_is_retried(pi, runner, nmcli, clock):
    nmcli.saved = ["Home"]
    pi.first_boot.step()
    assert pi.first_boot.state == OFFLINE and hotspot_ups(runner) == 0
    clock.advance(pi.settings.get().FirstBoot.offline_grace_seconds)
    pi.first_boot.step()
    assert pi.first_boot.state == PORTAL
    clock.advance(pi.settings.get().FirstBoot.retry_seconds - 1)
    pi.first_boot.visited()  # someone is on the setup page: the hotspot stays
    clock.advance(10)
    pi.first_boot.step()
    assert pi.first_boot.state == PORTAL
    clock.advance(pi.settings.get().FirstBoot.retry_seconds)
    pi.first_boot.step()
    assert pi.first_boot.state == OFFLINE and not nmcli.hotspot
    nmcli.connected_to = "Home"
    pi.first_boot.step()
    assert pi.first_boot.state == ONLINE and pi.first_boot.address == "192.168.1.23"


def test_setup_sets_the_password_and_joins_then_the_hotspot_is_off(pi, runner, nmcli, phone):
    pi.first_boot.step()
    networks = phone.get("/setup/wifi").json
    assert networks["cached"] is True and networks["networks"][0] == {
        "ssid": HOME, "signal": 82, "security": "WPA2", "in_use": False}
    status = phone.get("/setup/status").json
    assert status["portal"] is True and status["password_chosen"] is False
    answer = phone.post("/setup", json={"admin_password": ADMIN_PASSWORD, "wifi_ssid": HOME,
                                        "wifi_password": WIFI_PASSWORD, "timezone": "Europe/Berlin",
                                        "camera_source": "rpi_camera"})
    assert answer.status_code == 202, answer.json
    assert answer.json["joining"] == HOME and answer.json["address"].endswith(".local:5005/")
    assert pi.first_boot.wait_idle()
    calls = nmcli_calls(runner)
    down = calls.index(["connection", "down", HOTSPOT_CONNECTION])
    join = calls.index(["--wait", "45", "device", "wifi", "connect", HOME, "password", WIFI_PASSWORD,
                        "ifname", "wlan0"])
    assert down < join and not nmcli.hotspot
    assert ["timedatectl", "set-timezone", "Europe/Berlin"] in runner.calls
    assert pi.settings.get().Cameras[0].source == "rpi_camera"
    status = phone.get("/setup/status").json
    assert (status["state"], status["address"], status["error"], status["password_chosen"]) == (
        ONLINE, "192.168.1.23", None, True)
    assert phone.post("/auth/validate", json={"password": ADMIN_PASSWORD}).json["valid"] is True
    assert phone.get("/generate_204").status_code == 204
    # A configured appliance: the scan needs a login, a second setup the password just chosen.
    assert phone.get("/setup/wifi").status_code == 401
    takeover = phone.post("/setup", json={"admin_password": "someone else's password"})
    assert takeover.status_code == 403 and takeover.json["field"] == "admin_password"


def test_a_wrong_wifi_password_brings_the_hotspot_back_with_the_error(pi, runner, nmcli, phone):
    pi.first_boot.step()
    answer = phone.post("/setup", json={"admin_password": ADMIN_PASSWORD, "wifi_ssid": HOME,
                                        "wifi_password": "wrong password"})
    assert answer.status_code == 202
    assert pi.first_boot.wait_idle()
    assert nmcli.hotspot and hotspot_ups(runner) == 2
    assert ["connection", "delete", "id", HOME] in nmcli_calls(runner)  # the failed profile is not kept
    status = phone.get("/setup/status").json
    assert status["state"] == PORTAL and status["portal"] is True
    assert status["error"] == f"could not join {HOME!r}: Connection activation failed: Secrets were required, " \
                              "but not provided."
    assert phone.get("/hotspot-detect.html").status_code == 302
    # The owner tries again with the password they chose; a stranger on the hotspot cannot.
    assert phone.post("/setup", json={"admin_password": "not mine", "wifi_ssid": HOME,
                                      "wifi_password": WIFI_PASSWORD}).status_code == 403
    again = phone.post("/setup", json={"admin_password": ADMIN_PASSWORD, "wifi_ssid": HOME,
                                       "wifi_password": WIFI_PASSWORD})
    assert again.status_code == 202 and pi.first_boot.wait_idle()
    assert phone.get("/setup/status").json["state"] == ONLINE and not nmcli.hotspot


def test_the_setup_form_works_without_script(pi, nmcli, phone):
    pi.first_boot.step()
    bad = phone.post("/setup", data={"admin_password": ADMIN_PASSWORD, "timezone": "Mars/Olympus"})
    assert bad.status_code == 400 and bad.mimetype == "text/html"
    assert "unknown time zone &#39;Mars/Olympus&#39;" in bad.get_data(as_text=True)
    assert pi.paths.default_password_file.exists()  # nothing was changed
    done = phone.post("/setup", data={"admin_password": ADMIN_PASSWORD, "wifi_ssid": "<b>Cafe</b>",
                                      "wifi_password": ""})
    assert done.status_code == 202 and done.mimetype == "text/html"
    assert "&lt;b&gt;Cafe&lt;/b&gt;" in done.get_data(as_text=True)
    assert pi.first_boot.wait_idle()


@pytest.mark.parametrize(("body", "field"), [
    ({}, "admin_password"),
    ({"admin_password": "abc"}, "admin_password"),
    ({"admin_password": ADMIN_PASSWORD, "wifi_ssid": "x", "wifi_password": "1234567"}, "wifi_password"),
    ({"admin_password": ADMIN_PASSWORD, "wifi_ssid": "x" * 33}, "wifi_ssid"),
    # Past nmcli's reach: a NUL cannot be in an argument (subprocess raises ValueError), a control
    # character or a passphrase outside printable ASCII is refused by NetworkManager only after the
    # hotspot went down, and an SSID is at most 32 bytes, not characters.
    ({"admin_password": ADMIN_PASSWORD, "wifi_ssid": "Home\x00"}, "wifi_ssid"),
    ({"admin_password": ADMIN_PASSWORD, "wifi_ssid": "Home\n"}, "wifi_ssid"),
    ({"admin_password": ADMIN_PASSWORD, "wifi_ssid": "\u00e9" * 17}, "wifi_ssid"),
    ({"admin_password": ADMIN_PASSWORD, "wifi_ssid": "x", "wifi_password": "pass\x00word"}, "wifi_password"),
    ({"admin_password": ADMIN_PASSWORD, "wifi_ssid": "x", "wifi_password": "m\u00f6tley crue"}, "wifi_password"),
    ({"admin_password": ADMIN_PASSWORD, "wifi_ssid": "x", "wifi_password": "g" * 64}, "wifi_password"),
    ({"admin_password": ADMIN_PASSWORD, "timezone": "../../etc/passwd"}, "timezone"),
    ({"admin_password": ADMIN_PASSWORD, "camera_source": "webcam"}, "camera_source"),
])
def test_bad_setup_answers_400_naming_the_field_and_changes_nothing(pi, runner, nmcli, phone, body, field):
    pi.first_boot.step()
    answer = phone.post("/setup", json=body)
    assert answer.status_code == 400 and answer.json["success"] is False and answer.json["field"] == field
    assert pi.first_boot.state == PORTAL and pi.paths.default_password_file.exists()
    assert not any(call[0] == "timedatectl" for call in runner.calls)


def test_a_raw_psk_and_a_long_passphrase_are_taken(pi, runner, nmcli, phone):
    pi.first_boot.step()
    for password in ("0123456789abcdef" * 4, "~" * 63):
        answer = phone.post("/setup", json={"admin_password": ADMIN_PASSWORD, "wifi_ssid": "Cafe",
                                            "wifi_password": password})
        assert answer.status_code == 202, answer.json
        assert pi.first_boot.wait_idle()
        assert ["--wait", "45", "device", "wifi", "connect", "Cafe", "password", password, "ifname",
                "wlan0"] in nmcli_calls(runner)


def test_a_wrong_password_for_a_network_saved_before_keeps_its_profile(pi, runner, nmcli, phone, clock):
    # The home network worked once (its profile is saved) and is out of reach: the hotspot comes up
    # after the grace period, and the owner mistypes its password in the setup page.
    nmcli.saved.append(HOME)
    pi.first_boot.step()
    clock.advance(pi.settings.get().FirstBoot.offline_grace_seconds)
    pi.first_boot.step()
    assert nmcli.hotspot
    answer = phone.post("/setup", json={"admin_password": ADMIN_PASSWORD, "wifi_ssid": HOME,
                                        "wifi_password": "wrong password"})
    assert answer.status_code == 202 and pi.first_boot.wait_idle()
    assert nmcli.hotspot and phone.get("/setup/status").json["error"].startswith(f"could not join {HOME!r}")
    assert ["connection", "delete", "id", HOME] not in nmcli_calls(runner)


def test_a_join_that_fails_unexpectedly_still_brings_the_hotspot_back(pi, runner, nmcli, phone):
    def broken(args: list[str]) -> CommandResult:
        raise ValueError("embedded null byte")  # what subprocess raises for an argument it cannot pass

    pi.first_boot.step()
    runner.respond(["nmcli", "--wait"], broken)
    answer = phone.post("/setup", json={"admin_password": ADMIN_PASSWORD, "wifi_ssid": HOME,
                                        "wifi_password": WIFI_PASSWORD})
    assert answer.status_code == 202
    assert pi.first_boot.wait_idle(), "the join never ended: the appliance stays off the network for good"
    status = phone.get("/setup/status").json
    assert status["state"] == PORTAL and nmcli.hotspot and "embedded null byte" in status["error"]


def test_without_the_hotspot_a_fresh_appliance_cannot_be_claimed(pi, nmcli, phone):
    nmcli.connected_to = "Wired"  # e.g. on Ethernet: the LAN is no proof of having the box in hand
    pi.first_boot.step()
    assert pi.first_boot.state == ONLINE
    answer = phone.post("/setup", json={"admin_password": ADMIN_PASSWORD})
    assert answer.status_code == 403
    assert phone.post("/auth/validate", json={"password": ADMIN_PASSWORD}).json["valid"] is False


def test_off_a_pi_there_is_no_hotspot(tmp_path, runner):
    plain = Hardware(runner=runner, host=HostReader(tmp_path / "laptop"), run_cameras=False)
    laptop = create_app(tmp_path / "laptop-data", plain, start=False, config=FAST_DELAYS)
    try:
        appliance = laptop.extensions["securitycam"]
        appliance.first_boot.step()
        assert appliance.first_boot.state == "disabled"
        assert not any(call[0] == "nmcli" for call in runner.calls)
        assert laptop.test_client().get("/generate_204").status_code == 204
    finally:
        laptop.extensions["securitycam"].stop()


def test_a_hotspot_left_up_by_a_restart_is_kept(pi, runner, nmcli, phone):
    nmcli.hotspot = True  # the service restarted while a phone was on the setup page
    pi.first_boot.step()
    assert pi.first_boot.state == PORTAL
    assert not [call for call in nmcli_calls(runner) if call[:2] in (["connection", "add"], ["connection", "delete"])]
    assert phone.get("/generate_204").status_code == 302
    assert phone.get("/setup/wifi").json["networks"][0]["ssid"] == HOME  # NetworkManager's last scan


def test_a_failed_join_from_the_lan_leaves_the_hotspot_off(pi, runner, nmcli, phone):
    nmcli.saved, nmcli.connected_to = ["Home"], "Home"
    pi.first_boot.step()
    assert pi.first_boot.state == ONLINE
    password = pi.paths.default_password_file.read_text().strip()
    answer = phone.post("/setup", json={"admin_password": password, "wifi_ssid": "Office",
                                        "wifi_password": "wrong password"})
    assert answer.status_code == 202 and pi.first_boot.wait_idle()
    status = phone.get("/setup/status").json
    assert status["state"] == OFFLINE and status["error"].startswith("could not join 'Office'")
    assert hotspot_ups(runner) == 0
    pi.first_boot.step()  # NetworkManager is back on Home
    assert pi.first_boot.state == ONLINE and hotspot_ups(runner) == 0


def test_a_hotspot_that_will_not_start_is_tried_again_later_not_every_step(pi, runner, nmcli, clock):
    runner.respond(["nmcli", "connection", "up"], CommandResult(10, "", "Error: no Wi-Fi device found.\n"))
    pi.first_boot.step()
    assert pi.first_boot.state == OFFLINE and hotspot_ups(runner) == 1
    clock.advance(60)
    pi.first_boot.step()
    assert hotspot_ups(runner) == 1
    clock.advance(HOTSPOT_RETRY)
    pi.first_boot.step()
    assert hotspot_ups(runner) == 2
