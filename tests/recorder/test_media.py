"""Media and archive endpoints on real clips and snapshots: jailed paths, 404s, caching, Range."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from securitycam.bus import ARCHIVE_UPDATED
from tests.conftest import PASSWORD, LiveServer, started_with_cameras
from tests.recorder.conftest import CAMERA, Live, wait_for


@pytest.fixture(scope="module")
def clip(live: Live) -> Path:
    events = live.appliance.events
    event = events.open("cam", "api", "media-test")
    events.end(event.id)
    paths = wait_for(lambda: [e.data["path"] for e in live.appliance.bus.recent(ARCHIVE_UPDATED)
                              if e.data.get("event_id") == event.id], timeout=20)
    return Path(paths[0])


def test_snapshot_is_listed_served_and_deleted(live: Live):
    client = live.client
    taken = client.post("/snapshot")
    assert taken.status_code == 200, taken.json
    path = taken.json["path"]
    assert Path(path).name.startswith("snapshot_") and Path(path).read_bytes()[:2] == b"\xff\xd8"
    listed = client.get("/snapshots").json
    assert listed[0]["path"] == path and listed[0]["size"] == Path(path).stat().st_size
    image = client.get("/snapshot_image", query_string={"path": path})
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    assert "max-age=86400" in image.headers["Cache-Control"]
    assert client.post("/delete_snapshot", json={"snapshot_path": path}).status_code == 200
    assert not Path(path).exists()
    assert client.post("/delete_snapshot", json={"snapshot_path": path}).status_code == 404
    assert client.get("/snapshot_image", query_string={"path": path}).status_code == 404


def test_snapshots_in_the_same_second_do_not_overwrite_each_other(live: Live):
    first, second = (live.client.post("/snapshot").json["path"] for _ in range(2))
    assert first != second and Path(first).exists() and Path(second).exists()


@pytest.mark.parametrize("name", ["../settings/settings.json", "/etc/passwd", "../securitycam.db",
                                  "output_x.mp4", "snapshot_../../x.jpg", ""])
def test_snapshot_paths_outside_or_of_the_wrong_kind_are_refused(live: Live, name: str):
    client = live.client
    assert client.post("/delete_snapshot", json={"snapshot_path": name}).status_code == 400
    assert client.get("/snapshot_image", query_string={"path": name}).status_code == 400
    assert live.appliance.paths.database.exists()


def test_delete_snapshot_needs_its_field(live: Live):
    response = live.client.post("/delete_snapshot", json={"path": "snapshot_1.jpg"})
    assert response.status_code == 400 and response.json["success"] is False


def test_thumbnail_and_sprite_of_a_clip(live: Live, clip: Path):
    client = live.client
    for endpoint in ("/thumbnail", "/sprite"):
        response = client.get(endpoint, query_string={"video_path": str(clip)})
        assert response.status_code == 200 and response.mimetype == "image/jpeg"
        assert "max-age=86400" in response.headers["Cache-Control"]
        # Relative to recordings/ works as well as the absolute path.
        assert client.get(endpoint, query_string={"video_path": clip.name}).status_code == 200
        assert client.get(f"{endpoint}/{clip.name}").data == response.data
        assert client.get(f"{endpoint}/..%2Fsecuritycam.db").status_code in (400, 404)
        missing = client.get(endpoint, query_string={"video_path": "output_20000101_000000.mp4"})
        assert missing.status_code == 404
        assert client.get(endpoint, query_string={"video_path": "../../../etc/passwd"}).status_code == 400
        assert client.get(endpoint).status_code == 400


def test_video_streams_with_range(live: Live, clip: Path):
    client = live.client
    size = clip.stat().st_size
    whole = client.get("/video", query_string={"path": str(clip)})
    assert whole.status_code == 200 and whole.mimetype == "video/mp4" and len(whole.data) == size
    assert whole.headers["Accept-Ranges"] == "bytes"
    part = client.get("/video", query_string={"path": str(clip)}, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.data == clip.read_bytes()[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{size}"
    beyond = client.get("/video", query_string={"path": str(clip)}, headers={"Range": f"bytes={size + 10}-"})
    assert beyond.status_code == 416
    assert client.get("/video", query_string={"path": "../securitycam.db"}).status_code == 400
    assert client.get("/video", query_string={"path": "output_20000101_000000.mp4"}).status_code == 404


def test_archive_lists_newest_first_with_sidecars_and_pages(live: Live, clip: Path):
    client = live.client
    listing = client.get("/archive", query_string={"per_page": 200}).json
    names = [item["name"] for item in listing["items"]]
    assert clip.name in names and listing["total"] == len(names)
    item = next(item for item in listing["items"] if item["name"] == clip.name)
    assert item["meta"]["event_id"]
    assert item["thumbnail"].endswith(".thumb.jpg") and item["sprite"].endswith(".sprite.jpg")
    mtimes = [item["mtime"] for item in listing["items"]]
    assert mtimes == sorted(mtimes, reverse=True)
    first = client.get("/archive", query_string={"per_page": 1, "page": 1}).json
    assert len(first["items"]) == 1 and first["items"][0]["name"] == names[0]
    assert client.get("/archive", query_string={"page": 0}).status_code == 400
    bad = client.get("/archive", query_string={"per_page": "many"})
    assert bad.status_code == 400 and bad.json["field"] == "per_page"


def test_new_count(live: Live, clip: Path):
    client = live.client
    before = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()
    after = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()
    assert client.get("/archive/new_count", query_string={"since": before}).json["count"] >= 1
    assert client.get("/archive/new_count", query_string={"since": after}).json == {"count": 0}
    assert client.get("/archive/new_count", query_string={"since": "yesterday"}).json == {"count": 0}
    assert client.get("/archive/new_count").json == {"count": 0}
    client.post("/snapshot")
    assert client.get("/archive/new_count", query_string={"since": before}).json["count"] >= 2


def test_deleting_a_clip_removes_its_sidecars_and_updates_the_event(live: Live):
    events = live.appliance.events
    event = events.open("cam", "api", "to-delete")
    events.end(event.id)
    [path] = wait_for(lambda: [e.data["path"] for e in live.appliance.bus.recent(ARCHIVE_UPDATED)
                               if e.data.get("event_id") == event.id], timeout=20)
    video = Path(path)
    assert live.client.post("/archive/delete", json={"path": "../securitycam.db"}).status_code == 400
    assert live.client.post("/archive/delete", json={"path": str(video)}).status_code == 200
    assert not list(video.parent.glob(video.stem + ".*"))
    assert not events.get(event.id).has_clip
    assert live.client.post("/archive/delete", json={"path": str(video)}).status_code == 404


def test_cameras_and_latest_frame(live: Live):
    client = live.client
    listing = client.get("/cameras").json
    [camera] = listing["cameras"]
    assert camera["name"] == "cam" and camera["state"] == "running" and camera["source"] == "synthetic"
    assert listing["mediamtx"]["running"] is False and camera["live"] is None
    frame = client.get(camera["frame_url"])
    assert frame.status_code == 200 and frame.data[:2] == b"\xff\xd8"
    first = frame.data
    time.sleep(0.6)
    assert client.get(camera["frame_url"]).data != first  # the clock moves: a fresh frame
    assert client.get("/cameras/garage/frame.jpg").status_code == 404


def test_media_needs_a_token(anon):
    for path in ("/snapshots", "/archive", "/cameras", "/recording/status"):
        assert anon.get(path).status_code == 401
    assert anon.post("/snapshot").status_code == 401


def test_archive_updates_reach_an_sse_client(live: Live):
    server = LiveServer(live.app)
    try:
        token = live.client.environ_base["HTTP_AUTHORIZATION"].split()[1]
        with requests.get(f"{server.url}/events", params={"token": token}, stream=True, timeout=10) as stream:
            assert stream.status_code == 200
            path = live.client.post("/snapshot").json["path"]
            seen = ""
            for chunk in stream.iter_content(chunk_size=None, decode_unicode=True):
                seen += chunk
                if path in seen:
                    break
        assert "event: archive_updated" in seen
    finally:
        server.stop()


def test_a_snapshot_of_a_camera_with_no_picture_is_503_saying_why(tmp_path: Path):
    app = started_with_cameras(tmp_path, [{**CAMERA, "source": "file", "path": str(tmp_path / "gone.mp4")}])
    try:
        client = app.test_client()
        token = client.post("/auth/validate", json={"password": PASSWORD}).json["token"]
        for path in ("/snapshot", "/cameras/cam/snapshot"):
            refused = client.post(path, headers={"Authorization": f"Bearer {token}"})
            assert refused.status_code == 503, refused.json
            assert "no recent frame from camera 'cam'" in refused.json["message"]
    finally:
        app.extensions["securitycam"].stop()
