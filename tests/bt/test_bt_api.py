"""The Bluetooth endpoints over HTTP, with the real adapter code talking to a fake radio."""

from __future__ import annotations

import threading
import time
from datetime import datetime

import pytest
from flask.testing import FlaskClient

from securitycam.appliance import Appliance
from securitycam.bt import PresenceMonitor
from securitycam.bt.fake import FakeRadio
from securitycam.clock import ManualClock
from securitycam.system.runner import RecordingRunner
from tests.bt.conftest import PHONE, TAG, WATCH
from tests.waiting import wait_for


def bluetoothctl_calls(runner: RecordingRunner, *command: str) -> list[list[str]]:
    return [c for c in runner.calls if c[:1] == ["bluetoothctl"] and c[1 : 1 + len(command)] == list(command)]


# -- scan ---------------------------------------------------------------------------------------
def test_scan_lists_devices_heard_strongest_first_and_marks_tracked(
    client: FlaskClient, radio: FakeRadio, presence: PresenceMonitor
) -> None:
    radio.arrive(PHONE, "Ana's phone", rssi=-70)
    radio.arrive(WATCH, None, rssi=-40)
    radio.arrive(TAG, "Keys", rssi=-90, advertises=False)  # classic only: a BLE scan cannot hear it
    presence.track(PHONE, "Ana")

    response = client.post("/bt/scan", json={"duration": 0.05})

    assert response.status_code == 200, response.json
    assert response.json["duration"] == 0.05
    assert response.json["devices"] == [
        {"address": WATCH, "name": None, "rssi": -40, "tracked": False},
        {"address": PHONE, "name": "Ana's phone", "rssi": -70, "tracked": True},
    ]
    assert radio.scan_modes == ["active"]  # names come from scan responses


def test_scan_without_body_uses_configured_duration(client: FlaskClient, appliance: Appliance) -> None:
    appliance.settings.update({"Bluetooth": {"scan_seconds": 0.2}})
    started = time.monotonic()
    response = client.post("/bluetooth/scan")
    assert response.status_code == 200, response.json
    assert response.json == {"devices": [], "duration": 0.2}
    assert time.monotonic() - started >= 0.2


@pytest.mark.parametrize(
    "body",
    [{"duration": 0}, {"duration": -1}, {"duration": 61}, {"duration": "long"}, {"duration": "5"}, {"duration": True}],
)
def test_scan_refuses_bad_duration(client: FlaskClient, body: dict) -> None:
    response = client.post("/bt/scan", json=body)
    assert response.status_code == 400
    assert response.json["success"] is False
    assert response.json["field"] == "duration"


def test_scan_refuses_unknown_fields(client: FlaskClient) -> None:
    response = client.post("/bt/scan", json={"durration": 5})
    assert response.status_code == 400
    assert response.json["field"] == "durration"


def test_second_scan_while_one_runs_is_refused_not_queued(client: FlaskClient, app, radio: FakeRadio) -> None:  # type: ignore[no-untyped-def]
    first: dict = {}
    other = app.test_client()
    other.environ_base.update(client.environ_base)
    thread = threading.Thread(target=lambda: first.update(r=other.post("/bt/scan", json={"duration": 1.5})))
    thread.start()
    wait_for(lambda: radio.scan_modes, timeout=30, what="the first scan to be on the air")
    response = client.post("/bt/scan", json={"duration": 0.05})
    thread.join()
    assert response.status_code == 409
    assert "busy" in response.json["message"]
    assert first["r"].status_code == 200


def test_scan_powers_on_an_adapter_that_is_off(client: FlaskClient, radio: FakeRadio, runner: RecordingRunner) -> None:
    radio.powered = False
    response = client.post("/bt/scan", json={"duration": 0.05})
    assert response.status_code == 200
    assert bluetoothctl_calls(runner, "power", "on")
    assert radio.powered


