"""``/api/events`` through HTTP: every documented filter, the summary, one event, retain, sub
label, false positive, Frigate+, create/end, and bad input (400 naming the parameter)."""

from __future__ import annotations

import calendar

import pytest
from flask.testing import FlaskClient

from securitycam.appliance import Appliance

DAY = 86400
# 2026-03-02 (a Monday) at 00:00 UTC.
BASE = calendar.timegm((2026, 3, 2, 0, 0, 0))


@pytest.fixture
def seeded(appliance: Appliance) -> dict[str, str]:
    """Six events with known cameras, labels, sub labels, zones, scores, times and flags."""
    events = appliance.events
    made = {}

    def add(name, camera, label, hour, *, sub_label=None, zones=(), score=None, length=10.0, clip=True,
            retained=False, ended=True):
        start = BASE + hour * 3600
        event = events.open(camera, "sensor" if score is None else "object", label, sub_label=sub_label,
                            score=score, start_time=start)
        events.update(event.id, zones=list(zones), has_clip=clip, has_snapshot=clip, retain_indefinitely=retained)
        if ended:
            events.end(event.id, start + length)
        made[name] = event.id

    add("door_night", "front", "reed_switch", 2, length=5)
    add("person_bob", "front", "person", 9, sub_label="Bob", zones=["porch"], score=0.92, length=40)
    add("person_pair", "back", "person", 13, sub_label="alice, bob", zones=["yard", "gate"], score=0.71)
    add("car", "back", "car", 18, zones=["driveway"], score=0.55, clip=False)
    add("dog_kept", "garage", "dog", 23, score=0.35, retained=True)
    add("running", "garage", "person", 30, score=0.8, ended=False, clip=False)
    return made


def ids(client: FlaskClient, query: str = "") -> list[str]:
    response = client.get(f"/api/events{query}")
    assert response.status_code == 200, response.json
    return [event["id"] for event in response.json]


def names(seeded: dict[str, str], *wanted: str) -> list[str]:
    return [seeded[name] for name in wanted]


def test_list_is_newest_first_in_frigates_shape(client, seeded):
    events = client.get("/api/events").json
    assert [event["id"] for event in events] == names(seeded, "running", "dog_kept", "car", "person_pair",
                                                      "person_bob", "door_night")
    bob = events[-2]
    assert isinstance(bob["start_time"], float) and bob["end_time"] == bob["start_time"] + 40
    assert bob["label"] == "person" and bob["sub_label"] == "Bob" and bob["zones"] == ["porch"]
    assert bob["data"]["score"] == 0.92 and bob["data"]["type"] == "object" and bob["top_score"] == 0.92
    assert bob["has_clip"] is True and bob["retain_indefinitely"] is False and bob["plus_id"] is None
    assert bob["thumbnail"] is None and "clips" not in bob["data"]
    assert events[0]["end_time"] is None  # in progress


