"""Wi-Fi presence over HTTP: the real ``iw``/``ip neigh`` parsing and the real presence monitor,
with the commands answered by the recording runner (the lowest layer) and time from a manual clock."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from securitycam.api.wifi import READING_REUSE
from securitycam.appliance import Appliance
from securitycam.bt import PresenceMonitor
from securitycam.clock import ManualClock
from securitycam.system.runner import CommandResult, RecordingRunner
from tests.bt.conftest import PHONE
from tests.conftest import write_sys

LAPTOP = "3C:22:FB:00:11:22"
AP_INFO = "Interface wlan0\n\tifindex 3\n\ttype AP\n\twiphy 0\n"
CLIENT_INFO = "Interface wlan0\n\tifindex 3\n\ttype managed\n"
STATION_DUMP = """Station 3c:22:fb:00:11:22 (on wlan0)
\tinactive time:\t304 ms
\trx bytes:\t18816
\tsignal:  \t-41 [-41, -45] dBm
\tconnected time:\t73 seconds
Station 11:22:33:44:55:66 (on wlan0)
\tinactive time:\t1200 ms
\tsignal:  \t-70 dBm
\tconnected time:\t5 seconds
"""


def hotspot(runner: RecordingRunner, dump: str = STATION_DUMP) -> None:
    runner.respond(["iw", "dev", "wlan0", "info"], CommandResult(0, AP_INFO))
    runner.respond(["iw", "dev", "wlan0", "station", "dump"], CommandResult(0, dump))


def lan(runner: RecordingRunner, *tables: str) -> None:
    """``ip neigh show`` answers each of ``tables`` in turn (the last one from then on)."""
    answers = list(tables)
    runner.respond(["ip", "neigh", "show"],
                   lambda _: CommandResult(0, answers.pop(0) if len(answers) > 1 else answers[0]))


@pytest.fixture
def wifi_presence(appliance: Appliance) -> PresenceMonitor:
    appliance.settings.update({"Bluetooth": {"listen_seconds": 0, "away_after_seconds": 60}})
    return appliance.presence


# -- stations -------------------------------------------------------------------------------------
def test_stations_of_the_hotspot_with_names_from_the_dhcp_leases(
    client: FlaskClient, runner: RecordingRunner, sysroot: Path
) -> None:
    hotspot(runner)
    write_sys(sysroot, "var/lib/misc/dnsmasq.leases",
              "1764500000 3c:22:fb:00:11:22 192.168.4.2 anas-laptop 01:3c:22:fb:00:11:22\n"
              "1764500000 11:22:33:44:55:66 192.168.4.3 * *\n")
    client.post("/devices/wifi/add", json={"address": LAPTOP, "name": "Ana"})

    response = client.get("/wifi/stations")

    assert response.status_code == 200
    assert "message" not in response.json
    assert response.json["access_point"] is True
    assert response.json["stations"] == [
        {"address": LAPTOP, "name": "anas-laptop", "signal": -41, "inactive_ms": 304, "connected_seconds": 73,
         "tracked": True},
        {"address": "11:22:33:44:55:66", "name": None, "signal": -70, "inactive_ms": 1200, "connected_seconds": 5,
         "tracked": False},
    ]


@pytest.mark.parametrize("info", [CommandResult(0, CLIENT_INFO), CommandResult(127, "", "iw: not found"),
                                  CommandResult(237, "", "command failed: No such device (-19)")])
def test_no_hotspot_is_an_empty_list_with_a_reason_not_an_error(
    client: FlaskClient, runner: RecordingRunner, info: CommandResult
) -> None:
    runner.respond(["iw", "dev", "wlan0", "info"], info)
    response = client.get("/wifi/stations")
    assert response.status_code == 200
    assert response.json["stations"] == [] and response.json["access_point"] is False
    assert "wlan0" in response.json["message"]
    assert ["iw", "dev", "wlan0", "station", "dump"] not in runner.calls


def test_the_interface_comes_from_the_settings(client: FlaskClient, runner: RecordingRunner) -> None:
    assert client.post("/settings", json={"Wifi": {"interface": "wlan1"}}).status_code == 200
    client.get("/wifi/stations")
    assert ["iw", "dev", "wlan1", "info"] in runner.calls
    refused = client.post("/settings", json={"Wifi": {"interface": "wlan0; reboot"}})
    assert refused.status_code == 400 and refused.json["field"] == "Wifi.interface"


# -- tracked devices --------------------------------------------------------------------------------
def test_add_and_remove_a_wifi_device(client: FlaskClient) -> None:
    added = client.post("/devices/wifi/add", json={"address": "3c:22:fb:00:11:22", "name": "Ana's laptop"})
    assert added.status_code == 201, added.json
    assert added.json["device"]["address"] == LAPTOP
    assert client.post("/devices/wifi/add", json={"address": LAPTOP}).status_code == 200  # once only
    assert [d["address"] for d in client.get("/devices/wifi").json["devices"]] == [LAPTOP]
    assert client.get("/devices/bt").json["devices"] == []

    removed = client.post("/devices/wifi/remove", json={"address": "3c:22:fb:00:11:22"})
    assert removed.status_code == 200
    assert client.get("/devices/wifi").json["devices"] == []


@pytest.mark.parametrize(("route", "body", "field"), [
    ("/devices/wifi/add", {}, "address"),
    ("/devices/wifi/add", {"address": "3c:22:fb:00:11"}, "address"),
    ("/devices/wifi/add", {"address": "not a mac", "name": "x"}, "address"),
    ("/devices/wifi/add", {"address": 42}, "address"),
    ("/devices/wifi/add", {"address": "FF:FF:FF:FF:FF:FF"}, "address"),
    ("/devices/wifi/add", {"address": LAPTOP, "name": ""}, "name"),
    ("/devices/wifi/add", {"address": LAPTOP, "name": "x" * 65}, "name"),
    ("/devices/wifi/add", {"address": LAPTOP, "colour": "red"}, "colour"),
    ("/devices/wifi/remove", {}, "address"),
    ("/devices/wifi/remove", {"address": "zz"}, "address"),
])
def test_bad_wifi_device_requests_name_the_field(client: FlaskClient, route: str, body: dict, field: str) -> None:
    response = client.post(route, json=body)
    assert response.status_code == 400, response.json
    assert response.json["success"] is False and response.json["field"] == field


@pytest.mark.parametrize("route", ["/devices/wifi/add", "/devices/wifi/remove"])
@pytest.mark.parametrize("raw", ["", "[1]", "{nope"])
def test_wifi_device_bodies_that_are_no_object_are_refused(client: FlaskClient, route: str, raw: str) -> None:
    response = client.post(route, data=raw, content_type="application/json")
    assert response.status_code == 400 and response.json["success"] is False


def test_removing_an_untracked_device_is_404_and_kinds_do_not_mix(
    client: FlaskClient, wifi_presence: PresenceMonitor
) -> None:
    assert client.post("/devices/wifi/remove", json={"address": LAPTOP}).status_code == 404
    wifi_presence.track(PHONE, "Ana's phone")  # a Bluetooth device
    response = client.post("/devices/wifi/add", json={"address": PHONE})
    assert response.status_code == 409 and response.json["field"] == "address"
    assert client.post("/devices/wifi/remove", json={"address": PHONE}).status_code == 404
    assert wifi_presence.tracked(PHONE)


# -- presence ---------------------------------------------------------------------------------------
def test_a_phone_on_the_hotspot_is_home_until_gone_for_the_away_time(
    client: FlaskClient, runner: RecordingRunner, wifi_presence: PresenceMonitor, clock: ManualClock
) -> None:
    client.post("/devices/wifi/add", json={"address": LAPTOP, "name": "Ana"})
    hotspot(runner)
    wifi_presence.poll()

    status = client.get("/devices/status").json
    (device,) = status["wifi"]
    assert device["present"] is True and device["last_seen"] == clock.time() and device["rssi"] == -41
    assert status["bt"] == [] and status["anyone_home"] is True

    hotspot(runner, dump="")
    clock.advance(59)
    wifi_presence.poll()
    assert wifi_presence.anyone_home() is True
    clock.advance(2)
    wifi_presence.poll()
    assert client.get("/devices/status").json["wifi"][0]["present"] is False
    assert wifi_presence.anyone_home() is False


def test_a_phone_answering_on_the_lan_is_home(
    client: FlaskClient, runner: RecordingRunner, wifi_presence: PresenceMonitor
) -> None:
    runner.respond(["iw", "dev", "wlan0", "info"], CommandResult(0, CLIENT_INFO))
    lan(runner, "192.168.1.1 dev wlan0 lladdr 00:11:22:33:44:55 router REACHABLE\n"
                "192.168.1.23 dev wlan0 lladdr 3c:22:fb:00:11:22 REACHABLE\n"
                "192.168.1.40 dev wlan0  FAILED\n")
    client.post("/devices/wifi/add", json={"address": LAPTOP})
    wifi_presence.poll()
    assert wifi_presence.anyone_home() is True

    connections = client.get("/connections").json
    assert connections["ap_clients"] == [] and connections["bluetooth"] == []
    assert connections["wifi"] == [
        {"address": "00:11:22:33:44:55", "ip": "192.168.1.1", "interface": "wlan0", "state": "REACHABLE",
         "tracked": False},
        {"address": LAPTOP, "ip": "192.168.1.23", "interface": "wlan0", "state": "REACHABLE", "tracked": True},
    ]


@pytest.mark.parametrize(("after_ping", "home"), [("REACHABLE", True), ("STALE", False), ("FAILED", False)])
def test_a_stale_lan_entry_is_asked_again_before_it_counts(
    client: FlaskClient, runner: RecordingRunner, wifi_presence: PresenceMonitor, after_ping: str, home: bool
) -> None:
    lan(runner, "192.168.1.23 dev wlan0 lladdr 3c:22:fb:00:11:22 STALE\n",
        f"192.168.1.23 dev wlan0 lladdr 3c:22:fb:00:11:22 {after_ping}\n")
    client.post("/devices/wifi/add", json={"address": LAPTOP})
    wifi_presence.poll()
    assert ["ping", "-c", "1", "-W", "1", "-I", "wlan0", "192.168.1.23"] in runner.calls
    assert wifi_presence.anyone_home() is home


def test_lan_presence_can_be_turned_off(client: FlaskClient, runner: RecordingRunner,
                                        wifi_presence: PresenceMonitor) -> None:
    lan(runner, "192.168.1.23 dev wlan0 lladdr 3c:22:fb:00:11:22 REACHABLE\n")
    client.post("/settings", json={"Wifi": {"lan_presence": False}})
    client.post("/devices/wifi/add", json={"address": LAPTOP})
    wifi_presence.poll()
    assert wifi_presence.anyone_home() is False
    assert ["ip", "neigh", "show"] not in runner.calls


def test_devices_status_lists_both_kinds(client: FlaskClient, wifi_presence: PresenceMonitor) -> None:
    wifi_presence.track(PHONE, "Ana's phone")
    client.post("/devices/wifi/add", json={"address": LAPTOP, "name": "Laptop"})
    status = client.get("/devices/status").json
    assert status["bt"] == client.get("/devices/bt").json["devices"]
    assert status["wifi"] == client.get("/devices/wifi").json["devices"]
    assert [d["address"] for d in status["bt"]] == [PHONE] and [d["address"] for d in status["wifi"]] == [LAPTOP]
    assert all({"present", "last_seen"} <= set(d) for d in status["bt"] + status["wifi"])


# -- a client polling in a loop -----------------------------------------------------------------------
@pytest.mark.parametrize("route", ["/wifi/stations", "/connections"])
def test_concurrent_requests_share_one_reading(
    app: Flask, token: str, runner: RecordingRunner, clock: ManualClock, route: str
) -> None:
    """Ten clients asking at once (and again and again) run iw and ip once; the next reading comes
    only once the last one is READING_REUSE seconds old."""
    release = threading.Event()

    def slow_station_dump(_args: list[str]) -> CommandResult:
        release.wait(10)
        return CommandResult(0, STATION_DUMP)

    runner.respond(["iw", "dev", "wlan0", "info"], CommandResult(0, AP_INFO))
    runner.respond(["iw", "dev", "wlan0", "station", "dump"], slow_station_dump)
    lan(runner, "192.168.1.23 dev wlan0 lladdr 3c:22:fb:00:11:22 REACHABLE\n")
    headers = {"Authorization": f"Bearer {token}"}
    start = threading.Barrier(10)
    answers: list[dict] = []

    def ask() -> None:
        start.wait(10)
        response = app.test_client().get(route, headers=headers)
        answers.append(response.json)

    askers = [threading.Thread(target=ask) for _ in range(10)]
    for asker in askers:
        asker.start()
    assert runner.wait_for(["iw", "dev", "wlan0", "station", "dump"])
    release.set()
    for asker in askers:
        asker.join(10)

    def runs(*command: str) -> int:
        return sum(call == list(command) for call in runner.calls)

    assert len(answers) == 10 and all(answer == answers[0] for answer in answers)
    assert runs("iw", "dev", "wlan0", "station", "dump") == 1
    assert runs("ip", "neigh", "show") == (1 if route == "/connections" else 0)
    clock.advance(READING_REUSE - 0.5)
    app.test_client().get(route, headers=headers)
    assert runs("iw", "dev", "wlan0", "station", "dump") == 1
    clock.advance(0.5)
    app.test_client().get(route, headers=headers)
    assert runs("iw", "dev", "wlan0", "station", "dump") == 2