# -- adapter missing: 503 at once, never a hang --------------------------------------------------
@pytest.mark.parametrize("radio", [FakeRadio(controller=False)])
@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/bt/scan", {"duration": 5}),
        ("/bt/discoverable", {"timeout": 30}),
        ("/devices/bt/add", {"address": PHONE}),
    ],
)
def test_no_adapter_answers_503_at_once(client: FlaskClient, path: str, body: dict) -> None:
    started = time.monotonic()
    response = client.post(path, json=body)
    assert response.status_code == 503
    assert response.json["success"] is False
    assert "no Bluetooth adapter found (No default controller available)" in response.json["message"]
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize("radio", [FakeRadio(controller=False)])
def test_no_adapter_still_lists_and_forgets_tracked_devices(client: FlaskClient, appliance: Appliance) -> None:
    appliance.presence.track(TAG, "Keys")
    listed = client.get("/devices/bt")
    assert listed.status_code == 200
    assert [d["address"] for d in listed.json["devices"]] == [TAG]
    removed = client.post("/devices/bt/remove", json={"address": TAG})
    assert removed.status_code == 200
    assert removed.json["unpaired"] is False
    assert client.get("/devices/bt").json["devices"] == []


def test_bluetoothd_not_answering_is_503(client: FlaskClient, runner: RecordingRunner) -> None:
    from securitycam.system.runner import CommandTimeout

    def hangs(args: list[str]):  # type: ignore[no-untyped-def]
        raise CommandTimeout("bluetoothctl timed out after 5 s")

    runner.respond(["bluetoothctl"], hangs)
    response = client.post("/bt/scan", json={"duration": 1})
    assert response.status_code == 503
    assert "is the bluetooth service running?" in response.json["message"]


def test_bluez_not_installed_is_503(client: FlaskClient, runner: RecordingRunner) -> None:
    from securitycam.system.runner import CommandResult

    runner.respond(["bluetoothctl"], CommandResult(127, "", "No such file or directory: 'bluetoothctl'"))
    response = client.post("/devices/bt/add", json={"address": PHONE})
    assert response.status_code == 503
    assert "install the bluez package" in response.json["message"]


# -- pairing window -------------------------------------------------------------------------------
def test_discoverable_returns_the_device_that_paired_and_tracks_it_as_home(
    client: FlaskClient, radio: FakeRadio, runner: RecordingRunner, clock: ManualClock
) -> None:
    radio.pair_when_discoverable(PHONE, "Ana's phone", after_polls=3)

    response = client.post("/bt/discoverable", json={"timeout": 5})

    assert response.status_code == 200, response.json
    device = response.json["device"]
    assert (device["address"], device["name"]) == (PHONE, "Ana's phone")
    assert device["present"] is True and device["last_seen"] == clock.time()
    assert bluetoothctl_calls(runner, "trust", PHONE)
    assert bluetoothctl_calls(runner, "discoverable-timeout", "5")
    assert radio.discoverable is False  # closed again after the pairing
    listed = client.get("/devices/bt").json
    assert listed["anyone_home"] is True
    assert [d["address"] for d in listed["devices"]] == [PHONE]


def test_discoverable_times_out_with_408_and_closes_the_window(
    client: FlaskClient, radio: FakeRadio, runner: RecordingRunner
) -> None:
    started = time.monotonic()
    response = client.post("/bt/discoverable", json={"timeout": 0.2})
    assert response.status_code == 408
    assert response.json == {"success": False, "message": "no device paired within 0.2 s"}
    assert 0.2 <= time.monotonic() - started < 2
    assert bluetoothctl_calls(runner, "discoverable", "on")
    assert bluetoothctl_calls(runner, "discoverable-timeout", "1")  # 0 would mean "forever" to BlueZ
    assert radio.discoverable is False
    assert client.get("/devices/bt").json["devices"] == []


def test_already_paired_devices_do_not_count_as_a_new_pairing(client: FlaskClient, radio: FakeRadio) -> None:
    radio.paired[WATCH] = "Old watch"
    response = client.post("/bt/discoverable", json={"timeout": 0.1})
    assert response.status_code == 408


@pytest.mark.parametrize(
    "body", [{"timeout": 0}, {"timeout": 301}, {"timeout": "soon"}, {"timeout": None}, {"timeout": False}]
)
def test_discoverable_refuses_bad_timeout(client: FlaskClient, body: dict, runner: RecordingRunner) -> None:
    response = client.post("/bt/discoverable", json=body)
    assert response.status_code == 400
    assert response.json["field"] == "timeout"
    assert not bluetoothctl_calls(runner, "discoverable")


