"""An event's media through HTTP, from real clips made with ffmpeg: clip (one, and several joined),
thumbnail, snapshot, clean snapshot, preview GIF, the per-camera clip listing, the per-label
latest media, and deleting an event with everything it has on disk."""

from __future__ import annotations

import io
import json
import subprocess

import pytest
from PIL import Image

from securitycam.recorder import clips
from tests.frigate.conftest import make_clip


@pytest.fixture
def event_with_clip(appliance):
    event = appliance.events.open("cam", "sensor", "reed_switch", start_time=appliance.clock.time() - 60)
    appliance.events.end(event.id, event.start_time + 3)
    path = make_clip(appliance, event)
    return appliance.events.get(event.id), path


def duration_of(data: bytes, tmp_path) -> float:
    video = tmp_path / "got.mp4"
    video.write_bytes(data)
    done = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json", str(video)],
                          capture_output=True, text=True, check=True)
    return float(json.loads(done.stdout)["format"]["duration"])


def picture(response) -> Image.Image:
    assert response.status_code == 200, response.get_data()[:200]
    return Image.open(io.BytesIO(response.data))


def test_clip_is_served_with_range(client, event_with_clip):
    event, path = event_with_clip
    whole = client.get(f"/api/events/{event.id}/clip.mp4")
    assert whole.status_code == 200 and whole.mimetype == "video/mp4" and whole.data == path.read_bytes()
    part = client.get(f"/api/events/{event.id}/clip.mp4", headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and len(part.data) == 100
    assert client.get(f"/api/clips/cam/{event.id}.mp4").data == whole.data
    assert client.get(f"/api/clips/back/{event.id}.mp4").status_code == 404


def test_several_clips_are_joined_without_reencoding(client, appliance, event_with_clip, tmp_path):
    event, _first = event_with_clip
    make_clip(appliance, appliance.events.get(event.id), seconds=2.0)
    joined = client.get(f"/api/events/{event.id}/clip.mp4", buffered=False)
    assert joined.status_code == 200
    # Made in the data directory's scratch folder (emptied at start, for what a crash leaves), and
    # unlinked there once open for sending: nothing is left behind by a download, finished or not.
    assert list(appliance.paths.scratch.iterdir()) == []
    assert duration_of(joined.get_data(), tmp_path) == pytest.approx(5.0, abs=0.5)
    joined.close()


def test_pictures_of_an_event(client, event_with_clip):
    event, path = event_with_clip
    thumb = picture(client.get(f"/api/events/{event.id}/thumbnail.jpg"))
    assert thumb.height == 175
    android = picture(client.get(f"/api/events/{event.id}/thumbnail.jpg?format=android"))
    assert android.width == 2 * android.height
    assert client.get(f"/api/events/{event.id}/thumbnail.jpg?format=tv").json["field"] == "format"
    snapshot = client.get(f"/api/events/{event.id}/snapshot.jpg")
    assert snapshot.data == clips.sidecar(path, ".thumb.jpg").read_bytes()
    download = client.get(f"/api/events/{event.id}/snapshot.jpg?download=1")
    assert download.headers["Content-Disposition"] == f'attachment; filename="cam-{event.id}.jpg"'
    clean = client.get(f"/api/events/{event.id}/snapshot-clean.png")
    assert clean.mimetype == "image/png" and picture(clean).format == "PNG"
    assert client.get(f"/clips/cam-{event.id}.jpg").data == snapshot.data
    assert client.get(f"/clips/back-{event.id}.jpg").status_code == 404
    assert client.get("/clips/nothing.jpg").status_code == 404


def test_preview_gif_loops_the_start_of_the_clip(client, appliance, event_with_clip):
    event, _path = event_with_clip
    gif = picture(client.get(f"/api/events/{event.id}/preview.gif"))
    assert gif.format == "GIF" and gif.n_frames >= 10 and gif.width == 320
    assert list(appliance.paths.scratch.iterdir()) == []


def test_events_without_media_answer_404(client, appliance):
    event = appliance.events.open("cam", "sensor", "pir", start_time=appliance.clock.time() - 30)
    appliance.events.end(event.id)
    for media in ("clip.mp4", "thumbnail.jpg", "snapshot.jpg", "snapshot-clean.png", "preview.gif"):
        response = client.get(f"/api/events/{event.id}/{media}")
        assert response.status_code == 404 and response.json["success"] is False, media


def test_clips_of_a_camera(client, appliance, event_with_clip):
    event, _path = event_with_clip
    appliance.events.open("cam", "sensor", "pir")  # no clip: not listed
    listed = client.get("/api/clips/cam").json
    assert [item["id"] for item in listed] == [event.id]
    assert listed[0]["clip"] == f"/api/clips/cam/{event.id}.mp4"
    assert client.get("/api/clips/nocam").status_code == 404
    assert client.get("/api/clips/cam?limit=zero").json["field"] == "limit"


def test_latest_event_media_per_camera_and_label(client, appliance, event_with_clip):
    _event, path = event_with_clip
    assert client.get("/api/cam/reed_switch/clip.mp4").data == path.read_bytes()
    assert client.get("/api/cam/any/clip.mp4").data == path.read_bytes()
    assert picture(client.get("/api/cam/any/thumbnail.jpg")).height == 175
    thumb = clips.sidecar(path, ".thumb.jpg").read_bytes()
    assert client.get("/api/cam/reed_switch/snapshot.jpg").data == thumb
    assert client.get("/api/cam/reed_switch/best.jpg").data == thumb
    assert client.get("/api/camera/cam/best.jpg").data == thumb
    assert client.get("/api/cam/person/snapshot.jpg").status_code == 404
    assert client.get("/api/nocam/any/clip.mp4").status_code == 404


def test_delete_removes_footage_sidecars_snapshots_and_the_row(client, appliance, event_with_clip):
    event, path = event_with_clip
    # The API's snapshot and clean copy, and detection's clean copy and thumbnail.
    saved = [appliance.paths.clips / f"cam-{event.id}{suffix}" for suffix in (".jpg", "-clean.png", "-clean.jpg",
                                                                              "-thumb.jpg")]
    for picture in saved:
        picture.write_bytes(b"\xff\xd8 not really")
    deleted = client.delete(f"/api/events/{event.id}")
    assert deleted.json == {"success": True, "message": f"Event {event.id} deleted"}
    assert not path.exists() and not any(picture.exists() for picture in saved)
    assert not any(clips.sidecar(path, suffix).exists() for suffix in clips.SIDECARS)
    assert appliance.events.get(event.id) is None
    assert appliance.janitor.media.get(path) is None
    assert client.delete(f"/api/events/{event.id}").status_code == 404