@pytest.mark.parametrize(("query", "expected"), [
    ("?cameras=front", ["person_bob", "door_night"]),
    ("?cameras=front,garage", ["running", "dog_kept", "person_bob", "door_night"]),
    ("?camera=back", ["car", "person_pair"]),
    ("?cameras=all", ["running", "dog_kept", "car", "person_pair", "person_bob", "door_night"]),
    ("?labels=person", ["running", "person_pair", "person_bob"]),
    ("?labels=car,dog", ["dog_kept", "car"]),
    ("?sub_labels=bob", ["person_pair", "person_bob"]),
    ("?sub_labels=ALICE", ["person_pair"]),
    ("?sub_labels=None", ["running", "dog_kept", "car", "door_night"]),
    ("?zones=yard", ["person_pair"]),
    ("?zones=porch,driveway", ["car", "person_bob"]),
    ("?zones=None", ["running", "dog_kept", "door_night"]),
    (f"?after={BASE + 12 * 3600}", ["running", "dog_kept", "car", "person_pair"]),
    (f"?before={BASE + 12 * 3600}", ["person_bob", "door_night"]),
    (f"?after={BASE + 5 * 3600}&before={BASE + 20 * 3600}", ["car", "person_pair", "person_bob"]),
    ("?limit=2", ["running", "dog_kept"]),
    ("?has_clip=1", ["dog_kept", "person_pair", "person_bob", "door_night"]),
    ("?has_clip=0", ["running", "car"]),
    ("?has_snapshot=0", ["running", "car"]),
    ("?in_progress=1", ["running"]),
    ("?in_progress=0", ["dog_kept", "car", "person_pair", "person_bob", "door_night"]),
    ("?min_score=0.7", ["running", "person_pair", "person_bob"]),
    ("?max_score=0.6", ["dog_kept", "car"]),
    ("?min_score=0.5&max_score=0.9", ["running", "car", "person_pair"]),
    ("?favorites=1", ["dog_kept"]),
    ("?favorites=0", ["running", "dog_kept", "car", "person_pair", "person_bob", "door_night"]),
    ("?min_length=20", ["person_bob"]),
    ("?max_length=6", ["door_night"]),
    ("?time_range=08:00,19:00", ["car", "person_pair", "person_bob"]),
    # Overnight in New York (UTC-5): 02:00, 09:00 and 06:00 (next day) UTC are 21:00, 04:00 and 01:00 there.
    ("?time_range=20:00,06:00&timezone=America/New_York", ["running", "person_bob", "door_night"]),
    ("?time_range=20:00,06:00", ["dog_kept", "door_night"]),  # 06:00 itself is outside, as in Frigate
    ("?sort=date_asc", ["door_night", "person_bob", "person_pair", "car", "dog_kept", "running"]),
    ("?sort=score_desc&has_clip=1&labels=person,dog", ["person_bob", "person_pair", "dog_kept"]),
    ("?sort=score_asc&min_score=0.1", ["dog_kept", "car", "person_pair", "running", "person_bob"]),
    ("?cameras=back&labels=person&zones=gate&min_score=0.7&has_clip=1", ["person_pair"]),
    ("?is_submitted=1", []),
])
def test_every_filter(client, seeded, query, expected):
    assert ids(client, query) == names(seeded, *expected)


def test_include_thumbnails_embeds_the_clips_thumbnail(client, appliance, seeded):
    from tests.frigate.conftest import make_clip

    event = appliance.events.get(seeded["person_bob"])
    make_clip(appliance, event)
    listed = {item["id"]: item for item in client.get("/api/events?include_thumbnails=1").json}
    import base64

    assert base64.b64decode(listed[event.id]["thumbnail"])[:2] == b"\xff\xd8"
    assert listed[seeded["car"]]["thumbnail"] is None
    assert all(item["thumbnail"] is None for item in client.get("/api/events?include_thumbnails=0").json)


@pytest.mark.parametrize(("query", "parameter"), [
    ("limit=abc", "limit"), ("limit=0", "limit"), ("limit=-5", "limit"), ("after=yesterday", "after"),
    ("before=nan", "before"), ("has_clip=2", "has_clip"), ("has_snapshot=yes", "has_snapshot"),
    ("in_progress=x", "in_progress"), ("include_thumbnails=maybe", "include_thumbnails"),
    ("min_score=high", "min_score"), ("max_score=1.5", "max_score"), ("favorites=x", "favorites"),
    ("time_range=8,19", "time_range"), ("time_range=25:00,26:00", "time_range"), ("timezone=Mars/Base", "timezone"),
    ("sort=random", "sort"), ("min_length=-1", "min_length"), ("cameras=" + ",".join(["x"] * 101), "cameras"),
])
def test_bad_parameters_are_400_naming_them(client, seeded, query, parameter):
    response = client.get(f"/api/events?{query}")
    assert response.status_code == 400
    assert response.json["field"] == parameter and parameter in response.json["message"]


def test_summary_counts_per_camera_label_and_local_day(client, seeded):
    summary = client.get("/api/events/summary").json
    persons_back = [row for row in summary if row["camera"] == "back" and row["label"] == "person"]
    assert persons_back == [{"camera": "back", "label": "person", "sub_label": "alice, bob", "zones": ["yard", "gate"],
                             "day": "2026-03-02", "count": 1, "data": {}}]
    assert sum(row["count"] for row in summary) == 6
    assert [row["day"] for row in summary] == sorted(row["day"] for row in summary)
    assert {row["day"] for row in summary} == {"2026-03-02", "2026-03-03"}
    # In Tokyo (UTC+9) the 18:00 and 23:00 UTC events are on the next day.
    tokyo = client.get("/api/events/summary?timezone=Asia/Tokyo").json
    assert sum(row["count"] for row in tokyo if row["day"] == "2026-03-03") == 3
    assert sum(row["count"] for row in client.get("/api/events/summary?has_clip=0").json) == 2
    assert client.get("/api/events/summary?timezone=nowhere").json["field"] == "timezone"