# -- tracked devices --------------------------------------------------------------------------------
def test_add_pairs_trusts_and_tracks_a_device_nearby(
    client: FlaskClient, radio: FakeRadio, runner: RecordingRunner, clock: ManualClock
) -> None:
    radio.arrive(PHONE, "Ana's phone")

    response = client.post("/devices/bt/add", json={"address": PHONE.lower()})

    assert response.status_code == 201, response.json
    assert response.json["device"]["address"] == PHONE
    assert response.json["device"]["name"] == "Ana's phone"
    assert radio.paired == {PHONE: "Ana's phone"}
    assert bluetoothctl_calls(runner, "trust", PHONE)
    listed = client.get("/devices/bt").json
    assert listed["devices"] == [
        {
            "address": PHONE,
            "name": "Ana's phone",
            "present": True,
            "last_seen": clock.time(),
            "rssi": None,
            "added_at": clock.time(),
        }
    ]
    assert listed["anyone_home"] is True


def test_add_with_a_name_renames_and_second_add_updates(client: FlaskClient, radio: FakeRadio) -> None:
    radio.arrive(PHONE, "SM-G991B")
    assert client.post("/devices/bt/add", json={"address": PHONE, "name": "My Phone"}).status_code == 201
    again = client.post("/devices/bt/add", json={"address": PHONE, "name": "Ana"})
    assert again.status_code == 200
    assert [d["name"] for d in client.get("/devices/bt").json["devices"]] == ["Ana"]


def test_add_without_pairing_tracks_a_tag_and_leaves_bluez_alone(
    client: FlaskClient, radio: FakeRadio, runner: RecordingRunner
) -> None:
    response = client.post("/devices/bt/add", json={"address": TAG, "name": "Keys", "pair": False})
    assert response.status_code == 201
    assert response.json["device"]["present"] is False  # not seen yet
    assert radio.paired == {}
    assert not bluetoothctl_calls(runner, "pair")


def test_add_of_a_device_out_of_range_is_refused_and_not_tracked(client: FlaskClient) -> None:
    response = client.post("/devices/bt/add", json={"address": PHONE, "name": "My Phone"})
    assert response.status_code == 409
    assert f"could not pair with {PHONE}: Device {PHONE} not available" in response.json["message"]
    assert client.get("/devices/bt").json["devices"] == []


def test_add_of_an_already_paired_device_succeeds(client: FlaskClient, radio: FakeRadio) -> None:
    radio.arrive(PHONE, "Ana's phone")
    radio.paired[PHONE] = "Ana's phone"
    assert client.post("/devices/bt/add", json={"address": PHONE}).status_code == 201


def test_tracked_devices_are_limited(client: FlaskClient) -> None:
    for n in range(20):
        added = client.post("/devices/bt/add", json={"address": f"02:00:00:00:00:{n:02X}", "pair": False})
        assert added.status_code == 201
    response = client.post("/devices/bt/add", json={"address": "02:00:00:00:01:00", "pair": False})
    assert response.status_code == 409
    assert "at most 20 devices" in response.json["message"]


BAD_ADDRESSES = [
    "",
    "AA:BB:CC:DD:EE",
    "AA:BB:CC:DD:EE:FF:00",
    "AA-BB-CC-DD-EE-FF",
    "AABBCCDDEEFF",
    "GG:BB:CC:DD:EE:FF",
    "00:00:00:00:00:00",
    "ff:ff:ff:ff:ff:ff",
    "AA:BB:CC:DD:EE:FF; reboot",
    "--help",
    123,
    None,
    ["AA:BB:CC:DD:EE:FF"],
]


@pytest.mark.parametrize("address", BAD_ADDRESSES)
@pytest.mark.parametrize("path", ["/devices/bt/add", "/devices/bt/remove"])
def test_bad_addresses_are_refused_before_anything_runs(
    client: FlaskClient, runner: RecordingRunner, path: str, address: object
) -> None:
    response = client.post(path, json={"address": address})
    assert response.status_code == 400
    assert response.json["success"] is False
    assert response.json["field"] == "address"
    assert response.json["message"].startswith("address: ")
    assert "Value error" not in response.json["message"]
    assert not [c for c in runner.calls if c[0] in ("bluetoothctl", "l2ping")]


