"""History over HTTP: events heard on the bus from the real sensor manager, presence monitor and
health monitor end up in ``/event_history`` (JSON and CSV); health samples in ``/health_history``."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from securitycam import history
from securitycam.appliance import Appliance
from securitycam.bus import RECORDING_STATE
from securitycam.system.runner import CommandResult, RecordingRunner
from tests.conftest import write_sys

HOUR = 3600


def types(client: FlaskClient, **query: object) -> list[str]:
    response = client.get("/event_history", query_string=query)
    assert response.status_code == 200, response.json
    return [event["type"] for event in response.json]


def test_boot_sensor_trigger_and_release_are_kept_in_order(client: FlaskClient, appliance: Appliance) -> None:
    assert client.post("/sensor/mock/trigger").status_code == 200
    assert client.post("/sensor/mock/release").status_code == 200
    appliance.history.flush()

    events = client.get("/event_history?hours=24").json
    assert [e["type"] for e in events] == ["system_boot", "sensor_triggered", "sensor_released"]
    assert events[1]["severity"] == "warn" and "mock" in events[1]["detail"]
    assert events[2]["severity"] == "ok"
    assert all(datetime.fromisoformat(e["ts"]).utcoffset() is not None for e in events)
    assert [e["ts"] for e in events] == sorted(e["ts"] for e in events)


def test_presence_health_and_recording_changes_are_kept(
    client: FlaskClient, appliance: Appliance, runner: RecordingRunner, sysroot: Path
) -> None:
    client.post("/devices/wifi/add", json={"address": "3C:22:FB:00:11:22", "name": "Ana's laptop"})
    runner.respond(["ip", "neigh", "show"], CommandResult(0, "10.0.0.9 dev wlan0 lladdr 3c:22:fb:00:11:22 REACHABLE"))
    appliance.presence.poll()
    write_sys(sysroot, "sys/class/thermal/thermal_zone0/temp", "70000")
    appliance.health.check()
    # The recorder's contract (no camera runs in this test): its state message, twice, then stopped.
    for recording in (True, True, False):
        appliance.bus.publish(RECORDING_STATE, {"camera": "cam", "state": "running", "recording": recording})
    appliance.history.flush()

    events = {e["type"]: e for e in client.get("/event_history").json}
    assert "Ana's laptop" in events["presence_arrived"]["detail"]
    assert events["health_alert"]["severity"] == "warn" and "cpu_temp" in events["health_alert"]["detail"]
    assert types(client).count("recording_started") == 1 and "recording_stopped" in events


def test_csv_has_the_header_and_quotes_as_rfc_4180(client: FlaskClient, appliance: Appliance) -> None:
    now = appliance.clock.time()
    appliance.history.record([(now - 10, "presence_arrived", "ok", 'Ana "A", phone\nsecond line'),
                              (now - 5, "note", "ok", None)])
    response = client.get("/event_history/csv?hours=72")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment")
    text = response.get_data(as_text=True)
    assert text.startswith("timestamp,type,severity,detail\r\n")
    assert '"Ana ""A"", phone\nsecond line"' in text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["timestamp", "type", "severity", "detail"]
    assert [row[1:] for row in rows[1:]] == [["presence_arrived", "ok", 'Ana "A", phone\nsecond line'],
                                             ["note", "ok", ""], ["system_boot", "ok", ""]]
    assert [r[0] for r in rows[1:]] == [e["ts"] for e in client.get("/event_history?hours=72").json]


def test_csv_fields_a_spreadsheet_would_run_as_formulas_are_made_inert(
        client: FlaskClient, appliance: Appliance) -> None:
    now = appliance.clock.time()
    details = ['=HYPERLINK("http://evil.example","x") (AA:BB, wifi) is home', "+1+1", "-2+3", "@SUM(A1)",
               "\t=1", "plain = text"]
    appliance.history.record([(now - 10 + n, "presence_arrived", "ok", detail) for n, detail in enumerate(details)])
    rows = list(csv.reader(io.StringIO(client.get("/event_history/csv?hours=1").get_data(as_text=True))))
    assert [row[3] for row in rows[1:] if row[1] == "presence_arrived"] == [
        "'" + detail for detail in details[:-1]] + ["plain = text"]
    # The JSON list keeps what was recorded.
    listed = client.get("/event_history?hours=1").json
    assert [e["detail"] for e in listed if e["type"] == "presence_arrived"] == details


def test_csv_with_no_events_is_the_header_only(client: FlaskClient, appliance: Appliance) -> None:
    appliance.db.execute("DELETE FROM history_events")
    assert client.get("/event_history/csv").get_data(as_text=True) == "timestamp,type,severity,detail\r\n"


def test_hours_selects_and_is_clamped_to_what_is_kept(client: FlaskClient, appliance: Appliance) -> None:
    now = appliance.clock.time()
    appliance.history.record([(now - (history.EVENT_HOURS + 1) * HOUR, "ancient", "ok", None),
                              (now - 100 * HOUR, "old", "ok", None)])
    assert "old" not in types(client, hours=24)
    assert "old" in types(client, hours=200)
    clamped = types(client, hours=10**9)
    assert "old" in clamped and "ancient" not in clamped


@pytest.mark.parametrize("route", ["/event_history", "/event_history/csv", "/health_history"])
@pytest.mark.parametrize("hours", ["abc", "0", "-3", "1.5", ""])
def test_bad_hours_are_refused_naming_the_field(client: FlaskClient, route: str, hours: str) -> None:
    response = client.get(f"{route}?hours={hours}")
    assert response.status_code == 400
    assert response.json == {"success": False, "message": response.json["message"], "field": "hours"}


def test_health_samples_are_kept_72_hours(client: FlaskClient, appliance: Appliance, sysroot: Path) -> None:
    appliance.history.flush()  # the service's first sample, taken at start, is in
    write_sys(sysroot, "sys/class/thermal/thermal_zone0/temp", "51500")
    now = appliance.clock.time()
    with appliance.db.transaction() as tx:
        tx.execute("INSERT INTO health_samples VALUES (?, 40, 1, 10, 100, 20)", (now - 73 * HOUR,))
        tx.execute("INSERT INTO health_samples VALUES (?, 45, 2, 11, 110, 21)", (now - 50 * HOUR,))
    response = client.get("/health_history?hours=9999")
    assert response.status_code == 200
    # Clamped to 72 h; the service's own first sample (taken at start, no temperature then) follows.
    assert [s["cpu_temp_celsius"] for s in response.json] == [45, None]

    appliance.history.take_sample()
    samples = client.get("/health_history?hours=72").json
    assert samples[-1]["cpu_temp_celsius"] == 51.5
    assert samples[-1]["storage_percent"] == 20.0  # the fake disk
    assert {"ts", "cpu_load_percent", "ram_percent", "ram_used_mb"} <= set(samples[-1])
    assert [s["cpu_temp_celsius"] for s in client.get("/health_history?hours=1").json] == [None, 51.5]
    (count,) = appliance.db.query_one("SELECT count(*) FROM health_samples")
    assert count == len(samples)  # the 73-hour-old one is pruned


def test_the_event_table_is_bounded(appliance: Appliance, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(history, "MAX_EVENTS", 5)
    now = appliance.clock.time()
    appliance.history.record([(now - 60 + i, f"e{i}", "ok", None) for i in range(20)])
    appliance.history.take_sample()
    rows = appliance.db.query("SELECT type FROM history_events ORDER BY id")
    assert [row["type"] for row in rows] == [f"e{i}" for i in range(15, 20)]


def test_the_json_list_is_capped_to_the_newest_the_csv_has_all(
    client: FlaskClient, appliance: Appliance, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(history, "MAX_LISTED", 3)
    now = appliance.clock.time()
    appliance.history.record([(now - 100 + i, f"e{i}", "ok", None) for i in range(6)])
    assert types(client) == ["e4", "e5", "system_boot"]
    assert client.get("/event_history/csv").get_data(as_text=True).count("\r\n") == 1 + 6 + 1
