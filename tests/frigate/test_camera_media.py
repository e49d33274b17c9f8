"""Camera media with a real camera (ffmpeg recording the synthetic source): latest.jpg and its
drawing parameters, MJPEG over a real socket, grid, birdseye, an API event's snapshot with its
boxes drawn, and the cookie a <video>/<img> tag sends."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from securitycam import imaging
from securitycam.app import create_app
from securitycam.appliance import Appliance, Hardware
from securitycam.system.host import HostReader
from securitycam.system.runner import RecordingRunner
from tests.conftest import FAST_DELAYS, PASSWORD, FakeDisk, LiveServer
from tests.recorder.conftest import wait_for

CAMERAS = [
    {"name": "cam", "width": 320, "height": 180, "fps": 10, "segment_seconds": 1, "frame_rate": 4, "frame_width": 320},
    {"name": "yard", "width": 320, "height": 240, "fps": 5, "segment_seconds": 1, "frame_rate": 2, "frame_width": 320},
]


@pytest.fixture(scope="module")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    root = tmp_path_factory.mktemp("frigate-media")
    (root / "sys").mkdir()
    hardware = Hardware(runner=RecordingRunner(), host=HostReader(root / "sys", disk_usage=FakeDisk()))
    os.environ["SECURITYCAM_PASSWORD"] = PASSWORD
    try:
        app = create_app(root / "data", hardware, start=False, config=FAST_DELAYS)
    finally:
        os.environ.pop("SECURITYCAM_PASSWORD")
    appliance: Appliance = app.extensions["securitycam"]
    appliance.settings.update({"Cameras": CAMERAS})
    appliance.start()
    wait_for(lambda: all(recorder.latest_frame() for recorder in appliance.recorder.cameras.values()), timeout=30)
    yield app
    appliance.stop()


@pytest.fixture(scope="module")
def admin(live_app: Flask) -> FlaskClient:
    client = live_app.test_client()
    token = client.post("/auth/validate", json={"password": PASSWORD}).json["token"]
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def is_red(image: Image.Image, x: int, y: int) -> bool:
    """A red line of the box through (x, y), allowing for JPEG's smearing of a thin line."""
    return any(r > 150 and g < 100 and b < 100
               for r, g, b in (image.getpixel((column, y)) for column in range(x - 2, x + 3)))


def red_edge(image: Image.Image) -> bool:
    """The drawn box's left edge: red from top to bottom at x = 0.25 of the width (y 0.25-0.75)."""
    return all(is_red(image, 80, y) for y in range(50, 131, 10))


def image_of(response) -> Image.Image:
    assert response.status_code == 200 and response.mimetype == "image/jpeg", response.get_data()[:200]
    return Image.open(io.BytesIO(response.data))


def test_latest_is_the_cameras_frame_as_it_is(admin, live_app):
    plain = admin.get("/api/cam/latest.jpg")
    assert image_of(plain).size == (320, 180)
    assert admin.get("/api/camera/yard/latest.jpg").status_code == 200
    assert image_of(admin.get("/api/camera/yard/latest.jpg")).size == (320, 240)
    assert admin.get("/api/nocam/latest.jpg").status_code == 404


def test_latest_resized_reencoded_and_stamped(admin):
    small = image_of(admin.get("/api/cam/latest.jpg?h=90"))
    assert small.size == (160, 90)
    low = admin.get("/api/cam/latest.jpg?quality=5").data
    high = admin.get("/api/cam/latest.jpg?quality=95").data
    assert len(low) < len(high)
    stamped = image_of(admin.get("/api/cam/latest.jpg?timestamp=1")).convert("RGB")
    # The time is printed on a black band in the upper left (left of the text, below the band's top).
    assert sum(stamped.getpixel((4, 8))) < 120
    for flag in ("zones", "mask", "motion", "regions", "bbox"):
        assert admin.get(f"/api/cam/latest.jpg?{flag}=1").status_code == 200
    for query, field in (("h=big", "h"), ("h=99999", "h"), ("quality=101", "quality"), ("bbox=2", "bbox"),
                         ("motion=x", "motion"), ("timestamp=yes", "timestamp")):
        response = admin.get(f"/api/cam/latest.jpg?{query}")
        assert response.status_code == 400 and response.json["field"] == field, query