def test_one_event_and_unknown_ones(client, seeded):
    event = client.get(f"/api/events/{seeded['car']}").json
    assert event["id"] == seeded["car"] and event["zones"] == ["driveway"]
    missing = client.get("/api/events/1.0-nothere")
    assert missing.status_code == 404 and missing.json["success"] is False
    for method, path in (("POST", "retain"), ("DELETE", "retain"), ("PUT", "false_positive"), ("PUT", "end"),
                         ("POST", "sub_label")):
        response = client.open(f"/api/events/1.0-nothere/{path}", method=method, json={"subLabel": "x"})
        assert response.status_code == 404, (method, path)


def test_retain_and_unretain(client, appliance, seeded):
    event_id = seeded["car"]
    assert client.post(f"/api/events/{event_id}/retain").json == {"success": True,
                                                                  "message": f"Event {event_id} retained"}
    assert appliance.events.get(event_id).retain_indefinitely is True
    assert event_id in ids(client, "?favorites=1")
    assert client.delete(f"/api/events/{event_id}/retain").json["success"] is True
    assert appliance.events.get(event_id).retain_indefinitely is False


def test_sub_label_set_and_cleared(client, appliance, seeded):
    event_id = seeded["car"]
    response = client.post(f"/api/events/{event_id}/sub_label", json={"subLabel": "Dad's car", "subLabelScore": 0.8})
    assert response.status_code == 200 and "Dad's car" in response.json["message"]
    event = client.get(f"/api/events/{event_id}").json
    assert event["sub_label"] == "Dad's car" and event["data"]["sub_label_score"] == 0.8
    assert ids(client, "?sub_labels=dad's car") == [event_id]
    assert client.post(f"/api/events/{event_id}/sub_label", json={"subLabel": ""}).status_code == 200
    assert appliance.events.get(event_id).sub_label is None
    too_long = client.post(f"/api/events/{event_id}/sub_label", json={"subLabel": "x" * 101})
    assert too_long.status_code == 400 and too_long.json["field"] == "subLabel"
    bad_score = client.post(f"/api/events/{event_id}/sub_label", json={"subLabel": "x", "subLabelScore": 2})
    assert bad_score.status_code == 400 and bad_score.json["field"] == "subLabelScore"


def test_plus_is_not_configured_and_false_positive_marks_locally(client, appliance, seeded):
    event_id = seeded["car"]
    plus = client.post(f"/api/events/{event_id}/plus", json={"include_annotation": 1})
    assert plus.status_code == 400 and plus.json == {"success": False,
                                                     "message": "PLUS_API_KEY environment variable is not set"}
    assert client.put(f"/api/events/{event_id}/false_positive").json["success"] is True
    assert client.get(f"/api/events/{event_id}").json["false_positive"] is True
    assert client.put(f"/api/events/{event_id}/false_positive").status_code == 400


def test_create_with_duration_ends_itself_and_create_without_one_waits_for_end(client, appliance):
    created = client.post("/api/events/cam/doorbell/create", json={"duration": 2, "score": 0.9, "sub_label": "ring"})
    assert created.status_code == 200 and created.json["message"] == "Successfully created event."
    event = client.get(f"/api/events/{created.json['event_id']}").json
    assert event["label"] == "doorbell" and event["sub_label"] == "ring" and event["data"]["type"] == "api"
    assert event["end_time"] is None and event["id"] in ids(client, "?in_progress=1")
    stored = appliance.events.get(event["id"])
    assert stored.end_time == pytest.approx(stored.start_time + 2)

    open_ended = client.post("/api/events/cam/doorbell/create", json={"duration": None}).json["event_id"]
    assert appliance.events.get(open_ended).end_time is None
    early = client.put(f"/api/events/{open_ended}/end", json={"end_time": 1.0})
    assert early.status_code == 400 and early.json["field"] == "end_time"
    assert client.put(f"/api/events/{open_ended}/end").json == {"success": True,
                                                               "message": "Event successfully ended."}
    assert client.get(f"/api/events/{open_ended}").json["end_time"] is not None
    # Ending the timed one early brings its end forward.
    client.put(f"/api/events/{event['id']}/end", json={})
    assert client.get(f"/api/events/{event['id']}").json["end_time"] is not None


