"""Frigate's camera media under ``/api`` (``frigate-http-api.md``, Camera Media, and what
``frigate-api-reference.md`` adds): the MJPEG stream ``/api/<camera>``, ``latest.jpg``, the latest
event's media per label, ``grid.jpg``, ``/api/camera/<name>/latest.jpg|best.jpg``, the birdseye
(every camera's latest frame tiled into one picture, and its settings), zones and faces.

Frames come from the recorder's latest-frame cache (a JPEG ``frame_rate`` times a second), so
serving them costs no camera work; a frame is sent as it is unless a parameter asks for a change.
What Frigate draws from its detection (``bbox``) is drawn from the boxes the camera's events in
progress carry; ``zones``, ``mask``, ``motion`` and ``regions`` draw what the appliance has, which
today is nothing (no zones or masks are configured, motion boxes are not kept). A camera with no
recent frame answers Frigate's way: a picture saying so, not an error, so dashboards keep a tile.

MJPEG streams hold a thread each for as long as the client watches, so at most
:data:`MAX_MJPEG_STREAMS` run at once (503 beyond) and each sends at most ``fps`` ≤ 10 frames a
second.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

from flask import Blueprint, Response, jsonify, request, stream_with_context

from securitycam.api.common import ApiError, appliance
from securitycam.api.frigate import params
from securitycam.api.frigate.events import (
    event_boxes,
    event_clip,
    event_snapshot,
    event_thumbnail,
    image_response,
    jpeg_response,
    live_frame,
    render,
)
from securitycam.api.frigate.management import BirdseyeConfig, find_camera
from securitycam.config.models import CameraSettings
from securitycam.imaging import COLORS, Box, conversion_slot, draw_grid, encode, open_jpeg, placeholder, resized, tile
from securitycam.store.events import Event, EventQuery

bp = Blueprint("frigate_media", __name__, url_prefix="/api")

MAX_MJPEG_STREAMS = 8
MAX_MJPEG_FPS = 10
GRID_CELLS = 8
ANY_LABEL = "any"
_streams = threading.BoundedSemaphore(MAX_MJPEG_STREAMS)


def frame_or_placeholder(camera: CameraSettings) -> bytes:
    frame = live_frame(camera.name)
    if frame is not None:
        return frame
    return encode(placeholder(camera.width, camera.height, f"{camera.name}: no recent frame"))


def current_boxes(camera: str) -> list[Box]:
    """Boxes of the camera's events in progress (their object, or what an API client asked to draw)."""
    events = appliance().events.list(EventQuery(cameras=[camera], in_progress=True, limit=20))
    return [box for event in events for box in event_boxes(event)]


def rendered_frame(camera: CameraSettings, default_height: int | None = None) -> bytes:
    """The camera's latest frame with Frigate's drawing parameters applied."""
    height = params.whole("h", default_height or 0, 0, 4096) or None
    quality = params.whole("quality", 70, 1, 100)
    bbox, stamp = params.flag("bbox", False), params.flag("timestamp", False)
    # Nothing to draw for these yet, but a bad value is still a bad value.
    for name in ("zones", "mask", "motion", "regions"):
        params.flag(name, False)
    boxes = current_boxes(camera.name) if bbox else []
    return render(frame_or_placeholder(camera), height, quality, boxes,
                  appliance().clock.time() if stamp else None)


@bp.get("/<camera>")
def mjpeg(camera: str):  # type: ignore[no-untyped-def]
    settings = find_camera(camera)
    fps = params.whole("fps", 3, 1, MAX_MJPEG_FPS)
    rendered_frame(settings, 360)  # checks the parameters before the stream starts
    if not _streams.acquire(blocking=False):
        raise ApiError(503, f"at most {MAX_MJPEG_STREAMS} MJPEG streams at once", retry_after=10)

    def frames() -> Iterator[bytes]:
        # stream_with_context keeps the request (its parameters) and the app for this generator; the
        # pooled database connection a frame's boxes took goes back before the stream sleeps.
        try:
            while True:
                data = rendered_frame(settings, 360)
                appliance().db.release()
                yield b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: " + str(len(data)).encode() \
                    + b"\r\n\r\n" + data + b"\r\n"
                time.sleep(1 / fps)
        finally:
            _streams.release()

    return Response(stream_with_context(frames()), mimetype="multipart/x-mixed-replace; boundary=frame",
                    headers={"Cache-Control": "no-store"})