@pytest.mark.parametrize("body", [{}, {"name": "x"}, {"address": PHONE, "pair": "yes"}, {"address": PHONE, "name": ""}])
def test_add_refuses_incomplete_or_mistyped_bodies(client: FlaskClient, body: dict) -> None:
    response = client.post("/devices/bt/add", json=body)
    assert response.status_code == 400
    assert response.json["field"] in ("address", "pair", "name")


def test_add_refuses_a_body_that_is_not_json(client: FlaskClient) -> None:
    response = client.post("/devices/bt/add", data="address=AA:BB", content_type="text/plain")
    assert response.status_code == 400
    assert response.json["message"] == "malformed JSON body"


def test_remove_unpairs_and_forgets(client: FlaskClient, radio: FakeRadio) -> None:
    radio.arrive(PHONE, "Ana's phone")
    client.post("/devices/bt/add", json={"address": PHONE})

    response = client.post("/devices/bt/remove", json={"address": PHONE.lower()})

    assert response.status_code == 200
    assert response.json == {"success": True, "address": PHONE, "unpaired": True}
    assert radio.paired == {}
    listed = client.get("/devices/bt").json
    assert listed["devices"] == [] and listed["anyone_home"] is False


def test_remove_of_an_untracked_device_is_404(client: FlaskClient) -> None:
    response = client.post("/devices/bt/remove", json={"address": PHONE})
    assert response.status_code == 404
    assert response.json["message"] == f"{PHONE} is not a tracked device"


@pytest.mark.parametrize(
    ("method", "path"),
    [("post", "/bt/scan"), ("post", "/bt/discoverable"), ("get", "/devices/bt"), ("post", "/devices/bt/add")],
)
def test_bluetooth_endpoints_need_a_token(anon: FlaskClient, method: str, path: str) -> None:
    assert getattr(anon, method)(path, json={}).status_code == 401


# -- pairing transcripts (logs/bluetooth-pairing/, read through the logs API) ---------------------
def test_each_pairing_attempt_leaves_a_transcript_in_the_logs_api(
    client: FlaskClient, radio: FakeRadio, clock: ManualClock
) -> None:
    radio.pair_when_discoverable(PHONE, "Ana's phone")
    assert client.post("/bt/discoverable", json={"timeout": 2}).status_code == 200
    clock.advance(60)
    assert client.post("/devices/bt/add", json={"address": WATCH}).status_code == 409  # not nearby

    listed = [entry for entry in client.get("/logs/install").json if entry["category"] == "bluetooth-pairing"]
    assert len(listed) == 2
    texts = {entry["name"]: client.get(f"/logs/script/{entry['name']}").get_data(as_text=True) for entry in listed}
    window = next(text for text in texts.values() if text.startswith("POST /bt/discoverable"))
    assert "$ bluetoothctl discoverable on  [exit 0]" in window
    assert "pairing agent not registered (no D-Bus system bus" in window  # the fake room has no D-Bus
    assert f"$ bluetoothctl trust {PHONE}  [exit 0]" in window
    assert window.rstrip().endswith(f"paired {PHONE} (Ana's phone): tracked for presence")
    refused = next(text for text in texts.values() if text.startswith(f"POST /devices/bt/add {WATCH}"))
    assert f"  Device {WATCH} not available" in refused
    assert refused.rstrip().splitlines()[-1].startswith(f"failed: could not pair with {WATCH}")


def test_pairing_transcripts_are_capped(client: FlaskClient, clock: ManualClock, appliance: Appliance) -> None:
    from securitycam.bt.pairing_log import KEEP

    attempts = []
    for _ in range(KEEP + 3):
        clock.advance(1)
        attempts.append(f"{datetime.fromtimestamp(clock.time()):%Y-%m-%d_%H-%M-%S}.log")
        client.post("/devices/bt/add", json={"address": PHONE})
    kept = sorted(p.name for p in (appliance.paths.logs / "bluetooth-pairing").iterdir())
    assert kept == attempts[3:]  # the three oldest are gone