def test_create_rejects_bad_cameras_and_bodies(client):
    assert client.post("/api/events/nocam/doorbell/create").status_code == 404
    for body, field in (({"duration": 0}, "duration"), ({"score": 3}, "score"), ({"duration": "long"}, "duration"),
                        ({"draw": {"boxes": [{"box": [0.1, 0.2]}]}}, "draw.boxes.0.box"),
                        ({"draw": {"boxes": [{"box": [0.1, 0.2, 3, 0.1]}]}}, "draw.boxes")):
        response = client.post("/api/events/cam/doorbell/create", json=body)
        assert response.status_code == 400 and response.json["field"] == field, body
    # Frigate's defaults without a body at all.
    assert client.post("/api/events/cam/doorbell/create").status_code == 200


def test_viewer_reads_but_may_not_change(viewer, seeded):
    assert viewer.get("/api/events").status_code == 200
    assert viewer.get(f"/api/events/{seeded['car']}").status_code == 200
    headers = {"X-CSRF-Token": "1"}
    for method, path in (("POST", f"/api/events/{seeded['car']}/retain"), ("DELETE", f"/api/events/{seeded['car']}"),
                         ("POST", "/api/events/cam/x/create"), ("PUT", f"/api/events/{seeded['car']}/end")):
        assert viewer.open(path, method=method, json={}, headers=headers).status_code == 403, path


# Zones whose offset changes with daylight saving time, and zones with half and three quarter hours.
ZONES_TO_COMPARE = ("America/New_York", "Australia/Adelaide", "America/St_Johns", "Asia/Kolkata", "Asia/Kathmandu",
                    "Pacific/Chatham", "Europe/London", "UTC")


def test_the_summary_in_any_time_zone_is_the_events_counted(client: FlaskClient, appliance: Appliance) -> None:
    """Over events either side of daylight saving changes (March and April 2026), the streamed summary
    is the events counted per local day at the zone's offset now, for the whole range, as Frigate does."""
    import json
    import random
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from tests.test_store import counted_from_events

    rng = random.Random(3)
    transitions = (calendar.timegm((2026, 3, 8, 7, 0, 0)), calendar.timegm((2026, 4, 4, 16, 30, 0)))
    for _ in range(400):
        event = appliance.events.open(rng.choice(["front", "back"]), "api", rng.choice(["person", "car", "dog"]),
                                      sub_label=rng.choice([None, None, "alice", 'bob "the" builder']),
                                      start_time=rng.choice(transitions) + rng.randrange(-3 * 96, 3 * 96) * 900
                                      + rng.choice([0.0, -0.25, rng.uniform(0, 900)]))
        appliance.events.update(event.id, zones=rng.choice([[], ["yard"], ["yard", "door"], ["Über"]]))
    for zone in ZONES_TO_COMPARE:
        offset = datetime.now(ZoneInfo(zone)).utcoffset()
        expected = [{"camera": camera, "label": label, "sub_label": sub_label, "zones": json.loads(zones), "day": day,
                     "count": count, "data": {}}
                    for day, camera, label, sub_label, zones, count in counted_from_events(
                        appliance.db, offset.total_seconds() if offset else 0.0)]
        response = client.get(f"/api/events/summary?timezone={zone}")
        assert response.status_code == 200 and response.mimetype == "application/json"
        assert response.json == expected, zone
    assert client.get("/api/events/summary?has_clip=1").json == []


@pytest.mark.parametrize("rows", [0, 1, 999, 1000, 1001, 2500])
def test_the_summary_json_is_jsonify_s_whatever_the_number_of_rows(rows: int) -> None:
    import json

    from securitycam.api.frigate.events import summary_json

    lines = [(f"2026-03-{1 + n % 28:02d}", "front", "person" if n % 2 else "car", None if n % 3 else 'Zoë "Z"',
              json.dumps(["yard", "door"][: n % 3]), n) for n in range(rows)]
    body = "".join(summary_json(iter(lines)))
    assert body == json.dumps([{"camera": camera, "label": label, "sub_label": sub_label, "zones": json.loads(zones),
                                "day": day, "count": count, "data": {}}
                               for day, camera, label, sub_label, zones, count in lines], separators=(",", ":"))
