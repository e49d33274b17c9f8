"""Frigate's review endpoints through HTTP, over rows made by the real review store (and one made by
detection's own writer from a sensor event): filters, per-user reviewed marks, summary, delete,
roles, and bad input answered 400 naming the parameter."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient

from securitycam.appliance import Appliance
from securitycam.store.review import ReviewSegment, ReviewStore

VIEWER, VIEWER_PASSWORD = "bob", "bob's long enough password"
HOUR = 3600.0


@dataclass
class Items:
    """Six items over the last three hours and one from three days ago (``old``)."""

    store: ReviewStore
    now: float
    front_person: ReviewSegment
    front_car: ReviewSegment
    back_person_yard: ReviewSegment
    back_motion: ReviewSegment
    side_open: ReviewSegment
    long_running: ReviewSegment
    old: ReviewSegment


def item(store: ReviewStore, camera: str, start: float, end: float | None, severity: str,
         **data: list[str]) -> ReviewSegment:
    segment = store.open(camera, start, severity, data=data)
    if end is not None:
        store.update(segment.id, end_time=end)
    return store.get(segment.id)  # type: ignore[return-value]


@pytest.fixture
def items(appliance: Appliance) -> Items:
    store, now = appliance.detection.reviews, time.time()
    return Items(
        store, now,
        front_person=item(store, "front", now - 3 * HOUR, now - 3 * HOUR + 20, "alert", objects=["person"],
                          detections=["e1"]),
        front_car=item(store, "front", now - 2 * HOUR, now - 2 * HOUR + 30, "alert", objects=["car", "person"],
                       zones=["drive"], detections=["e2", "e3"]),
        back_person_yard=item(store, "back", now - HOUR, now - HOUR + 10, "detection", objects=["person"],
                              zones=["yard"], detections=["e4"]),
        back_motion=item(store, "back", now - 1800, now - 1790, "detection", objects=["motion"],
                         detections=["e5"]),
        side_open=item(store, "side", now - 60, None, "alert", objects=["dog"], detections=["e6"]),
        # Began 26 hours ago and ended inside the last day: active in the default window.
        long_running=item(store, "side", now - 26 * HOUR, now - 20 * HOUR, "detection", objects=["cat"],
                          detections=["e7"]),
        old=item(store, "front", now - 72 * HOUR, now - 72 * HOUR + 5, "alert", objects=["person"],
                 detections=["e8"]),
    )


@pytest.fixture
def viewer(client: FlaskClient, app: Flask) -> Iterator[FlaskClient]:
    """A viewer signed in through Frigate's login (the frigate_token cookie; changes carry X-CSRF-Token, as
    Frigate's web app sends them)."""
    created = client.post("/api/users", json={"username": VIEWER, "password": VIEWER_PASSWORD})
    assert created.status_code == 201, created.json
    session = app.test_client()
    assert session.post("/api/login", json={"user": VIEWER, "password": VIEWER_PASSWORD}).status_code == 200
    session.environ_base["HTTP_X_CSRF_TOKEN"] = "1"
    yield session


