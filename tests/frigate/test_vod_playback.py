"""HLS playback of kept segments through real HTTP: ffmpeg plays a range, an event and an hour from the
first frame to the last, gaps are marked as discontinuities, and segments are served with Range."""

from __future__ import annotations

import itertools
import re
import time
from datetime import UTC, datetime

import pytest
import requests

from tests.frigate.footage import Footage, ffprobe, footage_fixture, play_frames  # noqa: F401
from tests.recorder.conftest import wait_for

FPS = 10


def fetch(footage: Footage, path: str) -> requests.Response:
    response = requests.get(footage.url(path), timeout=30)
    assert response.status_code == 200, (path, response.status_code, response.text[:300])
    return response


def overlapping(footage: Footage, start: float, end: float) -> list:
    return [row for row in footage.rows() if row["start_time"] < end and row["end_time"] > start]


def segment_urls(playlist: str) -> list[str]:
    return [line for line in playlist.splitlines() if line and not line.startswith("#")]


def gaps(rows: list) -> int:
    return sum(1 for before, after in itertools.pairwise(rows) if after["start_time"] - before["end_time"] > 0.1)


def check_plays_whole(footage: Footage, master_path: str, rows: list) -> str:
    """The master playlist leads to an index listing exactly ``rows``; ffprobe reads their total duration and
    ffmpeg decodes every frame of it. Returns the index playlist."""
    master = fetch(footage, master_path)
    assert master.headers["Content-Type"] == "application/vnd.apple.mpegurl"
    assert re.search(r"#EXT-X-STREAM-INF:BANDWIDTH=\d+", master.text)
    variant = segment_urls(master.text)
    assert variant == [f"index.m3u8?token={footage.token}"]
    index_path = master_path.rsplit("/", 1)[0] + "/index.m3u8"
    index = fetch(footage, index_path).text
    assert index.startswith("#EXTM3U") and index.rstrip().endswith("#EXT-X-ENDLIST")
    assert len(segment_urls(index)) == len(rows)
    assert index.count("#EXT-X-DISCONTINUITY") == gaps(rows)
    expected = sum(row["end_time"] - row["start_time"] for row in rows)
    probed = float(ffprobe(footage.url(master_path))["format"]["duration"])
    assert probed == pytest.approx(expected, abs=0.05)
    frames = play_frames(footage.url(master_path))
    assert frames == pytest.approx(expected * FPS, abs=2), (frames, expected)
    return index


def test_a_range_plays_whole_from_the_first_segment_to_the_last(footage: Footage):
    rows = footage.rows()
    start, end = rows[1]["start_time"] + 0.3, rows[-2]["end_time"] - 0.3
    check_plays_whole(footage, f"/vod/cam/start/{start}/end/{end}/master.m3u8", overlapping(footage, start, end))


def test_an_event_plays_whole_with_its_pre_and_post_capture(footage: Footage):
    appliance = footage.appliance
    event = appliance.events.open("cam", "api", "doorbell")
    time.sleep(1.5)
    appliance.events.end(event.id)
    event = appliance.events.get(event.id)
    until = event.end_time + 1  # post_capture
    wait_for(lambda: footage.rows()[-1]["end_time"] >= until + 1, timeout=20)
    rows = overlapping(footage, event.start_time - 1, until)
    assert rows[0]["start_time"] <= event.start_time - 1 + 1 and rows[-1]["end_time"] >= until
    check_plays_whole(footage, f"/vod/event/{event.id}/master.m3u8", rows)
    # ``padding`` widens it by whole segments on each side.
    padded = fetch(footage, f"/vod/event/{event.id}/index.m3u8?padding=2").text
    assert len(segment_urls(padded)) == len(overlapping(footage, event.start_time - 3, until + 2))


