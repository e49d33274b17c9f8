"""What real Frigate clients send, as they send it (found by an acceptance run against a live
``securitycam serve``): Home Assistant's integration plays an hour of recordings through
``/vod/<YYYY-MM>/<DD>/<HH>/<camera>/utc/master.m3u8`` behind its own proxy, which forwards a segment
only from the playlist's directory and only with the ``authSig`` query the playlist was asked with;
Frigate's web UI asks for the last lines of a log with ``start=-100``, for one event with
``event_id`` (sorted by ``relevance``), for ``.webp`` thumbnails, and reads ``/api/faces`` as an
object."""

from __future__ import annotations

from datetime import UTC, datetime

import requests
from flask.testing import FlaskClient

from securitycam.appliance import Appliance
from tests.frigate.conftest import make_clip
from tests.frigate.footage import Footage, footage_fixture  # noqa: F401

SIGNATURE = "eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmVk"


def media_lines(playlist: str) -> list[str]:
    return [line for line in playlist.splitlines() if line and not line.startswith("#")]


def test_home_assistants_hour_path_with_utc_plays(footage: Footage):
    rows = footage.at_least(3)
    hour = datetime.fromtimestamp(rows[0]["start_time"], UTC)
    for path in (f"/vod/{hour:%Y-%m}/{hour:%d}/{hour:%H}/cam/utc/master.m3u8",
                 f"/api/preview/{hour:%Y-%m}/{hour:%d}/{hour:%H}/cam/utc"):
        response = footage.client.get(path, json={})
        assert response.status_code in (200, 404), response.json  # a preview may not be made yet
        assert response.status_code == 200 or response.json["message"] != "tz_name: unknown time zone 'utc'"
    assert footage.client.get(f"/vod/{hour:%Y-%m}/{hour:%d}/{hour:%H}/cam/utc/master.m3u8").status_code == 200


def test_segments_are_in_the_playlists_directory_and_carry_its_query(footage: Footage):
    """What HA's VodSegmentProxyView forwards: ``<playlist dir>/<name>.ts`` with the playlist's query."""
    rows = footage.at_least(3)
    event = footage.appliance.events.open("cam", "api", "doorbell", start_time=rows[1]["start_time"])
    footage.appliance.events.end(event.id, rows[2]["end_time"])
    hour = datetime.fromtimestamp(rows[0]["start_time"], UTC)
    for directory in (f"/vod/cam/start/{rows[0]['start_time']}/end/{rows[2]['end_time']}",
                      f"/vod/event/{event.id}",
                      f"/vod/{hour:%Y-%m}/{hour:%d}/{hour:%H}/cam/utc"):
        query = f"?authSig={SIGNATURE}&token={footage.token}"
        master = requests.get(f"{footage.server.url}{directory}/master.m3u8{query}", timeout=10)
        assert master.status_code == 200, (directory, master.text)
        assert media_lines(master.text) == [f"index.m3u8{query}"]
        index = requests.get(f"{footage.server.url}{directory}/index.m3u8{query}", timeout=10)
        assert index.status_code == 200
        segments = media_lines(index.text)
        assert segments
        for segment in segments:
            name, _, carried = segment.partition("?")
            assert "/" not in name and name.endswith(".ts"), segment
            assert f"?{carried}" == query
        got = requests.get(f"{footage.server.url}{directory}/{segments[0]}", timeout=10)
        assert got.status_code == 200 and got.headers["Content-Type"] == "video/mp2t" and got.content[:1] == b"G"


def test_a_segment_is_served_only_under_its_own_cameras_playlists(footage: Footage):
    rows = footage.at_least(3)
    index = footage.client.get(f"/vod/cam/start/{rows[0]['start_time']}/end/{rows[2]['end_time']}/index.m3u8")
    name = media_lines(index.get_data(as_text=True))[0]
    other = footage.client.get(f"/vod/nocam/start/{rows[0]['start_time']}/end/{rows[2]['end_time']}/{name}")
    assert other.status_code == 404
    missing = footage.client.get(f"/vod/cam/start/{rows[0]['start_time']}/end/{rows[2]['end_time']}/seg-999999999.ts")
    assert missing.status_code == 404 and missing.json["success"] is False


