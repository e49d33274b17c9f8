"""Frigate's previews through real HTTP over real footage: the hourly preview list and its file (made
on demand, whose timeline is the hour's, gaps included), preview frames and their pictures, GIFs and
MP4s of a range and of a review item, the janitor's share, one ffmpeg at a time, and bad input."""

from __future__ import annotations

import io
import math
import shutil
import threading
from datetime import UTC, datetime

import pytest
from PIL import Image

from securitycam.recorder import previews as previews_module
from tests.frigate.footage import Footage, ffprobe, footage_fixture  # noqa: F401

GAP = 30.0
COPIES = 8


@pytest.fixture(scope="module")
def past_hour(footage: Footage) -> tuple[float, list[tuple[float, float]]]:
    """An hour three hours ago holding copies of real segments, with a 30 s gap after the fourth:
    the hour's start and the copies' (start, end)."""
    store = footage.appliance.recorder.recordings
    rows = footage.at_least(COPIES)[:COPIES]
    hour = math.floor(footage.appliance.clock.time() / 3600) * 3600 - 3 * 3600
    moment, placed = hour + 100.0, []
    for index, row in enumerate(rows):
        if index == COPIES // 2:
            moment += GAP
        length = row["end_time"] - row["start_time"]
        target = store.path_for("cam", moment)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(row["path"], target)
        store.add("cam", target, moment, moment + length, row["size"])
        placed.append((moment, moment + length))
        moment += length
    return hour, placed


def test_the_list_of_an_ended_hour_and_its_file(footage: Footage, past_hour):
    hour, placed = past_hour
    listed = footage.client.get(f"/api/preview/cam/start/{hour}/end/{hour + 3600}", json={})
    assert listed.status_code == 200, listed.json
    (entry,) = listed.json
    assert entry["camera"] == "cam" and entry["type"] == "video/mp4"
    assert entry["start"] == placed[0][0] and entry["end"] == placed[-1][1]
    assert entry["src"] == f"/clips/previews/cam/{placed[0][0]}-{placed[-1][1]}.mp4"
    assert footage.client.get(f"/api/preview/all/start/{hour + 105}/end/{hour + 106}").json == [entry]
    assert footage.client.get(f"/api/preview/ts/cam/start/{hour}/end/{hour + 3600}").json == [entry]
    # The same hour asked for by its date in a time zone (Frigate's Area,City).
    moment = datetime.fromtimestamp(hour, tz=UTC)
    by_hour = footage.client.get(f"/api/preview/{moment:%Y-%m}/{moment:%d}/{moment:%H}/cam/Etc,UTC")
    assert by_hour.json == [entry]

    video = footage.client.get(entry["src"])
    assert video.status_code == 200 and video.mimetype == "video/mp4"
    path = footage.appliance.paths.clips / "previews" / "cam" / entry["src"].rsplit("/", 1)[1]
    made = path.stat().st_mtime_ns
    probe = ffprobe(path, "format=duration:stream=height,nb_frames")
    # Keyframes only (one a segment), and the preview's timeline is the hour's: the gap is in it.
    assert int(probe["streams"][0]["nb_frames"]) == COPIES and probe["streams"][0]["height"] == 180
    assert float(probe["format"]["duration"]) == pytest.approx(entry["end"] - entry["start"], abs=1.5)
    assert footage.client.get(entry["src"]).data == video.data
    assert path.stat().st_mtime_ns == made  # served from the cache, not made again


def test_no_previews_and_bad_input(footage: Footage, past_hour):
    hour, _placed = past_hour
    client = footage.client
    nothing = client.get("/api/preview/cam/start/1000/end/2000")
    assert nothing.status_code == 404 and nothing.json == {"success": False, "message": "No previews found."}
    # The hour in progress has footage but no preview yet (Frigate makes it when the hour ends).
    # Asked from the hour's start on: "the last minute" reaches into the hour before (which has a
    # preview) when the test runs in an hour's first minute.
    now = footage.appliance.clock.time()
    this_hour = now - now % 3600
    assert client.get(f"/api/preview/cam/start/{this_hour}/end/{this_hour + 3599}").status_code == 404
    for url, status, field in [
        (f"/api/preview/cam/start/x/end/{hour}", 400, "start"),
        (f"/api/preview/cam/start/{hour}/end/{hour - 1}", 400, "end"),
        (f"/api/preview/cam/start/0/end/{hour}", 400, "end"),  # more than a month
        ("/api/preview/nocam/start/1/end/2", 404, None),
        ("/api/preview/2024-13/01/00/cam/UTC", 400, "year_month"),
        ("/api/preview/2024-01/01/25/cam/UTC", 400, "hour"),
        ("/api/preview/2024-01/01/00/cam/Mars,Base", 400, "tz_name"),
        ("/api/preview/cam/start/1/end/2/frames?", 200, None),
        ("/api/preview/nocam/start/1/end/2/frames", 404, None),
        ("/api/preview/nothing.webp/thumbnail.webp", 400, "file_name"),
        ("/api/preview/preview_nocam-1.0.webp/thumbnail.jpg", 404, None),
        ("/api/preview/preview_cam-1000.0.webp/thumbnail.jpg", 404, None),
        (f"/api/cam/start/{hour}/end/{hour + 60}/preview?format=avi", 400, "format"),
        ("/api/cam/start/1000/end/1010/preview.gif", 404, None),
        ("/api/review/nothing/preview", 404, None),
        ("/clips/previews/cam/1.0-2.0.mp4", 404, None),
        ("/clips/previews/cam/..%2F..%2Fsecuritycam.db", 404, None),
        ("/clips/previews/nocam/1.0-2.0.mp4", 404, None),
    ]:
        response = client.get(url, json={})
        assert response.status_code == status, (url, response.status_code, response.data[:200])
        if status != 200:
            assert response.json["success"] is False, url
        if field:
            assert response.json["field"] == field, url
    # A name that is not what the hour's footage is now is refused, not made.
    hour_name = f"{hour + 100.0}-{hour + 101.0}.mp4"
    assert client.get(f"/clips/previews/cam/{hour_name}").status_code == 404
    assert not (footage.appliance.paths.clips / "previews" / "cam" / hour_name).exists()


