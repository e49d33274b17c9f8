"""Frigate's timeline endpoints through HTTP, over rows made by the real timeline store; an event's
rows go with it, as in Frigate."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from securitycam.appliance import Appliance
from securitycam.store import db as database
from securitycam.store.events import EventStore
from securitycam.store.timeline import TimelineStore
from tests.schema import older_schema

T0 = 1_767_225_600.0  # 2026-01-01 00:00 UTC


@pytest.fixture
def rows(appliance: Appliance) -> None:
    timeline = appliance.detection.timeline
    life = [(T0 + 10, "visible"), (T0 + 12, "entered_zone"), (T0 + 3700, "active"), (T0 + 3720, "gone")]
    for moment, kind in life:
        timeline.add(moment, "front", "tracked_object", "ev-person", kind,
                     {"camera": "front", "label": "person", "sub_label": None, "box": [0.1, 0.1, 0.2, 0.4],
                      "region": [0, 0, 1, 1], "zones": ["yard"] if kind != "visible" else [], "attribute": ""})
    timeline.add(T0 + 1900, "back", "tracked_object", "ev-car", "visible",
                 {"camera": "back", "label": "car", "sub_label": None, "box": [0, 0, 0.5, 0.5],
                  "region": [0, 0, 1, 1], "zones": [], "attribute": ""})


def test_timeline_is_oldest_first_by_camera_and_object(client: FlaskClient, rows: None) -> None:
    everything = client.get("/api/timeline", json={})
    assert everything.status_code == 200
    assert [(row["timestamp"], row["source_id"]) for row in everything.json] == [
        (T0 + 10, "ev-person"), (T0 + 12, "ev-person"), (T0 + 1900, "ev-car"), (T0 + 3700, "ev-person"),
        (T0 + 3720, "ev-person")]
    first = everything.json[0]
    assert set(first) == {"timestamp", "camera", "source", "source_id", "class_type", "data"}
    assert first["class_type"] == "visible" and first["data"]["label"] == "person"
    person = client.get("/api/timeline?source_id=ev-person&limit=2").json
    assert [row["class_type"] for row in person] == ["visible", "entered_zone"]
    assert [row["source_id"] for row in client.get("/api/timeline?camera=back").json] == ["ev-car"]
    assert len(client.get("/api/timeline?camera=all").json) == 5
    assert client.get("/api/timeline?camera=front,back").json == []  # one camera's name, as in Frigate


def test_hourly_groups_the_newest_rows_by_hour(client: FlaskClient, rows: None) -> None:
    answer = client.get("/api/timeline/hourly", json={}).json
    assert answer["count"] == 5 and answer["start"] == T0 + 3720 and answer["end"] == T0 + 10
    assert set(answer["hours"]) == {str(T0), str(T0 + 3600)}
    assert [row["timestamp"] for row in answer["hours"][str(T0)]] == [T0 + 10, T0 + 12, T0 + 1900]
    cars = client.get(f"/api/timeline/hourly?labels=car&after={T0}&before={T0 + 7200}").json
    assert cars["count"] == 1 and cars["start"] == T0 + 1900 and cars["end"] == 0
    newest = client.get("/api/timeline/hourly?cameras=front&limit=2").json
    assert list(newest["hours"]) == [str(T0 + 3600)] and newest["count"] == 2
    # Hours of the zone's clock: India is UTC+5:30, so its hours begin at half past.
    india = client.get("/api/timeline/hourly?timezone=Asia/Kolkata").json
    assert {hour: len(found) for hour, found in india["hours"].items()} == {str(T0 - 1800): 2, str(T0 + 1800): 3}
    assert client.get(f"/api/timeline/hourly?before={T0}").json == {"start": 0, "end": 0, "count": 0, "hours": {}}


@pytest.mark.parametrize(("path", "parameter"), [
    ("/api/timeline?limit=-1", "limit"), ("/api/timeline?limit=ten", "limit"),
    ("/api/timeline?source_id=" + "x" * 101, "source_id"), ("/api/timeline/hourly?after=x", "after"),
    ("/api/timeline/hourly?timezone=Nowhere/City", "timezone"), ("/api/timeline/hourly?limit=0", "limit"),
])
def test_bad_parameters_are_400_naming_them(client: FlaskClient, path: str, parameter: str) -> None:
    response = client.get(path)
    assert response.status_code == 400 and response.json["message"].startswith(f"{parameter}:")


def test_deleting_an_event_deletes_its_timeline_rows(client: FlaskClient, appliance: Appliance, rows: None) -> None:
    for event_id, camera, label in (("ev-person", "front", "person"), ("ev-car", "back", "car")):
        appliance.events.open(camera, "object", label, start_time=T0 + 10, event_id=event_id)
        appliance.events.end(event_id, T0 + 3720)

    assert client.delete("/api/events/ev-person").json["success"] is True

    assert client.get("/api/timeline?source_id=ev-person").json == []
    assert [row["source_id"] for row in client.get("/api/timeline", json={}).json] == ["ev-car"]


def test_rows_of_events_deleted_before_the_migration_go_with_it(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    db, upgrade = older_schema(tmp_path / "db.sqlite", monkeypatch, "timeline", 2)  # before the trigger
    events, timeline = EventStore(db), TimelineStore(db)
    for event_id in ("ev-kept", "ev-deleted"):
        events.open("front", "object", "person", start_time=T0, event_id=event_id)
        timeline.add(T0, "front", "tracked_object", event_id, "visible", {"label": "person"})
    events.delete("ev-deleted")  # before the migration, its rows stayed
    assert len(timeline.list(source_id="ev-deleted")) == 1

    assert upgrade() == len(database._SCHEMAS["timeline"])

    assert timeline.list(source_id="ev-deleted") == [] and len(timeline.list(source_id="ev-kept")) == 1
    events.delete("ev-kept")  # the store deletes an event's rows with it from now on
    assert timeline.list() == []
    db.close()
