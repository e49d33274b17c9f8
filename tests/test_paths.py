"""A refused path is told with the folders it may be in, not the last folder tried."""

import pytest

CLIP_OR_TIMELAPSE = "only output_*.mp4 files in recordings/ or timelapse_*.mp4 files in timelapse/"


@pytest.mark.parametrize("url", [
    "/video?path=/etc/passwd",
    "/video?path=../output_20240101_000000.mp4",
    "/video?path=snapshot_20240101_000000.jpg",
    "/thumbnail?video_path=../x/output_20240101_000000.mp4",
    "/sprite/..%2Foutput_20240101_000000.mp4",
])
def test_a_refused_clip_or_timelapse_path_names_both_folders(client, url):
    response = client.get(url)
    assert response.status_code == 400
    assert response.json == {"success": False, "message": f"invalid path: {CLIP_OR_TIMELAPSE}"}


def test_a_refused_lock_names_every_archive_folder(client):
    response = client.post("/storage/lock", json={"path": "/etc/passwd"})
    assert response.status_code == 400
    assert response.json["message"] == (
        "invalid path: only output_*.mp4 or snapshot_*.jpg files in recordings/, *-*.jpg files in clips/, "
        "timelapse_*.mp4 files in timelapse/ or *.mp4 files in exports/"
    )


@pytest.mark.parametrize("url, message", [
    ("/snapshot_image?path=/etc/passwd", "path is outside recordings/"),
    ("/snapshot_image?path=output_20240101_000000.mp4", "only snapshot_*.jpg files in recordings/"),
    ("/timelapse/video?path=/etc/passwd", "path is outside timelapse/"),
])
def test_a_refused_path_of_one_folder_names_it(client, url, message):
    response = client.get(url)
    assert response.status_code == 400
    assert response.json["message"] == f"invalid path: {message}"


def test_storage_profiles_do_not_repeat_the_names_in_a_refusal(client, tmp_path):
    # Every profile has a recordings/ folder of its own: the refusal names the kind of file once.
    for name in ("USB", "NAS"):
        (tmp_path / name).mkdir()
        assert client.post("/storage/profiles", json={"name": name, "path": str(tmp_path / name)}).status_code == 201
    response = client.get("/video?path=/etc/passwd")
    assert response.json == {"success": False, "message": f"invalid path: {CLIP_OR_TIMELAPSE}"}
    lock = client.post("/storage/lock", json={"path": "/etc/passwd"})
    assert lock.json["message"] == (
        "invalid path: only output_*.mp4 or snapshot_*.jpg files in recordings/, *-*.jpg files in clips/, "
        "timelapse_*.mp4 files in timelapse/ or *.mp4 files in exports/"
    )
