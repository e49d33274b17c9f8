"""Presence: arriving, a phone sleeping through checks, leaving, restarts, and a broken adapter.

Time moves only when a test advances the :class:`ManualClock`; a presence check is one call of
``presence.poll()`` (what the background thread does every ``poll_seconds``).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
import requests
from flask.testing import FlaskClient

from securitycam.app import create_app
from securitycam.appliance import Appliance, Hardware
from securitycam.bt import PresenceMonitor
from securitycam.bt.fake import FakeRadio
from securitycam.bus import PRESENCE_CHANGE
from securitycam.clock import ManualClock
from securitycam.system.host import HostReader
from securitycam.system.runner import RecordingRunner
from tests.bt.conftest import FAST_BLUETOOTH, PHONE, TAG, WATCH
from tests.conftest import PASSWORD, FakeDisk, LiveServer

AWAY_AFTER = 300  # the default


def presence_events(appliance: Appliance) -> list[tuple[str, bool, bool]]:
    events = appliance.bus.recent(PRESENCE_CHANGE)
    return [(e.data["address"], e.data["present"], e.data["anyone_home"]) for e in events]


@pytest.fixture
def home_changes(presence: PresenceMonitor) -> list[bool]:
    changes: list[bool] = []
    presence.on_change(changes.append)
    return changes


def test_nobody_is_home_with_no_devices_and_a_check_costs_nothing(
    presence: PresenceMonitor, runner: RecordingRunner, radio: FakeRadio
) -> None:
    presence.poll()
    assert presence.anyone_home() is False
    assert radio.scan_modes == [] and not [c for c in runner.calls if c[0] == "l2ping"]


def test_phone_arriving_is_home_on_first_sighting(
    presence: PresenceMonitor, radio: FakeRadio, appliance: Appliance, clock: ManualClock, home_changes: list[bool]
) -> None:
    presence.track(PHONE, "Ana's phone")
    presence.poll()
    assert presence.anyone_home() is False

    radio.arrive(PHONE, advertises=False)  # a phone: silent on BLE, answers l2ping
    clock.advance(30)
    presence.poll()

    assert presence.anyone_home() is True
    assert home_changes == [True]
    assert presence_events(appliance) == [(PHONE, True, True)]
    assert presence.device(PHONE)["last_seen"] == clock.time()  # type: ignore[index]


def test_ble_tag_is_seen_by_passive_listening_without_a_ping(
    presence: PresenceMonitor, radio: FakeRadio, runner: RecordingRunner, home_changes: list[bool]
) -> None:
    presence.track(TAG, "Keys")
    radio.arrive(TAG, "Keys", rssi=-55, answers_ping=False)

    presence.poll()

    assert presence.anyone_home() is True
    assert presence.device(TAG)["rssi"] == -55  # type: ignore[index]
    assert radio.scan_modes == ["passive"]
    assert not [c for c in runner.calls if c[0] == "l2ping"]  # heard already; no need to page it


def test_passive_scanning_unsupported_falls_back_to_active_once(appliance: Appliance, runner: RecordingRunner) -> None:
    radio = FakeRadio(passive_supported=False)
    appliance.hardware.bluetooth = radio.adapter(runner)
    monitor = PresenceMonitor(appliance.bluetooth, appliance.db, appliance.settings, appliance.bus, appliance.clock)
    appliance.settings.update({"Bluetooth": FAST_BLUETOOTH})
    monitor.track(TAG)
    radio.arrive(TAG, answers_ping=False)
    monitor.poll()
    monitor.poll()
    monitor.stop()
    assert monitor.anyone_home() is True
    assert radio.scan_modes == ["passive", "active", "active"]


def test_short_absence_is_not_leaving(
    presence: PresenceMonitor, radio: FakeRadio, clock: ManualClock, appliance: Appliance, home_changes: list[bool]
) -> None:
    presence.track(PHONE)
    radio.arrive(PHONE, advertises=False)
    presence.poll()

    # The phone sleeps through nine 30 s checks (4.5 minutes): still home.
    radio.leave(PHONE)
    for _ in range(9):
        clock.advance(30)
        presence.poll()
        assert presence.anyone_home() is True

    # It answers again: the absence timer starts over from this sighting.
    radio.arrive(PHONE, advertises=False)
    clock.advance(30)
    presence.poll()
    seen_again = clock.time()
    radio.leave(PHONE)
    clock.advance(AWAY_AFTER - 1)
    presence.poll()

    assert presence.anyone_home() is True
    assert presence.device(PHONE)["last_seen"] == seen_again  # type: ignore[index]
    assert home_changes == [True]
    assert presence_events(appliance) == [(PHONE, True, True)]


def test_leaving_is_away_after_the_configured_time_unseen(
    presence: PresenceMonitor, radio: FakeRadio, clock: ManualClock, appliance: Appliance, home_changes: list[bool]
) -> None:
    appliance.settings.update({"Bluetooth": {"away_after_seconds": 120}})
    presence.track(PHONE)
    radio.arrive(PHONE, advertises=False)
    presence.poll()
    last_seen = clock.time()

    radio.leave(PHONE)
    clock.advance(119)
    presence.poll()
    assert presence.anyone_home() is True
    clock.advance(1)
    presence.poll()

    assert presence.anyone_home() is False
    assert presence.device(PHONE)["present"] is False  # type: ignore[index]
    assert presence.device(PHONE)["last_seen"] == last_seen  # type: ignore[index]
    assert home_changes == [True, False]
    assert presence_events(appliance) == [(PHONE, True, True), (PHONE, False, False)]


def test_home_until_the_last_device_leaves(
    presence: PresenceMonitor, radio: FakeRadio, clock: ManualClock, appliance: Appliance, home_changes: list[bool]
) -> None:
    presence.track(PHONE)
    presence.track(WATCH)
    radio.arrive(PHONE, advertises=False)
    radio.arrive(WATCH)
    presence.poll()

    radio.leave(PHONE)
    clock.advance(AWAY_AFTER)
    presence.poll()
    assert presence.anyone_home() is True  # the watch is still here
    radio.leave(WATCH)
    clock.advance(AWAY_AFTER)
    presence.poll()

    assert presence.anyone_home() is False
    assert home_changes == [True, False]
    assert presence_events(appliance) == [
        (PHONE, True, True),
        (WATCH, True, True),
        (PHONE, False, True),
        (WATCH, False, False),
    ]


def test_untracking_the_only_present_device_means_nobody_is_home(
    presence: PresenceMonitor, radio: FakeRadio, appliance: Appliance, home_changes: list[bool]
) -> None:
    presence.track(PHONE)
    radio.arrive(PHONE)
    presence.poll()
    assert presence.untrack(PHONE) is True
    assert presence.anyone_home() is False
    assert home_changes == [True, False]
    assert presence_events(appliance)[-1] == (PHONE, False, False)
    assert presence.untrack(PHONE) is False


def test_presence_turned_off_means_nobody_counts_as_home(
    presence: PresenceMonitor, radio: FakeRadio, client: FlaskClient, home_changes: list[bool]
) -> None:
    presence.track(PHONE)
    radio.arrive(PHONE)
    presence.poll()

    assert client.post("/settings", json={"Bluetooth": {"presence_enabled": False}}).status_code == 200
    assert presence.anyone_home() is False
    listed = client.get("/devices/bt").json
    assert listed["anyone_home"] is False and listed["presence_enabled"] is False
    assert client.post("/settings", json={"Bluetooth": {"presence_enabled": True}}).status_code == 200
    assert presence.anyone_home() is True
    assert home_changes == [True, False, True]


def test_adapter_lost_raises_an_alert_and_devices_drift_to_away(
    presence: PresenceMonitor, radio: FakeRadio, clock: ManualClock, client: FlaskClient
) -> None:
    presence.track(PHONE)
    radio.arrive(PHONE, advertises=False)
    presence.poll()

    radio.controller = False  # the USB dongle was pulled, or bluetoothd died
    clock.advance(60)
    presence.poll()
    state = client.get("/system_alert_state").json
    assert state["alerts"]["bluetooth"] == "warn"
    assert "no Bluetooth adapter found" in state["values"]["bluetooth"]
    assert presence.anyone_home() is True  # not yet: a blip must not count as leaving
    clock.advance(AWAY_AFTER)
    presence.poll()
    # Presence that cannot be checked must not keep alerts suppressed forever.
    assert presence.anyone_home() is False

    radio.controller = True
    presence.poll()
    assert "bluetooth" not in client.get("/system_alert_state").json["alerts"]
    assert presence.anyone_home() is True


def test_invalid_settings_are_refused(client: FlaskClient) -> None:
    for bad in ({"away_after_seconds": 5}, {"poll_seconds": 0}, {"listen_seconds": -1}, {"scan_seconds": 0}):
        response = client.post("/settings", json={"Bluetooth": bad})
        assert response.status_code == 400, bad
        assert next(iter(bad)) in response.json["message"]


def test_background_checks_run_every_period_and_at_once_after_a_settings_change(
    appliance: Appliance, radio: FakeRadio
) -> None:
    appliance.presence.start()
    changes: list[bool] = []
    arrived = threading.Event()
    appliance.presence.on_change(lambda home: (changes.append(home), arrived.set()))
    appliance.presence.track(PHONE)
    radio.arrive(PHONE, advertises=False)

    appliance.settings.update({"Bluetooth": {**FAST_BLUETOOTH, "poll_seconds": 5}})

    assert arrived.wait(3), "a settings change should start a check without waiting a whole period"
    assert changes == [True]
    appliance.presence.stop()


# -- restarts -----------------------------------------------------------------------------------
def build(data_dir: Path, runner: RecordingRunner, radio: FakeRadio, clock: ManualClock, tmp_path: Path):  # type: ignore[no-untyped-def]
    hardware = Hardware(
        runner=runner,
        host=HostReader(tmp_path / "sysroot", disk_usage=FakeDisk()),
        clock=clock,
        bluetooth=radio.adapter(runner),
        run_cameras=False,
    )
    app = create_app(data_dir, hardware, start=False)
    app.extensions["securitycam"].settings.update({"Bluetooth": FAST_BLUETOOTH})
    return app.extensions["securitycam"]


def test_presence_survives_a_restart_without_a_false_leave(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECURITYCAM_PASSWORD", PASSWORD)
    (tmp_path / "sysroot").mkdir()
    data_dir, clock, runner, radio = tmp_path / "data", ManualClock(), RecordingRunner(), FakeRadio()
    first = build(data_dir, runner, radio, clock, tmp_path)
    first.presence.track(PHONE, "Ana's phone")
    first.presence.track(TAG, "Keys")
    radio.arrive(PHONE, advertises=False)
    first.presence.poll()
    seen = clock.time()
    first.stop()

    # Power cut for an hour; the phone is asleep as the appliance comes back.
    clock.advance(3600)
    radio.leave(PHONE)
    second = build(data_dir, RecordingRunner(), radio, clock, tmp_path)
    assert second.presence.anyone_home() is True
    assert [(d["address"], d["name"], d["present"], d["last_seen"]) for d in second.presence.devices()] == [
        (PHONE, "Ana's phone", True, seen),
        (TAG, "Keys", False, None),
    ]
    clock.advance(AWAY_AFTER - 1)
    second.presence.poll()
    assert second.presence.anyone_home() is True  # a full away time after the restart, not after last_seen
    clock.advance(1)
    second.presence.poll()
    assert second.presence.anyone_home() is False
    second.stop()

    third = build(data_dir, RecordingRunner(), radio, clock, tmp_path)
    assert third.presence.anyone_home() is False
    third.stop()


# -- SSE ---------------------------------------------------------------------------------------
def test_presence_change_reaches_sse_clients(
    live_server: LiveServer, token: str, presence: PresenceMonitor, radio: FakeRadio
) -> None:
    presence.track(PHONE, "Ana's phone")
    with requests.get(f"{live_server.url}/events?token={token}", stream=True, timeout=5) as stream:
        radio.arrive(PHONE, advertises=False)
        presence.poll()
        lines = stream.iter_lines(decode_unicode=True)
        for line in lines:
            if line == f"event: {PRESENCE_CHANGE}":
                data = json.loads(next(lines).removeprefix("data: "))
                break
    assert data["address"] == PHONE and data["name"] == "Ana's phone"
    assert data["present"] is True and data["anyone_home"] is True
