"""Every file served or listed for a client stays inside its directory, sidecars and listings
included: links that lead out are neither served nor shown (the files here are written by hand;
no camera runs)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

SECRET = "SECRET-outside-the-data-directory"
CLIP = "output_20260101_120000.mp4"
JPEG = b"\xff\xd8\xff\xe0 a small jpeg \xff\xd9"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory beside the data directory, holding what no client may read."""
    directory = tmp_path / "outside"
    directory.mkdir()
    (directory / "secret.jpg").write_text(SECRET)
    (directory / "secret.json").write_text(json.dumps({"event_id": SECRET, "reason": SECRET}))
    (directory / "secret.log").write_text(f"2026-01-01T00:00:00.000+00:00 ERROR securitycam.x: {SECRET}\n")
    return directory


@pytest.fixture
def recordings(appliance, outside: Path) -> Path:
    """A clip whose sidecars all link out, and clips and snapshots that are themselves links out."""
    directory = appliance.paths.recordings
    (directory / CLIP).write_bytes(b"not really a video")
    (directory / "output_20260101_120000.thumb.jpg").symlink_to(outside / "secret.jpg")
    (directory / "output_20260101_120000.sprite.jpg").symlink_to(outside / "secret.jpg")
    (directory / "output_20260101_120000.meta.json").symlink_to(outside / "secret.json")
    (directory / "output_20260101_130000.mp4").symlink_to(outside / "secret.jpg")
    (directory / "snapshot_20260101_130000.jpg").symlink_to(outside / "secret.jpg")
    return directory


def _leaks(response) -> bool:  # type: ignore[no-untyped-def]
    return SECRET in response.get_data(as_text=True)


@pytest.mark.parametrize("url", [
    f"/thumbnail?video_path={CLIP}",
    f"/sprite?video_path={CLIP}",
    f"/thumbnail/{CLIP}",
    f"/sprite/{CLIP}",
    "/video?path=output_20260101_130000.mp4",
    "/snapshot_image?path=snapshot_20260101_130000.jpg",
])
def test_a_sidecar_or_file_linking_out_is_not_served(client, recordings, url):
    response = client.get(url)
    assert response.status_code == 400, (url, response.status_code)
    assert response.json["success"] is False and not _leaks(response)


def test_listings_leave_out_what_links_out(client, recordings, appliance):
    archive = client.get("/archive").json
    assert [item["name"] for item in archive["items"]] == [CLIP] and archive["total"] == 1
    assert set(archive["items"][0]) == {"path", "name", "size", "mtime", "locked"}  # no meta, thumbnail, sprite
    assert client.get("/snapshots").json == []
    assert client.get("/archive/new_count?since=2000-01-01T00:00:00").json == {"count": 1}
    timelapse = appliance.paths.timelapse
    (timelapse / "timelapse_20260101.mp4").write_bytes(b"video")
    (timelapse / "timelapse_20260101.thumb.jpg").symlink_to(recordings / "output_20260101_120000.thumb.jpg")
    assert [set(item) for item in client.get("/timelapse").json] == [{"path", "date", "size", "mtime", "locked"}]


def test_a_sidecar_linking_inside_its_directory_is_still_served(client, appliance):
    directory = appliance.paths.recordings
    (directory / CLIP).write_bytes(b"not really a video")
    (directory / "shared.jpg").write_bytes(JPEG)
    (directory / "output_20260101_120000.thumb.jpg").symlink_to("shared.jpg")
    assert client.get(f"/thumbnail?video_path={CLIP}").data == JPEG
    assert client.get("/archive").json["items"][0]["thumbnail"].endswith("output_20260101_120000.thumb.jpg")


def test_log_listings_and_parsed_logs_stay_inside_logs(client, appliance, outside):
    logs = appliance.paths.logs
    (logs / "root").symlink_to("/")
    (logs / "elsewhere").symlink_to(outside)
    (logs / "install").mkdir()
    (logs / "install" / "setup.log").write_text("installed\n")
    (logs / "install" / "evil.log").symlink_to(outside / "secret.log")
    (logs / "api" / "api.log.4").symlink_to(outside / "secret.log")
    assert [entry["name"] for entry in client.get("/logs/scripts").json] == ["install/setup.log"]
    assert not _leaks(client.get("/logs/api?limit=2000"))
    assert client.get("/logs/script/root/etc/passwd").status_code == 400