def ids(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.json
    return [entry["id"] for entry in response.json]


def test_the_list_is_the_last_day_newest_first_in_frigates_shape(client: FlaskClient, items: Items) -> None:
    response = client.get("/api/review", json={})  # Frigate clients send {} with every GET
    assert ids(response) == [items.side_open.id, items.back_motion.id, items.back_person_yard.id,
                             items.front_car.id, items.front_person.id, items.long_running.id]
    first = response.json[0]
    assert set(first) == {"id", "camera", "start_time", "end_time", "severity", "thumb_path", "data",
                          "has_been_reviewed"}
    assert first["end_time"] is None and first["has_been_reviewed"] is False
    assert isinstance(first["start_time"], float) and first["data"]["objects"] == ["dog"]
    assert first["data"]["detections"] == ["e6"]


def test_each_filter(client: FlaskClient, items: Items) -> None:
    assert ids(client.get("/api/review?cameras=front")) == [items.front_car.id, items.front_person.id]
    assert ids(client.get("/api/review?cameras=front,side&severity=alert")) == [
        items.side_open.id, items.front_car.id, items.front_person.id]
    assert ids(client.get("/api/review?severity=detection&cameras=all")) == [
        items.back_motion.id, items.back_person_yard.id, items.long_running.id]
    # A label matches any of the item's objects, whole names only.
    assert ids(client.get("/api/review?labels=person")) == [
        items.back_person_yard.id, items.front_car.id, items.front_person.id]
    assert ids(client.get("/api/review?labels=car,dog")) == [items.side_open.id, items.front_car.id]
    assert ids(client.get("/api/review?labels=pers")) == []
    assert ids(client.get("/api/review?zones=yard,drive")) == [items.back_person_yard.id, items.front_car.id]
    assert ids(client.get("/api/review?labels=person&zones=yard&cameras=back")) == [items.back_person_yard.id]
    assert ids(client.get("/api/review?limit=2")) == [items.side_open.id, items.back_motion.id]


def test_a_time_window_selects_items_active_in_it(client: FlaskClient, items: Items) -> None:
    now = items.now
    # front_car ran from now-2h to now-2h+30s: a window that starts inside it still has it.
    window = f"after={now - 2 * HOUR + 10}&before={now - HOUR - 1}"
    assert ids(client.get(f"/api/review?{window}")) == [items.front_car.id]
    # Three days back: the old item, and nothing newer than before.
    assert ids(client.get(f"/api/review?after={now - 80 * HOUR}&before={now - 70 * HOUR}")) == [items.old.id]
    # The open item is active in any window after its start.
    assert items.side_open.id in ids(client.get(f"/api/review?after={now + 100}&before={now + 200}"))
    # The item that began 26 h ago is found by a window that begins long after its start.
    assert ids(client.get(f"/api/review?after={now - 21 * HOUR}&before={now - 19 * HOUR}")) == [
        items.long_running.id]
    assert ids(client.get(f"/api/review?cameras=front&after={now - 100 * HOUR}")) == [
        items.front_car.id, items.front_person.id, items.old.id]


def test_reviewed_is_per_user_and_any_signed_in_user_marks_their_own(
        client: FlaskClient, viewer: FlaskClient, items: Items) -> None:
    marked = viewer.post("/api/reviews/viewed", json={"ids": [items.front_car.id, items.back_motion.id]})
    assert marked.status_code == 200 and marked.json == {"success": True, "message": "Reviewed multiple items"}
    # reviewed=0 (the default) hides what this user has seen; reviewed=1 shows it, marked.
    assert items.front_car.id not in ids(viewer.get("/api/review"))
    listed = {entry["id"]: entry["has_been_reviewed"] for entry in viewer.get("/api/review?reviewed=1").json}
    assert listed[items.front_car.id] is True and listed[items.front_person.id] is False
    # The admin has seen nothing: their list is whole, and unmarked.
    assert items.front_car.id in ids(client.get("/api/review"))
    assert viewer.get(f"/api/review/{items.front_car.id}").json["has_been_reviewed"] is True
    assert client.get(f"/api/review/{items.front_car.id}").json["has_been_reviewed"] is False
    # Undone both ways: Frigate 0.16's DELETE, and later Frigate's "reviewed": false.
    undone = viewer.delete(f"/api/review/{items.front_car.id}/viewed")
    assert undone.json == {"success": True, "message": f"Set Review {items.front_car.id} as not viewed"}
    unmarked = viewer.post("/api/reviews/viewed", json={"ids": [items.back_motion.id], "reviewed": False})
    assert unmarked.status_code == 200
    assert {items.front_car.id, items.back_motion.id} <= set(ids(viewer.get("/api/review")))
    assert viewer.delete("/api/review/no-such-item/viewed").status_code == 404
    # Ids of no item are skipped, as Frigate does.
    assert viewer.post("/api/reviews/viewed", json={"ids": ["no-such-item"]}).status_code == 200


def test_one_item_by_id_by_event_and_by_ids(client: FlaskClient, items: Items) -> None:
    got = client.get(f"/api/review/{items.back_person_yard.id}", json={})
    assert got.status_code == 200 and got.json["data"]["zones"] == ["yard"]
    assert client.get("/api/review/event/e3").json["id"] == items.front_car.id
    missing = client.get("/api/review/event/nope")
    assert missing.status_code == 404 and missing.json == {"success": False, "message": "Review item not found"}
    assert client.get("/api/review/no-such-id").status_code == 404
    listed = client.get(f"/api/review_ids?ids={items.front_person.id},{items.old.id},nope")
    assert ids(listed) == [items.front_person.id, items.old.id]


def test_an_item_made_by_detection_from_a_sensor_event_is_found_by_its_event(
        client: FlaskClient, appliance: Appliance) -> None:
    event = appliance.events.open("cam", "sensor", "reed_switch", sub_label="front door")
    found = client.get(f"/api/review/event/{event.id}")
    assert found.status_code == 200, found.json
    assert found.json["camera"] == "cam" and found.json["data"]["sensors"] == ["front door"]
    assert found.json["id"] in ids(client.get("/api/review?cameras=cam"))


def test_summary_counts_per_day_and_the_last_day(client: FlaskClient, viewer: FlaskClient, items: Items) -> None:
    viewer.post("/api/reviews/viewed", json={"ids": [items.front_person.id, items.back_motion.id, items.old.id]})
    summary = viewer.get("/api/review/summary?timezone=utc", json={})
    assert summary.status_code == 200, summary.json
    assert summary.json["last24Hours"] == {"reviewed_alert": 1, "reviewed_detection": 1, "total_alert": 3,
                                           "total_detection": 3}
    days = {key: value for key, value in summary.json.items() if key != "last24Hours"}
    old_day = time.strftime("%Y-%m-%d", time.gmtime(items.old.start_time))
    assert days[old_day] == {"day": old_day, "reviewed_alert": 1, "reviewed_detection": 0, "total_alert": 1,
                             "total_detection": 0}
    assert sum(day["total_alert"] + day["total_detection"] for day in days.values()) == 7
    # The admin has reviewed nothing; a camera filter counts only its items.
    front = client.get("/api/review/summary?cameras=front").json
    assert front["last24Hours"] == {"reviewed_alert": 0, "reviewed_detection": 0, "total_alert": 2,
                                    "total_detection": 0}
    assert client.get("/api/review/summary?labels=cat&zones=nowhere").json["last24Hours"]["total_detection"] == 0


def test_the_summary_day_follows_the_time_zone(client: FlaskClient, appliance: Appliance) -> None:
    store = appliance.detection.reviews
    # 2026-01-01 23:30 UTC is already 2 January in Tokyo (UTC+9, no daylight saving).
    item(store, "front", 1767310200.0, 1767310210.0, "alert", objects=["person"])
    assert "2026-01-01" in client.get("/api/review/summary").json
    tokyo = client.get("/api/review/summary?timezone=Asia/Tokyo").json
    assert "2026-01-02" in tokyo and "2026-01-01" not in tokyo


def test_deleting_items_is_for_admins_and_takes_their_thumbnail(
        client: FlaskClient, viewer: FlaskClient, appliance: Appliance, items: Items) -> None:
    thumbs = appliance.paths.clips / "review"
    thumbs.mkdir(parents=True, exist_ok=True)
    picture = thumbs / f"thumb-front-{items.front_car.id}.webp"
    picture.write_bytes(b"RIFF....WEBP")
    items.store.update(items.front_car.id, thumb_path=str(picture))
    listed = client.get(f"/api/review/{items.front_car.id}").json
    assert listed["thumb_path"] == f"/media/frigate/clips/review/{picture.name}"
    # Where Frigate's web app looks for it: the thumbnail.
    served = client.get(listed["thumb_path"].replace("/media/frigate", ""))
    assert served.status_code == 200 and served.data == b"RIFF....WEBP" and served.mimetype == "image/webp"
    viewer.post("/api/reviews/viewed", json={"ids": [items.front_car.id]})

    refused = viewer.post("/api/reviews/delete", json={"ids": [items.front_car.id]})
    assert refused.status_code == 403 and items.store.get(items.front_car.id) is not None
    deleted = client.post("/api/reviews/delete", json={"ids": [items.front_car.id, items.old.id, "nope"]})
    assert deleted.json == {"success": True, "message": "Deleted review items."}
    assert items.store.get(items.front_car.id) is None and items.store.get(items.old.id) is None
    assert not picture.exists()
    assert client.get("/api/review/event/e2").status_code == 404
    assert items.store.reviewed_by(VIEWER, [items.front_car.id]) == set()
    assert client.get(f"/clips/review/{picture.name}").status_code == 404


@pytest.mark.parametrize(("query", "parameter"), [
    ("limit=0", "limit"), ("limit=abc", "limit"), ("limit=10001", "limit"), ("after=yesterday", "after"),
    ("before=nan", "before"), ("reviewed=2", "reviewed"), ("severity=significant_motion", "severity"),
    ("cameras=" + ",".join(["c"] * 101), "cameras"),
])
def test_bad_list_parameters_are_400_naming_them(client: FlaskClient, query: str, parameter: str) -> None:
    response = client.get(f"/api/review?{query}")
    assert response.status_code == 400 and response.json["success"] is False
    assert response.json["message"].startswith(f"{parameter}:")


@pytest.mark.parametrize(("method", "path", "body", "parameter"), [
    ("GET", "/api/review/summary?timezone=Mars/Olympus", None, "timezone"),
    ("GET", "/api/review_ids", None, "ids"),
    ("POST", "/api/reviews/viewed", {"ids": []}, "ids"),
    ("POST", "/api/reviews/viewed", {"ids": "abc"}, "ids"),
    ("POST", "/api/reviews/viewed", {"ids": [""]}, "ids"),
    ("POST", "/api/reviews/viewed", {"ids": ["a"], "reviewed": "yes"}, "reviewed"),
    ("POST", "/api/reviews/delete", {}, "ids"),
    ("POST", "/api/reviews/delete", {"ids": ["x" * 101]}, "ids"),
])
def test_bad_bodies_and_parameters_are_400_naming_them(client: FlaskClient, method: str, path: str,
                                                       body: dict | None, parameter: str) -> None:
    response = client.open(path, method=method, json=body)
    assert response.status_code == 400, response.json
    assert response.json["message"].startswith(parameter)


def test_a_review_thumbnail_is_only_a_file_of_its_folder(client: FlaskClient, appliance: Appliance) -> None:
    (appliance.paths.clips / "secret.webp").write_bytes(b"x")
    assert client.get("/clips/review/..%2Fsecret.webp").status_code == 404
    assert client.get("/clips/review/missing.webp").status_code == 404


def test_deleting_an_event_takes_it_out_of_its_review_items_and_an_item_left_empty_goes(
        client: FlaskClient, appliance: Appliance) -> None:
    store, now = appliance.detection.reviews, time.time()
    events = []
    for minutes in (30, 20):
        event = appliance.events.open("front", "sensor", "door", start_time=now - minutes * 60)
        appliance.events.end(event.id, event.start_time + 5)
        events.append(event.id)
    deleted, other = events
    shared = item(store, "front", now - 1800, now - 1195, "alert", objects=["door"], detections=[deleted, other])
    alone = item(store, "front", now - 1800, now - 1790, "detection", objects=["door"], detections=[deleted])
    still_open = item(store, "front", now - 1800, None, "detection", objects=["door"], detections=[deleted])
    thumbs = appliance.paths.clips / "review"
    thumbs.mkdir(parents=True, exist_ok=True)
    picture = thumbs / f"thumb-front-{alone.id}.webp"
    picture.write_bytes(b"RIFF....WEBP")
    store.update(alone.id, thumb_path=str(picture))

    assert client.delete(f"/api/events/{deleted}").json["success"] is True

    assert client.get(f"/api/review/{shared.id}").json["data"]["detections"] == [other]
    assert client.get(f"/api/review/{alone.id}").status_code == 404 and not picture.exists()
    # Detection is still adding to an open item: it stays, without the event.
    assert client.get(f"/api/review/{still_open.id}").json["data"]["detections"] == []
    assert client.get(f"/api/review/event/{deleted}").status_code == 404
    assert client.get(f"/api/review/event/{other}").json["id"] == shared.id


def _sensor_event(appliance: Appliance, name: str) -> str:
    """A sensor event in progress on ``cam``: detection's review keeper gathers it into the open item."""
    return appliance.events.open("cam", "sensor", "reed_switch", sub_label=name).id


def test_a_deleted_event_does_not_come_back_into_the_open_item_it_was_in(
        client: FlaskClient, appliance: Appliance) -> None:
    deleted, kept = _sensor_event(appliance, "front door"), _sensor_event(appliance, "back door")
    item_id = client.get(f"/api/review/event/{kept}").json["id"]

    assert client.delete(f"/api/events/{deleted}").json["success"] is True
    later = _sensor_event(appliance, "garage")  # the keeper saves the open item again

    item = client.get(f"/api/review/{item_id}").json
    assert item["end_time"] is None and item["data"]["detections"] == [kept, later]
    assert client.get(f"/api/review/event/{deleted}").status_code == 404
    # An object still tracked under the deleted event's id (entering a zone) does not bring it back either.
    appliance.detection.keepers["cam"].event_started(deleted, "person", time.time(), zones=["yard"])
    assert client.get(f"/api/review/{item_id}").json["data"]["detections"] == [kept, later]


def test_a_deleted_event_in_progress_does_not_keep_its_item_open(client: FlaskClient, appliance: Appliance) -> None:
    deleted = _sensor_event(appliance, "front door")
    item_id = client.get(f"/api/review/event/{deleted}").json["id"]

    assert client.delete(f"/api/events/{deleted}").json["success"] is True
    appliance.detection.keepers["cam"].tick(time.time() + HOUR)  # quiet long enough

    assert client.get(f"/api/review/{item_id}").json["end_time"] is not None


def test_deleting_the_open_item_lets_the_next_event_open_a_new_one(client: FlaskClient, appliance: Appliance) -> None:
    first = _sensor_event(appliance, "front door")
    deleted_item = client.get(f"/api/review/event/{first}").json["id"]

    assert client.post("/api/reviews/delete", json={"ids": [deleted_item]}).status_code == 200
    later = _sensor_event(appliance, "back door")

    found = client.get(f"/api/review/event/{later}")
    assert found.status_code == 200, found.json
    assert found.json["id"] != deleted_item and found.json["data"]["detections"] == [later]
    assert client.get(f"/api/review/{deleted_item}").status_code == 404