def test_frames_and_their_pictures(footage: Footage, past_hour):
    hour, placed = past_hour
    names = footage.client.get(f"/api/preview/cam/start/{hour}/end/{hour + 3600}/frames").json
    assert names == [f"preview_cam-{start}.webp" for start, _end in placed]
    webp = footage.client.get(f"/api/preview/{names[2]}/thumbnail.webp")
    assert webp.status_code == 200 and webp.mimetype == "image/webp"
    assert Image.open(io.BytesIO(webp.data)).size == (320, 180)
    jpeg = footage.client.get(f"/api/preview/{names[2]}/thumbnail.jpg")
    assert jpeg.mimetype == "image/jpeg" and Image.open(io.BytesIO(jpeg.data)).format == "JPEG"


def test_gif_and_mp4_of_a_range(footage: Footage, past_hour):
    _hour, placed = past_hour
    start, end = placed[0][0], placed[-1][1]
    gif = footage.client.get(f"/api/cam/start/{start}/end/{end}/preview.gif")
    assert gif.status_code == 200 and gif.mimetype == "image/gif"
    image = Image.open(io.BytesIO(gif.data))
    # Longer than 30 s: keyframes only, one a segment.
    assert image.format == "GIF" and image.n_frames == COPIES and image.height == 180
    for ending in ("preview.mp4", "preview?format=mp4"):
        url = f"/api/cam/start/{start}/end/{end}/{ending}"
        mp4 = footage.client.get(url)
        assert mp4.status_code == 200 and mp4.mimetype == "video/mp4", url
    # A short range is decoded whole, five frames a second.
    short = Image.open(io.BytesIO(footage.client.get(f"/api/cam/start/{start}/end/{start + 3}/preview.gif").data))
    assert short.n_frames >= 10


def test_a_review_items_preview(footage: Footage):
    rows = footage.at_least(6)
    reviews = footage.appliance.detection.reviews
    item = reviews.open("cam", rows[-1]["start_time"] - 2, "alert")
    reviews.update(item.id, end_time=rows[-1]["start_time"] - 1)
    gif = footage.client.get(f"/api/review/{item.id}/preview", json={})
    assert gif.status_code == 200 and gif.mimetype == "image/gif", gif.data[:200]
    mp4 = footage.client.get(f"/api/review/{item.id}/preview?format=mp4")
    assert mp4.status_code == 200 and mp4.mimetype == "video/mp4"
    assert footage.client.get(f"/api/review/{item.id}/preview?format=webm").json["field"] == "format"


def test_one_preview_is_made_at_a_time(footage: Footage, past_hour, monkeypatch):
    _hour, placed = past_hour
    monkeypatch.setattr(previews_module, "SLOT_WAIT_SECONDS", 0.2)
    previews = footage.appliance.previews
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with previews._turn():
            holding.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        holding.wait(5)
        busy = footage.client.get(f"/api/cam/start/{placed[0][0]}/end/{placed[0][0] + 2}/preview.mp4?n=1")
        assert busy.status_code == 503 and busy.headers["Retry-After"] == "5"
    finally:
        release.set()
        thread.join()


def test_the_janitor_counts_previews_and_deletes_stale_ones(footage: Footage, past_hour):
    hour, placed = past_hour
    appliance = footage.appliance
    (entry,) = footage.client.get(f"/api/preview/cam/start/{hour}/end/{hour + 3600}").json
    assert footage.client.get(entry["src"]).status_code == 200
    status = footage.client.get("/storage/status").json["by_kind"]["previews"]
    assert status["files"] >= 1 and status["bytes"] > 0
    path = appliance.paths.clips / "previews" / "cam" / entry["src"].rsplit("/", 1)[1]
    assert appliance.previews.expire(appliance.clock.time()) == 0 and path.exists()
    # Retention deleted the hour's last segment: the preview no longer matches its footage.
    last = appliance.recorder.recordings.at("cam", placed[-1][0])
    assert last is not None
    appliance.recorder.recordings.delete([last])
    assert appliance.previews.expire(appliance.clock.time()) > 0 and not path.exists()
    (again,) = footage.client.get(f"/api/preview/cam/start/{hour}/end/{hour + 3600}").json
    assert again["end"] == placed[-2][1]
    assert footage.client.get(again["src"]).status_code == 200


def test_animations_kept_are_bounded(footage: Footage, past_hour, monkeypatch):
    """A client asking for ever new ranges cannot fill the disk: the oldest animations go."""
    _hour, placed = past_hour
    monkeypatch.setattr(previews_module, "MAX_ANIMATIONS", 2)
    start = placed[0][0]
    for seconds in (1, 2, 3):
        assert footage.client.get(f"/api/cam/start/{start}/end/{start + seconds}/preview.gif").status_code == 200
    kept = sorted(path.name for path in (footage.appliance.previews.root / "cam" / "range").iterdir())
    assert kept == [f"{start}-{start + 2}.gif", f"{start}-{start + 3}.gif"]