def test_an_hour_plays_whole_and_a_restart_is_a_discontinuity(footage: Footage):
    appliance = footage.appliance
    before = footage.rows()[-1]["end_time"]
    camera = appliance.recorder.cameras["cam"]
    camera.restart("test: a gap in the footage")
    wait_for(lambda: len([row for row in footage.rows() if row["start_time"] > before + 0.5]) >= 3, timeout=30)
    # The current hour grows while the camera records: hold it still while ffmpeg plays it.
    camera.stop()
    try:
        wait_for(lambda: all(segment.kept for segment in appliance.recorder.index.for_camera("cam")), timeout=30)
        rows = footage.rows()
        assert gaps(rows) >= 1
        # The range across the gap: two stretches, one discontinuity, and ffmpeg still plays every frame.
        index = check_plays_whole(
            footage, f"/vod/cam/start/{rows[0]['start_time']}/end/{rows[-1]['end_time']}/master.m3u8", rows)
        assert index.count("#EXT-X-PROGRAM-DATE-TIME") == gaps(rows) + 1
        # The hour (UTC, named as Frigate names a time zone) of the newest footage.
        hour = datetime.fromtimestamp(rows[-1]["start_time"], tz=UTC).replace(minute=0, second=0, microsecond=0)
        in_hour = overlapping(footage, hour.timestamp(), hour.timestamp() + 3600)
        check_plays_whole(footage, f"/vod/{hour:%Y-%m}/{hour:%d}/{hour:%H}/cam/Etc,UTC/master.m3u8", in_hour)
    finally:
        camera.start()


def test_an_hour_without_a_zone_is_the_appliances_local_hour(footage: Footage):
    rows = footage.rows()
    hour = datetime.fromtimestamp(rows[0]["start_time"]).replace(minute=0, second=0, microsecond=0)  # local
    before = len(overlapping(footage, hour.timestamp(), hour.timestamp() + 3600))
    index = fetch(footage, f"/vod/{hour:%Y-%m}/{hour:%d}/{hour:%H}/cam/index.m3u8").text
    # The hour may still be growing (the camera records): between what was there before and after.
    after = len(overlapping(footage, hour.timestamp(), hour.timestamp() + 3600))
    assert 0 < before <= len(segment_urls(index)) <= after


def test_segments_are_served_with_range_and_need_auth(footage: Footage):
    rows = footage.rows()
    directory = f"/vod/cam/start/{rows[0]['start_time']}/end/{rows[2]['end_time']}"
    index = fetch(footage, f"{directory}/index.m3u8").text
    first = segment_urls(index)[0]
    assert re.fullmatch(rf"seg-\d+\.ts\?token={footage.token}", first)
    path = f"{directory}/{first.split('?')[0]}"
    whole = fetch(footage, path)
    assert whole.headers["Content-Type"] == "video/mp2t" and whole.content[:1] == b"G"  # MPEG-TS sync byte
    part = requests.get(footage.url(path), headers={"Range": "bytes=188-375"}, timeout=10)
    assert part.status_code == 206 and part.content == whole.content[188:376]
    assert requests.get(footage.server.url + path, timeout=10).status_code == 401
    # A cookie session (what a <video> tag sends) works without the token.
    session = requests.Session()
    login = session.post(footage.server.url + "/api/login", json={"user": "admin", "password": "correct horse battery"},
                         timeout=10)
    assert login.status_code == 200 and "frigate_token" in session.cookies
    assert session.get(footage.server.url + path, timeout=10).status_code == 200


@pytest.mark.parametrize(("path", "status", "field"), [
    ("/vod/cam/start/abc/end/10/index.m3u8", 400, "start"),
    ("/vod/cam/start/10/end/nan/index.m3u8", 400, "end"),
    ("/vod/cam/start/20/end/10/index.m3u8", 400, "end"),
    ("/vod/cam/start/0/end/999999/index.m3u8", 400, "end"),
    ("/vod/nocam/start/10/end/20/index.m3u8", 404, None),
    ("/vod/cam/start/10/end/20/index.m3u8", 404, None),  # no footage then
    ("/vod/cam/start/10/end/20/other.m3u8", 404, None),
    ("/vod/2026-13/01/00/cam/master.m3u8", 400, "year_month"),
    ("/vod/2026-02/30/00/cam/master.m3u8", 400, "day"),
    ("/vod/2026-02/01/24/cam/master.m3u8", 400, "hour"),
    ("/vod/2026-02/01/x/cam/master.m3u8", 400, "hour"),
    ("/vod/2026-02/01/01/cam/Mars,Olympus/master.m3u8", 400, "tz_name"),
    ("/vod/2026-02/01/01/nocam/master.m3u8", 404, None),
    ("/vod/event/nope/master.m3u8", 404, None),
    ("/vod/cam/start/10/end/20/seg-999999999.ts", 404, None),
])
def test_bad_input_is_a_clear_4xx(footage: Footage, path: str, status: int, field: str | None):
    response = footage.client.get(path, json={})
    assert response.status_code == status, response.json
    assert response.json["success"] is False and response.json["message"]
    assert response.json.get("field") == field