def test_stills_are_never_made_larger_than_their_source(admin):
    for path in ("/api/cam/latest.jpg?h=4096", "/api/cam/latest.jpg?h=4096&bbox=1&timestamp=1",
                 "/api/camera/cam/latest.jpg?h=181"):
        assert image_of(admin.get(path)).size == (320, 180), path
    webp = admin.get("/api/cam/latest.webp?h=4096")
    assert webp.mimetype == "image/webp" and Image.open(io.BytesIO(webp.data)).size == (320, 180)
    settings = admin.get("/api/birdseye").json
    assert image_of(admin.get("/api/birdseye/latest.jpg?h=4096")).size == (settings["width"], settings["height"])


def test_picture_conversions_are_bounded_and_a_request_that_waits_too_long_gets_503(admin, monkeypatch):
    monkeypatch.setattr(imaging, "CONVERSION_WAIT_SECONDS", 0.2)
    taken = 0
    try:
        while imaging._conversions.acquire(blocking=False):  # every viewer's turn is taken
            taken += 1
        assert taken == imaging.MAX_CONVERSIONS
        for path in ("/api/cam/latest.jpg?h=90", "/api/cam/latest.webp", "/api/cam/grid.jpg",
                     "/api/birdseye/latest.jpg"):
            busy = admin.get(path)
            assert busy.status_code == 503, path
            assert busy.json == {"success": False, "message": "busy converting other pictures; try again shortly",
                                 "retry_after": 5}
            assert busy.headers["Retry-After"] == "5"
        # A frame sent as it is needs no conversion, so it needs no turn.
        assert image_of(admin.get("/api/cam/latest.jpg")).size == (320, 180)
    finally:
        for _ in range(taken):
            imaging._conversions.release()
    assert image_of(admin.get("/api/cam/latest.jpg?h=90")).size == (160, 90)


def test_api_event_boxes_are_drawn_on_its_snapshot_and_on_latest_with_bbox(admin, live_app):
    body = {"duration": None, "draw": {"boxes": [{"box": [0.25, 0.25, 0.5, 0.5], "color": [255, 0, 0]}]}}
    event_id = admin.post("/api/events/cam/package/create", json=body).json["event_id"]
    event = admin.get(f"/api/events/{event_id}").json
    assert event["has_snapshot"] is True
    appliance = live_app.extensions["securitycam"]
    saved = Image.open(appliance.paths.clips / f"cam-{event_id}.jpg").convert("RGB")
    assert red_edge(saved)
    # Indexed at once, as a snapshot of its event (the janitor ages it out, /storage/status counts it).
    indexed = appliance.janitor.media.get(appliance.paths.clips / f"cam-{event_id}.jpg")
    assert indexed is not None and indexed.kind == "snapshots" and indexed.event_id == event_id
    clean = Image.open(io.BytesIO(admin.get(f"/api/events/{event_id}/snapshot-clean.png").data)).convert("RGB")
    assert not red_edge(clean)
    with_box = image_of(admin.get("/api/cam/latest.jpg?bbox=1")).convert("RGB")
    assert red_edge(with_box)
    # In progress, the snapshot is the live frame with the parameters applied.
    live = image_of(admin.get(f"/api/events/{event_id}/snapshot.jpg?h=90&bbox=1"))
    assert live.size == (160, 90)
    cropped = image_of(admin.get(f"/api/events/{event_id}/snapshot.jpg?bbox=1&crop=1"))
    assert cropped.size == (160, 90)
    admin.put(f"/api/events/{event_id}/end")
    ended = admin.get(f"/api/events/{event_id}/snapshot.jpg?h=50")
    assert ended.data == (appliance.paths.clips / f"cam-{event_id}.jpg").read_bytes()  # stored, unmodified


def test_mjpeg_streams_frames_over_a_real_socket(live_app, admin):
    server = LiveServer(live_app)
    try:
        headers = {"Authorization": admin.environ_base["HTTP_AUTHORIZATION"]}
        with requests.get(f"{server.url}/api/cam?fps=5&h=90", headers=headers, stream=True, timeout=10) as response:
            assert response.status_code == 200
            assert response.headers["Content-Type"].startswith("multipart/x-mixed-replace")
            received = b""
            for chunk in response.iter_content(4096):
                received += chunk
                if received.count(b"--frame") >= 3:
                    break
        first = received.split(b"\r\n\r\n", 1)[1].split(b"\r\n--frame", 1)[0]
        assert Image.open(io.BytesIO(first)).size == (160, 90)
        assert requests.get(f"{server.url}/api/cam?fps=99", headers=headers, timeout=5).status_code == 400
        assert requests.get(f"{server.url}/api/nocam", headers=headers, timeout=5).status_code == 404
    finally:
        server.stop()


