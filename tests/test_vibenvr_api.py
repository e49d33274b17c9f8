"""VibeNVR's routes through HTTP: ``/stats``, ``/stats/history``, the JSON ``/events`` list beside the
SSE stream on the same path, ``/events/<id>/download``, ``/cameras`` by role, ``/cameras/<id>/frame``
and ``/snapshot``, and ``/settings`` for admins only; bad input for each."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests

from securitycam.appliance import Appliance
from tests.conftest import PASSWORD
from tests.test_sse import read_sse, wait_for_subscribers

JSON = {"Accept": "application/json"}


def hour_ago(hours: float) -> float:
    return time.time() - hours * 3600


def clip_event(appliance: Appliance, camera: str = "cam", start: float | None = None) -> tuple[str, Path]:
    """An ended event with a clip file in recordings/, as the recorder leaves one."""
    event = appliance.events.open(camera, "sensor", "door", start_time=start)
    appliance.events.end(event.id)
    clip = appliance.paths.recordings / f"output_{event.id.replace('.', '_')}.mp4"
    clip.write_bytes(b"\0\0\0\x18ftypmp42" + b"v" * 1000)
    appliance.events.update(event.id, has_clip=True, has_snapshot=True, data={"clips": [str(clip)]})
    appliance.janitor.media.register(clip, event.id)
    return event.id, clip


# -- /stats --------------------------------------------------------------------------------------------


def test_stats_has_the_documents_shape(client, appliance: Appliance):
    body = client.get("/stats").json
    assert body["active_cameras"] == 1
    assert set(body["storage"]) >= {"used_gb", "total_gb", "percent"}
    storage = body["storage"]
    assert storage["total_gb"] == 32.0 and storage["used_gb"] == 6.4 and storage["percent"] == 20
    assert isinstance(body["resources"]["cpu_percent"], float) and body["resources"]["memory_mb"] > 0
    days, hours, minutes = body["uptime"].split()
    assert days.endswith("d") and hours.endswith("h") and minutes.endswith("m")
    appliance.settings.update({"Cameras": [{"name": "cam", "enabled": False}]})
    assert client.get("/stats").json["active_cameras"] == 0


def test_history_counts_events_per_hour_with_empty_hours(client, appliance: Appliance):
    for hours in (0, 0, 2.0, 2.0, 2.0, 23.0, 30.0):  # the last one is outside the 24 hours
        appliance.events.open("cam", "sensor", "door", start_time=hour_ago(hours))
    appliance.events.open("garden", "sensor", "door", start_time=hour_ago(0))
    buckets = client.get("/stats/history").json
    assert len(buckets) == 24 and all(set(b) == {"hour", "label", "count"} for b in buckets)
    counts = [b["count"] for b in buckets]
    assert counts[-1] == 3 and counts[-3] == 3 and sum(counts) == 7 and counts.count(0) >= 20
    assert client.get("/stats/history", query_string={"camera_id": "garden"}).json[-1]["count"] == 1
    assert client.get("/stats/history", query_string={"camera_id": "a b"}).status_code == 400


def test_history_is_one_indexed_query(appliance: Appliance):
    plan = " ".join(row[3] for row in appliance.db.query(
        "EXPLAIN QUERY PLAN SELECT CAST((start_time - ?) / 3600 AS INTEGER) AS slot, count(*) AS n FROM events "
        "WHERE start_time >= ? AND start_time < ? GROUP BY slot", (0, 0, 1)))
    assert "SEARCH events USING COVERING INDEX events_start (start_time>? AND start_time<?)" in plan


# -- /events: the list and the stream share the path ------------------------------------------------


def test_a_json_client_gets_the_event_list_with_filters(client, appliance: Appliance):
    video_id, clip = clip_event(appliance)
    snapshot = appliance.events.open("cam", "api", "person")
    appliance.events.update(snapshot.id, has_snapshot=True)
    (appliance.paths.clips / f"cam-{snapshot.id}.jpg").write_bytes(b"\xff\xd8snap")
    old = appliance.events.open("garden", "sensor", "door", start_time=hour_ago(24 * 40))

    listed = client.get("/events", headers=JSON)
    assert listed.status_code == 200 and listed.mimetype == "application/json"
    assert [item["id"] for item in listed.json] == [snapshot.id, video_id, old.id]
    video = listed.json[1]
    assert video["camera_id"] == "cam" and video["type"] == "video" and video["file_size"] == clip.stat().st_size
    assert (video["width"], video["height"]) == (640, 360) and video["timestamp_start"].startswith("20")
    assert listed.json[0]["type"] == "snapshot" and listed.json[0]["file_size"] == 6

    def ids(**query) -> list[str]:  # type: ignore[no-untyped-def]
        return [item["id"] for item in client.get("/events", headers=JSON, query_string=query).json]

    assert ids(type="video") == [video_id] and ids(type="snapshot") == [snapshot.id]
    assert ids(camera_id="garden") == [old.id] and ids(camera_id="nope") == []
    today = time.strftime("%Y-%m-%d", time.localtime(snapshot.start_time))  # its day, even if midnight has passed
    assert ids(date=today) == [snapshot.id, video_id]
    assert ids(date=time.strftime("%Y-%m-%d", time.localtime(hour_ago(24 * 40)))) == [old.id]
    assert ids(limit=1, offset=1) == [video_id]
    prefers_json = {"Accept": "application/json, text/event-stream;q=0.5"}
    assert client.get("/events", headers=prefers_json).mimetype == "application/json"


@pytest.mark.parametrize(("query", "field"), [
    ({"type": "clip"}, "type"), ({"date": "2026-13-01"}, "date"), ({"date": "yesterday"}, "date"),
    ({"date": "2026-1-1"}, "date"), ({"camera_id": "../x"}, "camera_id"), ({"limit": "0"}, "limit"),
    ({"limit": "x"}, "limit"), ({"offset": "-1"}, "offset"),
])
def test_bad_list_filters_are_refused(client, query, field):
    response = client.get("/events", headers=JSON, query_string=query)
    assert response.status_code == 400 and response.json["field"] == field


@pytest.mark.parametrize("accept", [None, "*/*", "text/event-stream", "text/event-stream, application/json",
                                    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"])
def test_the_stream_stays_the_default(live_server, token, appliance: Appliance, accept):
    headers = {"Accept": accept} if accept else {}
    with requests.get(f"{live_server.url}/events?token={token}", stream=True, timeout=30, headers=headers) as response:
        assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/event-stream")
        wait_for_subscribers(appliance.bus, 1)
        appliance.bus.publish("archive_updated", {"type": "test"})
        events, _comments = read_sse(response, count=1)
    assert events and events[-1]["event"] == "archive_updated"


def test_the_list_over_a_real_socket_does_not_hold_the_connection(live_server, token):
    response = requests.get(f"{live_server.url}/events", headers={"Authorization": f"Bearer {token}", **JSON},
                            timeout=5)
    assert response.status_code == 200 and response.json() == []


# -- downloads -----------------------------------------------------------------------------------------


def test_download_sends_the_clip_with_the_media_cookie(app, client, appliance: Appliance):
    event_id, clip = clip_event(appliance)
    response = client.get(f"/events/{event_id}/download")
    assert response.status_code == 200 and response.data == clip.read_bytes()
    assert response.headers["Content-Disposition"] == f"attachment; filename={clip.name}"
    browser = app.test_client()
    assert browser.get(f"/events/{event_id}/download").status_code == 401
    login = browser.post("/auth/login", data={"username": "admin", "password": PASSWORD})
    media_only = app.test_client()
    media_only.set_cookie("media_token", login.json["access_token"])
    assert media_only.get(f"/events/{event_id}/download").data == clip.read_bytes()


def test_download_of_a_snapshot_and_the_refusals(client, appliance: Appliance, tmp_path: Path):
    snapshot = appliance.events.open("cam", "api", "person")
    (appliance.paths.clips / f"cam-{snapshot.id}.jpg").write_bytes(b"\xff\xd8snap")
    got = client.get(f"/events/{snapshot.id}/download")
    assert got.status_code == 200 and got.mimetype == "image/jpeg" and got.data == b"\xff\xd8snap"
    assert client.get("/events/nope/download").status_code == 404
    bare = appliance.events.open("cam", "sensor", "door")
    assert "in progress" in client.get(f"/events/{bare.id}/download").json["message"]
    outside = tmp_path / "output_20231101_120000.mp4"
    outside.write_bytes(b"secret")
    sneaky = appliance.events.open("cam", "sensor", "door")
    appliance.events.update(sneaky.id, has_clip=True, data={"clips": [str(outside), "../../etc/passwd"]})
    assert client.get(f"/events/{sneaky.id}/download").status_code == 404


# -- cameras -------------------------------------------------------------------------------------------


def test_cameras_in_full_for_a_session_and_a_summary_for_an_api_key(app, client, appliance: Appliance):
    appliance.settings.update({"Cameras": [{"name": "cam", "source": "rtsp", "url": "rtsp://bob:pw@10.0.0.9/s1"}]})
    session = app.test_client()
    token = session.post("/auth/login", data={"username": "admin", "password": PASSWORD}).json["access_token"]
    full = session.get("/cameras", headers={"Authorization": f"Bearer {token}"}).json["cameras"][0]
    assert full["source"] == "rtsp" and full["url"] == "rtsp://***@10.0.0.9/s1" and "live" in full
    assert full["id"] == "cam" and full["is_active"] is True and full["resolution_width"] == 640
    assert client.get("/cameras").json["cameras"][0]["url"] == "rtsp://***@10.0.0.9/s1"  # the appliance token

    key = session.post("/auth/api-keys", json={"name": "ha"}, headers={"Authorization": f"Bearer {token}"}).json
    summary = app.test_client().get("/cameras", headers={"X-API-Key": key["key"]}).json
    assert summary == {"cameras": [{
        "id": "cam", "name": "cam", "is_active": True, "enabled": True, "resolution_width": 640,
        "resolution_height": 360, "recording_mode": "Event Triggered", "state": "disabled", "recording": False,
    }]}
    assert "10.0.0.9" not in str(summary) and "rtsp" not in str(summary)


def test_frame_and_snapshot_answer_beside_frame_jpg(client):
    # No camera runs in these tests: the frame is missing, the snapshot refused, each saying why.
    assert client.get("/cameras/cam/frame").status_code == 404
    assert client.get("/cameras/cam/frame.jpg").status_code == 404
    assert client.get("/cameras/garage/frame").status_code == 404
    assert "garage" in client.post("/cameras/garage/snapshot").json["message"]
    assert client.post("/cameras/garage/snapshot").status_code == 404
    assert client.post("/cameras/cam/snapshot").status_code == 409


# -- settings for admins -------------------------------------------------------------------------------


def test_settings_reads_are_for_admins(app, client):
    assert client.get("/settings").status_code == 200  # the appliance token acts as admin
    admin = app.test_client()
    token = admin.post("/auth/login", data={"username": "admin", "password": PASSWORD}).json["access_token"]
    key = admin.post("/auth/api-keys", json={"name": "ha"}, headers={"Authorization": f"Bearer {token}"}).json
    assert app.test_client().get("/settings", headers={"X-API-Key": key["key"]}).status_code == 200
    created = admin.post("/api/users", json={"username": "eve", "password": "eve's long password"},
                         headers={"Authorization": f"Bearer {token}"})
    assert created.status_code == 201
    viewer = app.test_client()
    viewer_token = viewer.post("/auth/login", data={"username": "eve", "password": "eve's long password"})
    refused = viewer.get("/settings", headers={"Authorization": f"Bearer {viewer_token.json['access_token']}"})
    assert refused.status_code == 403 and "admin role" in refused.json["message"]


def test_the_list_refuses_days_and_offsets_past_what_it_can_count(client):
    for query, field in (({"date": "9999-12-31"}, "date"), ({"offset": "9" * 24}, "offset"),
                         ({"date": "2026-02-30"}, "date"), ({"type": "audio"}, "type")):
        answer = client.get("/events", query_string=query, headers=JSON)
        assert answer.status_code == 400 and answer.json["field"] == field, (query, answer.json)
    assert client.get("/events", query_string={"date": "9999-12-30"}, headers=JSON).json == []