@bp.get("/<camera>/latest.jpg", defaults={"extension": "jpg"})
@bp.get("/<camera>/latest.jpeg", defaults={"extension": "jpeg"})
@bp.get("/<camera>/latest.png", defaults={"extension": "png"})
@bp.get("/<camera>/latest.webp", defaults={"extension": "webp"})
def latest(camera: str, extension: str):  # type: ignore[no-untyped-def]
    return image_response(rendered_frame(find_camera(camera)), extension)


@bp.get("/camera/<camera>/latest.jpg")
def camera_latest(camera: str):  # type: ignore[no-untyped-def]
    return latest(camera, "jpg")


def latest_event(camera: str, label: str) -> Event:
    find_camera(camera)
    labels = None if label == ANY_LABEL else [label]
    found = appliance().events.list(EventQuery(cameras=[camera], labels=labels, limit=1))
    if not found:
        raise ApiError(404, f"no {label} event on camera {camera}")
    return found[0]


@bp.get("/<camera>/<label>/thumbnail.jpg")
def label_thumbnail(camera: str, label: str):  # type: ignore[no-untyped-def]
    return event_thumbnail(latest_event(camera, label))


@bp.get("/<camera>/<label>/clip.mp4")
def label_clip(camera: str, label: str):  # type: ignore[no-untyped-def]
    found = appliance().events.list(EventQuery(cameras=[find_camera(camera).name], has_clip=True, limit=1,
                                               labels=None if label == ANY_LABEL else [label]))
    if not found:
        raise ApiError(404, f"no {label} event with a clip on camera {camera}")
    return event_clip(found[0])


@bp.get("/<camera>/<label>/snapshot.jpg")
@bp.get("/<camera>/<label>/best.jpg")
def label_snapshot(camera: str, label: str):  # type: ignore[no-untyped-def]
    return event_snapshot(latest_event(camera, label))


@bp.get("/camera/<camera>/best.jpg")
def camera_best(camera: str):  # type: ignore[no-untyped-def]
    return label_snapshot(camera, ANY_LABEL)


@bp.get("/<camera>/grid.jpg")
def grid(camera: str):  # type: ignore[no-untyped-def]
    settings = find_camera(camera)
    color_name = request.args.get("color", "green")
    if color_name not in COLORS:
        raise params.bad("color", f"must be one of {', '.join(COLORS)}")
    font_scale = params.number("font_scale", 0.1, 5.0) or 0.5
    frame = frame_or_placeholder(settings)
    with conversion_slot():
        image = open_jpeg(frame)
        draw_grid(image, COLORS[color_name], font_scale, GRID_CELLS)
        data = encode(image)
    return jpeg_response(data)


# -- birdseye, zones, faces -----------------------------------------------------------------------------


@bp.get("/birdseye")
def birdseye_settings():  # type: ignore[no-untyped-def]
    config = BirdseyeConfig()
    return jsonify({**config.model_dump(), "cameras": [camera.name for camera in appliance().settings.get().Cameras
                                                       if camera.enabled],
                    "latest": "/api/birdseye/latest.jpg"})


@bp.get("/birdseye/latest.jpg")
def birdseye():  # type: ignore[no-untyped-def]
    """Every enabled camera's latest frame, tiled into one picture of the birdseye's size."""
    config = BirdseyeConfig()
    height = params.whole("h", 0, 0, 4096) or None
    quality = params.whole("quality", 70, 1, 100)
    cameras = [camera for camera in appliance().settings.get().Cameras if camera.enabled]
    frames = [frame_or_placeholder(camera) for camera in cameras]
    with conversion_slot():
        image = resized(tile([open_jpeg(frame, config.height // 2) for frame in frames], config.width, config.height),
                        height)
        data = encode(image, quality=quality)
    return jpeg_response(data)


@bp.get("/zones")
def zones():  # type: ignore[no-untyped-def]
    """Zones by camera (none are configured on the appliance yet)."""
    return jsonify({camera.name: {} for camera in appliance().settings.get().Cameras})


@bp.get("/zones/<camera>")
def camera_zones(camera: str):  # type: ignore[no-untyped-def]
    find_camera(camera)
    return jsonify({})


@bp.get("/faces")
def faces():  # type: ignore[no-untyped-def]
    """No face recognition here: no faces, in Frigate's shape (an object of name: image files)."""
    return jsonify({})


@bp.post("/faces/reprocess")
def reprocess_face():  # type: ignore[no-untyped-def]
    raise ApiError(400, "Face recognition is not enabled.")


@bp.get("/camera/notifications")
def camera_notifications():  # type: ignore[no-untyped-def]
    """Which cameras' events are pushed to subscribed browsers: every enabled camera's."""
    return jsonify({camera.name: {"enabled": camera.enabled} for camera in appliance().settings.get().Cameras})