def test_grid_and_birdseye(admin):
    grid = image_of(admin.get("/api/cam/grid.jpg?color=red&font_scale=1.0"))
    assert grid.size == (320, 180)
    assert admin.get("/api/cam/grid.jpg?color=purple").json["field"] == "color"
    assert admin.get("/api/cam/grid.jpg?font_scale=x").json["field"] == "font_scale"
    settings = admin.get("/api/birdseye").json
    assert settings["enabled"] is True and settings["cameras"] == ["cam", "yard"]
    tiled = image_of(admin.get("/api/birdseye/latest.jpg"))
    assert tiled.size == (settings["width"], settings["height"])
    assert image_of(admin.get("/api/birdseye/latest.jpg?h=360")).size == (640, 360)


def test_zones_and_faces(admin):
    assert admin.get("/api/zones").json == {"cam": {}, "yard": {}}
    assert admin.get("/api/zones/yard").json == {}
    assert admin.get("/api/zones/nocam").status_code == 404
    assert admin.get("/api/faces").json == {}
    assert admin.post("/api/faces/reprocess", json={}).json == {"success": False,
                                                               "message": "Face recognition is not enabled."}
    assert admin.get("/api/camera/notifications").json == {"cam": {"enabled": True}, "yard": {"enabled": True}}


def test_media_accept_the_frigate_cookie_and_refuse_strangers(live_app):
    stranger = live_app.test_client()
    assert stranger.get("/api/cam/latest.jpg").status_code == 401
    browser = live_app.test_client()
    assert browser.post("/api/login", json={"user": "admin", "password": PASSWORD}).status_code == 200
    assert image_of(browser.get("/api/cam/latest.jpg")).size == (320, 180)
    assert browser.get("/api/cam/any/thumbnail.jpg").status_code in (200, 404)
    # The dashboard's media cookie alone (what a <video> tag on the dashboard sends) works too.
    session = live_app.test_client().post("/auth/login", data={"username": "admin", "password": PASSWORD})
    video_tag = live_app.test_client()
    video_tag.set_cookie("media_token", session.json["access_token"])
    assert image_of(video_tag.get("/api/camera/cam/latest.jpg")).size == (320, 180)


def test_a_camera_with_no_frame_gives_a_picture_saying_so(admin, live_app):
    appliance = live_app.extensions["securitycam"]
    recorder = appliance.recorder.cameras["yard"]
    recorder.stop()
    try:
        recorder.frame_path.unlink(missing_ok=True)
        offline = image_of(admin.get("/api/yard/latest.jpg"))
        assert offline.size == (320, 240)
    finally:
        recorder.start()


def review_thumbnail_of(admin: FlaskClient, event_id: str) -> Image.Image:
    """The picture of the review item ``event_id`` joined, fetched where its ``thumb_path`` sends Frigate."""
    wait_for(lambda: admin.get(f"/api/review/event/{event_id}").json.get("thumb_path"), timeout=15)
    thumb_path = admin.get(f"/api/review/event/{event_id}").json["thumb_path"]
    assert thumb_path.startswith("/media/frigate/clips/review/thumb-")
    picture = admin.get("/clips/review/" + thumb_path.rsplit("/", 1)[-1])
    assert picture.status_code == 200 and picture.mimetype == "image/webp"
    return Image.open(io.BytesIO(picture.data))


def test_review_items_of_sensor_and_api_events_get_a_thumbnail_deleted_with_them(admin, live_app):
    appliance: Appliance = live_app.extensions["securitycam"]
    sensor_event = appliance.events.open("yard", "sensor", "door", sub_label="front door")
    # The camera's latest frame (320x240), scaled to detection's thumbnail height.
    assert review_thumbnail_of(admin, sensor_event.id).size == (240, 180)
    review_id = admin.get(f"/api/review/event/{sensor_event.id}").json["id"]
    [thumb] = (appliance.paths.clips / "review").glob(f"thumb-yard-{review_id}.webp")

    api_event = admin.post("/api/events/cam/doorbell/create", json={"duration": 1}).json["event_id"]
    assert review_thumbnail_of(admin, api_event).size == (320, 180)

    assert admin.post("/api/reviews/delete", json={"ids": [review_id]}).json["success"] is True
    assert not thumb.exists()
    assert admin.get(f"/clips/review/{thumb.name}").status_code == 404
    appliance.events.end(sensor_event.id, appliance.clock.time())
