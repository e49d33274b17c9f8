"""Exports through real HTTP over real footage: made in the background (one at a time) into playable MP4s
of the range's length, realtime or 25× time-lapse; listed, renamed, deleted (cancelling one in progress);
counted by the janitor; and bad input refused with a clear 4xx."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests

from securitycam.recorder.exports import Exporter
from tests.frigate.footage import Footage, ffprobe, footage_fixture, play_frames  # noqa: F401
from tests.recorder.conftest import wait_for


def finished(footage: Footage, export_id: str, timeout: float = 60) -> dict:
    def done() -> dict | None:
        body = footage.client.get(f"/api/exports/{export_id}").json
        return body if not body["in_progress"] else None

    return wait_for(done, timeout=timeout)  # type: ignore[return-value]


def on_disk(footage: Footage, frigate_path: str) -> Path:
    """The file an export's ``video_path``/``thumb_path`` names: Frigate's exports directory, as its web
    UI links it (``exports/<file>``, from ``/media/frigate/exports/<file>``), is ``exports/`` here."""
    assert frigate_path.startswith("/media/frigate/exports/"), frigate_path
    return footage.appliance.paths.exports / frigate_path.removeprefix("/media/frigate/exports/")


def test_a_realtime_export_is_a_playable_mp4_of_the_range(footage: Footage, tmp_path: Path):
    rows = footage.at_least(8)
    start, end = rows[1]["start_time"] + 0.5, rows[6]["end_time"] - 0.5
    response = footage.client.post(f"/api/export/cam/start/{start}/end/{end}",
                                   json={"playback": "realtime", "name": "Front door", "source": "recordings"})
    assert response.status_code == 200, response.json
    assert response.json["success"] is True and response.json["message"] == "Starting export of recording."
    export_id = response.json["export_id"]
    assert export_id.startswith("cam_")
    listed = footage.client.get("/api/exports").json
    assert export_id in [item["id"] for item in listed]
    export = finished(footage, export_id)
    assert export["name"] == "Front door" and export["camera"] == "cam" and export["date"] == start
    assert export["progress"] == 1.0 and export["error"] is None
    video = on_disk(footage, export["video_path"])
    assert video.exists()
    assert on_disk(footage, export["thumb_path"]).read_bytes()[:2] == b"\xff\xd8"
    assert float(ffprobe(video)["format"]["duration"]) == pytest.approx(end - start, abs=0.6)
    assert play_frames(str(video)) == pytest.approx((end - start) * 10, abs=6)
    # Served with Range where Frigate's web UI looks for it.
    url = footage.url("/" + export["video_path"].removeprefix("/media/frigate/"))
    part = requests.get(url, headers={"Range": "bytes=0-99"}, timeout=10)
    assert part.status_code == 206 and part.content == video.read_bytes()[:100]
    # The janitor counts it.
    by_kind = footage.client.get("/storage/status").json["by_kind"]
    assert by_kind["exports"]["files"] >= 1 and by_kind["exports"]["bytes"] >= video.stat().st_size


def test_a_timelapse_export_is_25_times_shorter(footage: Footage):
    wait_for(lambda: footage.rows()[-1]["end_time"] - footage.rows()[0]["start_time"] > 12, timeout=30)
    rows = footage.rows()
    start, end = rows[0]["start_time"], rows[-1]["end_time"]
    export_id = footage.client.post(f"/api/export/cam/start/{start}/end/{end}",
                                    json={"playback": "timelapse_25x"}).json["export_id"]
    export = finished(footage, export_id)
    assert export["playback"] == "timelapse_25x" and export["name"].startswith("cam ")
    duration = float(ffprobe(on_disk(footage, export["video_path"]))["format"]["duration"])
    played = sum(row["end_time"] - row["start_time"] for row in rows)  # gaps are not waited through
    assert duration == pytest.approx(played / 25, abs=0.2)


def test_rename_both_ways_and_delete(footage: Footage):
    rows = footage.rows()
    export_id = footage.client.post(f"/api/export/cam/start/{rows[0]['start_time']}/end/{rows[1]['end_time']}",
                                    json={}).json["export_id"]
    export = finished(footage, export_id)
    answer = footage.client.patch(f"/api/export/{export_id}/rename", json={"name": "Parcel"})
    assert answer.status_code == 200 and answer.json == {"success": True, "message": "Successfully renamed export."}
    assert footage.client.get(f"/api/exports/{export_id}").json["name"] == "Parcel"
    assert footage.client.patch(f"/api/export/{export_id}/Parcel%202").status_code == 200
    assert footage.client.get(f"/api/exports/{export_id}").json["name"] == "Parcel 2"
    deleted = footage.client.delete(f"/api/export/{export_id}")
    assert deleted.status_code == 200 and deleted.json["success"] is True
    assert not on_disk(footage, export["video_path"]).exists() and not on_disk(footage, export["thumb_path"]).exists()
    assert footage.client.get(f"/api/exports/{export_id}").status_code == 404
    assert footage.client.delete(f"/api/export/{export_id}").status_code == 404
    assert footage.client.patch("/api/export/nope/rename", json={"name": "x"}).status_code == 404


def test_exports_run_one_at_a_time_and_deleting_one_in_progress_cancels_it(footage: Footage):
    rows = footage.rows()
    start, end = rows[0]["start_time"], rows[-1]["end_time"]
    ids = [footage.client.post(f"/api/export/cam/start/{start}/end/{end}", json={"playback": "timelapse_25x"})
           .json["export_id"] for _ in range(3)]
    # Never more than one being made: the others wait with no progress, until the first is made (a
    # loop that stopped after 60 s went on with the first still running on a loaded machine).
    def one_at_a_time_until_the_first_is_made() -> bool:
        exports = {item["id"]: item for item in footage.client.get("/api/exports").json}
        running = [i for i in ids if exports[i]["in_progress"] and exports[i]["progress"] > 0]
        assert len(running) <= 1
        return not exports[ids[0]]["in_progress"]

    wait_for(one_at_a_time_until_the_first_is_made, timeout=300, interval=0.02, what="the first export")
    footage.client.delete(f"/api/export/{ids[1]}")
    footage.client.delete(f"/api/export/{ids[2]}")
    wait_for(lambda: not any(item["in_progress"] for item in footage.client.get("/api/exports").json), timeout=60)
    assert [item for item in footage.client.get("/api/exports").json if item["id"] in ids[1:]] == []

    def leftovers() -> list[str]:
        return [path.name for path in footage.appliance.paths.exports.iterdir()
                if any(export_id.split("_")[1] in path.name for export_id in ids[1:])]

    # The worker clears its partial file and concat script once its killed ffmpeg has exited.
    wait_for(lambda: not leftovers(), timeout=30)


def test_an_export_left_unfinished_by_a_stop_is_made_at_the_next_start(footage: Footage):
    appliance = footage.appliance
    appliance.exports.stop()
    try:
        rows = footage.rows()
        export_id = footage.client.post(f"/api/export/cam/start/{rows[0]['start_time']}/end/{rows[2]['end_time']}",
                                        json={}).json["export_id"]
        time.sleep(0.3)
        assert footage.client.get(f"/api/exports/{export_id}").json["in_progress"] is True
        # The next start: a new exporter over the same table picks it up.
        restarted = Exporter(appliance.db, appliance.paths, appliance.recorder.recordings)
        restarted.start()
        try:
            assert on_disk(footage, finished(footage, export_id)["video_path"]).exists()
        finally:
            restarted.stop()
    finally:
        appliance.exports.start()


def test_an_export_that_would_not_fit_below_the_storage_limit_is_refused(footage: Footage):
    rows = footage.rows()
    path = f"/api/export/cam/start/{rows[0]['start_time']}/end/{rows[3]['end_time']}"
    disk = footage.appliance.host._disk_usage
    total, used = disk(footage.appliance.paths.root).total, disk(footage.appliance.paths.root).used
    room = total * 85 // 100 - used
    footage_bytes = sum(row["size"] for row in rows[:4])
    previous = disk.percent
    disk.percent = (used + room - footage_bytes // 2) * 100 / total  # half the footage's size is left
    try:
        refused = footage.client.post(path, json={})
        assert refused.status_code == 507 and "not enough space" in refused.json["message"]
        # A time-lapse is 25 times smaller: it fits.
        assert footage.client.post(path, json={"playback": "timelapse_25x"}).status_code == 200
    finally:
        disk.percent = previous


def test_a_viewer_may_list_but_not_export(footage: Footage):
    admin = footage.client
    assert admin.post("/api/users", json={"username": "viewer1", "password": "viewer password 1",
                                          "role": "viewer"}).status_code in (201, 409)
    viewer = footage.app.test_client()
    login = viewer.post("/api/login", json={"user": "viewer1", "password": "viewer password 1"})
    assert login.status_code == 200
    csrf = {"X-CSRF-Token": viewer.get_cookie("csrf_token").value} if viewer.get_cookie("csrf_token") else {}
    assert viewer.get("/api/exports").status_code == 200
    rows = footage.rows()
    refused = viewer.post(f"/api/export/cam/start/{rows[0]['start_time']}/end/{rows[1]['end_time']}", json={},
                          headers=csrf)
    assert refused.status_code == 403


@pytest.mark.parametrize(("method", "path", "body", "status", "field"), [
    ("post", "/api/export/cam/start/x/end/10", {}, 400, "start"),
    ("post", "/api/export/cam/start/20/end/10", {}, 400, "end"),
    ("post", "/api/export/cam/start/0/end/200000", {}, 400, "end"),
    ("post", "/api/export/nocam/start/10/end/20", {}, 404, None),
    ("post", "/api/export/cam/start/10/end/20", {}, 400, None),  # no footage then
    ("post", "/api/export/cam/start/10/end/20", {"playback": "fast"}, 400, "playback"),
    ("post", "/api/export/cam/start/10/end/20", {"source": "preview"}, 400, "source"),
    ("post", "/api/export/cam/start/10/end/20", {"name": ""}, 400, "name"),
    ("post", "/api/export/cam/start/10/end/20", {"image_path": "../../securitycam.db"}, 400, "image_path"),
    ("post", "/api/export/cam/start/10/end/20", [1], 400, None),
    ("patch", "/api/export/x/rename", {"name": 5}, 400, "name"),
    ("patch", "/api/export/x/rename", {}, 400, "name"),
    ("delete", "/api/export/nope", None, 404, None),
    ("get", "/api/exports/nope", None, 404, None),
    ("get", "/exports/..%2Fsecuritycam.db", None, 404, None),  # no route takes a slash in the name
    ("get", "/exports/..", None, 400, None),
    ("get", "/exports/settings.json", None, 400, None),
    ("get", "/exports/.hidden.partial.mp4", None, 400, None),
    ("get", "/exports/none.mp4", None, 404, None),
])
def test_bad_input_is_a_clear_4xx(footage: Footage, method: str, path: str, body, status: int, field: str | None):
    response = getattr(footage.client, method)(path, json=body)
    assert response.status_code == status, response.json
    assert response.json["success"] is False and response.json["message"]
    assert response.json.get("field") == field