def test_the_last_lines_of_a_log(client: FlaskClient):
    whole = client.get("/api/logs/frigate", json={})
    assert whole.status_code == 200
    lines = whole.json["lines"]
    assert len(lines) >= 2
    tail = client.get("/api/logs/frigate?start=-2", json={})
    assert tail.status_code == 200, tail.json
    assert tail.json == {"totalLines": whole.json["totalLines"], "lines": lines[-2:]}
    assert client.get("/api/logs/frigate?start=-1&end=-1").json["lines"] == []


def test_events_filtered_by_event_id_and_sorted_by_relevance(client: FlaskClient, appliance: Appliance):
    first = appliance.events.open("cam", "api", "person", start_time=1_000.0)
    second = appliance.events.open("cam", "api", "car", start_time=2_000.0)
    found = client.get(f"/api/events?event_id={first.id}&sort=relevance", json={})
    assert found.status_code == 200, found.json
    assert [event["id"] for event in found.json] == [first.id]
    for sort in ("speed_desc", "speed_asc"):
        listed = client.get(f"/api/events?sort={sort}")
        assert listed.status_code == 200, listed.json
        assert {event["id"] for event in listed.json} == {first.id, second.id}


def test_faces_is_an_object(client: FlaskClient):
    response = client.get("/api/faces", json={})
    assert response.status_code == 200 and response.json == {}


def test_stills_in_the_picture_type_the_extension_names(client: FlaskClient, appliance: Appliance):
    """Frigate's web UI shows ``thumbnail.webp``, ``latest.webp`` and ``snapshot-clean.webp``."""
    event = appliance.events.open("cam", "sensor", "reed_switch", start_time=appliance.clock.time() - 30)
    appliance.events.end(event.id)
    make_clip(appliance, event)
    signatures = {"jpg": b"\xff\xd8", "jpeg": b"\xff\xd8", "png": b"\x89PNG", "webp": b"RIFF"}
    mimetypes = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
    for path, extensions in ((f"/api/events/{event.id}/thumbnail", ("jpg", "png", "webp")),
                             (f"/api/events/{event.id}/snapshot-clean", ("png", "webp")),
                             ("/api/cam/latest", ("jpg", "jpeg", "png", "webp"))):
        for extension in extensions:
            response = client.get(f"{path}.{extension}", json={})
            assert response.status_code == 200, (path, extension, response.data[:200])
            assert response.mimetype == mimetypes[extension]
            assert response.data.startswith(signatures[extension]), (path, extension)
    assert client.get("/api/cam/latest.gif").status_code == 404


def test_labels_and_sub_labels_for_the_filters(client: FlaskClient, appliance: Appliance):
    """Frigate's web UI fills its sub label filter from ``/api/sub_labels?split_joined=1``."""
    for camera, label, sub_label in (("cam", "person", "Bob"), ("cam", "person", "alice, Bob"), ("yard", "car", None),
                                     ("yard", "person", "Carol"), ("cam", "reed_switch", None)):
        appliance.events.open(camera, "api", label, sub_label=sub_label, start_time=1_000.0)
    assert client.get("/api/labels", json={}).json == ["car", "person", "reed_switch"]
    assert client.get("/api/labels?camera=yard").json == ["car", "person"]
    assert client.get("/api/labels?camera=nocam").json == []
    assert client.get("/api/sub_labels", json={}).json == ["Bob", "Carol", "alice, Bob"]
    assert client.get("/api/sub_labels?split_joined=1").json == ["Bob", "Carol", "alice"]
    assert client.get("/api/sub_labels?split_joined=x").json["field"] == "split_joined"
