"""Frigate's events under ``/api/events`` (``frigate-http-api.md``, Events), served from the
appliance's own events table: sensor, manual, API and (with detection) object events alike.

An event is answered in Frigate's shape (``start_time``/``end_time`` epoch-second floats,
``end_time`` null while in progress, ``data`` with ``type``, ``score``, ``top_score``, ``box``).
Its media come from what the recorder made: the clips in ``data["clips"]`` (one per
``max_clip_seconds``, joined without re-encoding when there are several), the clip's
``.thumb.jpg`` (the trigger moment) as thumbnail and snapshot, and, for an event created through
the API, the frame saved at creation in ``clips/<camera>-<id>.jpg`` (with the requested boxes
drawn) beside ``-clean.png``. While an event is in progress its snapshot is the camera's latest
frame.

Deleting an event deletes its clips with their sidecars (through the janitor, so the media index
follows), its snapshots, tells the recorder to make no more clips for it, and drops the row.
Frigate+ is not configured here: ``plus`` answers 400 as Frigate does without an API key;
``false_positive`` marks the event locally.

A sub label set here is announced on the bus as a ``tracked_object_update`` (MQTT
``<prefix>/tracked_object_update``) in the shape Frigate gives a sub label that a classification
model chose (``type`` ``classification``, ``id``, ``camera``, ``timestamp``, ``model``,
``sub_label``, ``score``), with ``model`` null: a person chose it. The appliance runs no face,
licence plate or description models, so Frigate's ``face``, ``lpr`` and ``description`` updates
never come.
"""

from __future__ import annotations

import base64
import json
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, jsonify, request, send_file, stream_with_context
from pydantic import BaseModel, ConfigDict, Field

from securitycam.api.common import ApiError, appliance, parse_body
from securitycam.api.frigate import params, previews
from securitycam.api.frigate.review import remove_thumbnails
from securitycam.api.media import places
from securitycam.bus import TRACKED_OBJECT_UPDATE
from securitycam.fileio import write_atomic
from securitycam.imaging import (
    Box,
    ImageError,
    conversion_slot,
    draw_boxes,
    draw_timestamp,
    encode,
    open_jpeg,
    resized,
    two_to_one,
)
from securitycam.paths import PathRefused
from securitycam.recorder import archive, clips
from securitycam.store.events import SORTS, Event, EventQuery, SummaryRow

bp = Blueprint("frigate_events", __name__, url_prefix="/api")
# Frigate's snapshot path outside /api (``GET /clips/<camera>-<id>.jpg``).
files_bp = Blueprint("frigate_clip_files", __name__)

PLUS_NOT_CONFIGURED = "PLUS_API_KEY environment variable is not set"
THUMBNAIL_HEIGHT = 175
PREVIEW_SECONDS = 20
# Joined clips a client can ask for: at most this many ffmpeg runs at once.
_FFMPEG_SLOTS = threading.BoundedSemaphore(2)
# Sorts Frigate's Explore page asks for that need data kept here for no event (estimated speeds, a
# search's relevance): Frigate orders such events newest first, and so does this.
NEWEST_FIRST_SORTS = ("relevance", "speed_asc", "speed_desc")
# data keys that are the appliance's bookkeeping (server paths), not the event's.
_PRIVATE_DATA = ("clips",)


# -- what an event looks like to a Frigate client ---------------------------------------------------------


def in_progress(event: Event, now: float) -> bool:
    return event.end_time is None or event.end_time > now


def frigate_event(event: Event, now: float, thumbnail: str | None = None) -> dict[str, Any]:
    data = {key: value for key, value in event.data.items() if key not in _PRIVATE_DATA}
    data.setdefault("type", "object" if event.source == "object" else "api")
    data.setdefault("score", event.top_score)
    data.setdefault("top_score", event.top_score)
    data.setdefault("box", None)
    data.setdefault("region", None)
    data.setdefault("attributes", [])
    return {
        "id": event.id,
        "label": event.label,
        "sub_label": event.sub_label,
        "camera": event.camera,
        "start_time": event.start_time,
        "end_time": None if in_progress(event, now) else event.end_time,
        "false_positive": event.false_positive,
        "zones": event.zones,
        "thumbnail": thumbnail,
        "has_clip": event.has_clip,
        "has_snapshot": event.has_snapshot,
        "retain_indefinitely": event.retain_indefinitely,
        "plus_id": None,
        "model_hash": None,
        "detector_type": None,
        "model_type": None,
        "top_score": event.top_score,
        "source": event.source,
        "data": data,
    }


def find_event(event_id: str) -> Event:
    event = appliance().events.get(event_id)
    if event is None:
        raise ApiError(404, f"Event {event_id} not found")
    return event


def now() -> float:
    return appliance().clock.time()


# -- where an event's media are -----------------------------------------------------------------------


def event_clips(event: Event) -> list[Path]:
    """The event's clip files that exist (inside ``recordings/`` or a storage profile's, whatever the row says)."""
    found = []
    clip_places = places(archive.CLIP_PATTERN)
    for name in event.data.get("clips", []):
        try:
            path = archive.jailed_any(name, clip_places)
        except PathRefused:
            continue
        if path.is_file():
            found.append(path)
    return found


def snapshot_file(event: Event, clean: bool = False) -> Path:
    """``clips/<camera>-<id>.jpg`` (``-clean.png``): the frame saved when the API created the event."""
    suffix = "-clean.png" if clean else ".jpg"
    return appliance().paths.clips / f"{event.camera}-{event.id}{suffix}"


def stored_picture(event: Event, clean: bool = False) -> Path | None:
    """The saved snapshot, else the first clip's thumbnail (the trigger moment, never drawn on)."""
    saved = snapshot_file(event, clean)
    if saved.is_file():
        return saved
    for clip in event_clips(event):
        thumb = clips.sidecar(clip, ".thumb.jpg")
        if thumb.is_file():
            return thumb
    return None


def live_frame(camera: str) -> bytes | None:
    recorder = appliance().recorder.cameras.get(camera)
    return recorder.latest_frame() if recorder else None


def event_boxes(event: Event) -> list[Box]:
    """What the event says was where: its object's ``box`` and the boxes an API client asked to draw."""
    boxes = []
    box = event.data.get("box")
    if isinstance(box, list) and len(box) == 4:
        boxes.append(Box(*box, text=event.label))
    for drawn in (event.data.get("draw") or {}).get("boxes", []):
        color = tuple(drawn.get("color") or (255, 0, 0))
        score = drawn.get("score")
        boxes.append(Box(*drawn["box"], color=color, text=f"{score}%" if score is not None else ""))  # type: ignore[arg-type]
    return boxes


# The picture types Frigate serves its stills as, by the extension asked for (its web UI asks for webp).
IMAGE_TYPES = {"jpg": ("JPEG", "image/jpeg"), "jpeg": ("JPEG", "image/jpeg"), "png": ("PNG", "image/png"),
               "webp": ("WEBP", "image/webp")}


def jpeg_response(data: bytes, download_name: str | None = None, cache: bool = False) -> Response:
    return image_response(data, "jpg", download_name, cache)


def image_response(jpeg: bytes, extension: str, download_name: str | None = None, cache: bool = False) -> Response:
    """``jpeg`` as the picture type of ``extension`` (converted only when that is not JPEG)."""
    image_format, mimetype = IMAGE_TYPES[extension]
    data = jpeg if image_format == "JPEG" else converted(jpeg, image_format)
    response = Response(data, mimetype=mimetype)
    response.headers["Cache-Control"] = "private, max-age=31536000" if cache else "no-store"
    if download_name:
        response.headers["Content-Disposition"] = f'attachment; filename="{download_name}"'
    return response


def converted(jpeg: bytes, image_format: str) -> bytes:
    with conversion_slot():
        return encode(open_jpeg(jpeg), image_format)


def render(frame: bytes, height: int | None, quality: int, boxes: list[Box], timestamp: float | None) -> bytes:
    """``frame`` as it is when nothing is asked for; otherwise resized and drawn on."""
    if not height and not boxes and timestamp is None and quality == 70:
        return frame
    with conversion_slot():
        try:
            image = resized(open_jpeg(frame, height), height)
        except ImageError as exc:
            raise ApiError(503, f"the camera's latest frame is unreadable: {exc}") from exc
        draw_boxes(image, boxes)
        if timestamp is not None:
            draw_timestamp(image, timestamp)
        return encode(image, quality=quality)


def event_snapshot(event: Event) -> Response:
    """``snapshot.jpg``: drawn from the live frame while in progress (``h``, ``bbox``, ``timestamp``,
    ``crop``, ``quality``), the stored picture after."""
    height = params.whole("h", 0, 0, 4096) or None
    quality = params.whole("quality", 70, 1, 100)
    bbox, stamp, crop = params.flag("bbox", False), params.flag("timestamp", False), params.flag("crop", False)
    download = f"{event.camera}-{event.id}.jpg" if params.flag("download", False) else None
    frame = live_frame(event.camera) if in_progress(event, now()) else None
    if frame is not None:
        boxes = event_boxes(event) if bbox else []
        data = render(frame, height, quality, boxes, now() if stamp else None)
        if crop and boxes:
            data = crop_to(data, boxes[0], quality)
        return jpeg_response(data, download)
    stored = stored_picture(event)
    if stored is None:
        raise ApiError(404, f"Event {event.id} has no snapshot")
    return jpeg_response(stored.read_bytes(), download, cache=not in_progress(event, now()))


def crop_to(data: bytes, box: Box, quality: int) -> bytes:
    with conversion_slot():
        image = open_jpeg(data)
        left, top = box.x * image.width, box.y * image.height
        region = (int(left), int(top), int(left + box.width * image.width) or 1,
                  int(top + box.height * image.height) or 1)
        return encode(image.crop(region), quality=quality)


def event_thumbnail(event: Event, extension: str = "jpg") -> Response:
    """175 pixels tall like Frigate's; ``format=android`` pads it to 2:1 for notifications."""
    android = request.args.get("format", "ios")
    if android not in ("ios", "android"):
        raise params.bad("format", "must be ios or android")
    stored = stored_picture(event)
    source = stored.read_bytes() if stored is not None else live_frame(event.camera)
    if source is None:
        raise ApiError(404, f"Event {event.id} has no thumbnail")
    with conversion_slot():
        try:
            image = resized(open_jpeg(source, THUMBNAIL_HEIGHT), THUMBNAIL_HEIGHT)
        except ImageError as exc:
            raise ApiError(404, f"Event {event.id} has no readable thumbnail") from exc
        if android == "android":
            image = two_to_one(image)
        thumbnail = encode(image)
    return image_response(thumbnail, extension, cache=not in_progress(event, now()))


def thumbnail_base64(event: Event) -> str | None:
    stored = stored_picture(event)
    if stored is None:
        return None
    try:
        with conversion_slot():
            data = encode(resized(open_jpeg(stored.read_bytes(), THUMBNAIL_HEIGHT), THUMBNAIL_HEIGHT))
    except (OSError, ImageError):
        return None
    return base64.b64encode(data).decode()


def ffmpeg_slot() -> threading.BoundedSemaphore:
    # The wait and ffmpeg take seconds: this request's pooled database connection goes back meanwhile.
    appliance().db.release()
    if not _FFMPEG_SLOTS.acquire(timeout=10):
        raise ApiError(503, "busy making other videos; try again shortly", retry_after=5)
    return _FFMPEG_SLOTS


def temporary(suffix: str) -> Path:
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115
        prefix="securitycam-", suffix=suffix, dir=appliance().paths.scratch, delete=False)
    handle.close()
    return Path(handle.name)


def send_temporary(path: Path, mimetype: str, download_name: str) -> Response:
    """Send a file made for this request. Its name goes at once: the response holds the file open
    and its blocks are freed when the server closes it. (A hook on the response's close would never
    run: a WSGI server closes a file response's file, not the response.)"""
    try:
        return send_file(path, mimetype=mimetype, conditional=True, download_name=download_name)
    finally:
        path.unlink(missing_ok=True)


def event_clip(event: Event) -> Response:
    """The event's clip: its one file (with HTTP Range), or its parts joined without re-encoding."""
    found = event_clips(event)
    if not found:
        raise ApiError(404, f"No clip available for event {event.id}")
    if len(found) == 1:
        response = send_file(found[0], mimetype="video/mp4", conditional=True, max_age=3600)
        response.headers["Content-Disposition"] = f'inline; filename="{event.camera}-{event.id}.mp4"'
        return response
    output = temporary(".mp4")
    slot = ffmpeg_slot()
    try:
        clips.join(found, output)
    except clips.ClipError as exc:
        output.unlink(missing_ok=True)
        raise ApiError(500, f"joining the clips of event {event.id} failed: {exc}") from exc
    finally:
        slot.release()
    return send_temporary(output, "video/mp4", f"{event.camera}-{event.id}.mp4")


def preview_gif(event: Event) -> Response:
    """Frigate's: the event's first 20 seconds (at most its length), from the kept recordings, else
    from its first clip; made by the preview cache (one ffmpeg at a time, cached)."""
    seconds = max(1.0, min(event.end_time - event.start_time, PREVIEW_SECONDS) if event.end_time else PREVIEW_SECONDS)
    a = appliance()
    if a.recorder.recordings.overlapping(event.camera, event.start_time, event.start_time + seconds):
        path = previews.served(a.previews.range_animation, event.camera, event.start_time,
                               event.start_time + seconds, "gif", now())
    else:
        found = event_clips(event)
        if not found:
            raise ApiError(404, f"No clip available for event {event.id}")
        path = previews.served(a.previews.clip_animation, event.camera, found[0], PREVIEW_SECONDS, "gif")
    response = send_file(path, mimetype="image/gif", conditional=True, download_name=f"{event.camera}-{event.id}.gif")
    response.headers["Cache-Control"] = "no-store" if in_progress(event, now()) else "private, max-age=2592000"
    return response


# -- listing --------------------------------------------------------------------------------------------


def query_from_request() -> EventQuery:
    sort = request.args.get("sort") or "date_desc"
    if sort in NEWEST_FIRST_SORTS:
        sort = "date_desc"
    if sort not in SORTS:
        raise params.bad("sort", f"must be one of {', '.join((*SORTS, *NEWEST_FIRST_SORTS))}")
    time_range = params.time_range()
    tz = params.zone()
    return EventQuery(
        ids=params.names("event_id"),
        cameras=params.names("cameras", "camera"),
        labels=params.names("labels", "label"),
        sub_labels=params.names("sub_labels", "sub_label"),
        zones=params.names("zones", "zone"),
        after=params.number("after"),
        before=params.number("before"),
        has_clip=params.flag("has_clip"),
        has_snapshot=params.flag("has_snapshot"),
        in_progress=params.flag("in_progress"),
        # Frigate filters on favorites=1 only; 0 means "all".
        retained=params.flag("favorites") or None,
        min_score=params.number("min_score", 0, 1),
        max_score=params.number("max_score", 0, 1),
        min_length=params.number("min_length", 0),
        max_length=params.number("max_length", 0),
        time_range=time_range,
        utc_offset=params.utc_offset(tz),
        sort=sort,
        limit=params.whole("limit", 100, 1, 10_000),
    )


@bp.get("/events")
def list_events():  # type: ignore[no-untyped-def]
    query = query_from_request()
    with_thumbnails = params.flag("include_thumbnails", False)
    if params.flag("is_submitted"):
        return jsonify([])  # nothing is ever submitted to Frigate+ here
    moment = now()
    events = appliance().events.list(query)
    return jsonify([frigate_event(event, moment, thumbnail_base64(event) if with_thumbnails else None)
                    for event in events])


@bp.get("/labels")
def labels():  # type: ignore[no-untyped-def]
    """The labels events have (``camera``: of that camera's), as Frigate's filters list them."""
    return jsonify(appliance().events.labels(request.args.get("camera") or None))


@bp.get("/sub_labels")
def sub_labels():  # type: ignore[no-untyped-def]
    """The sub labels events have; ``split_joined=1`` lists each name of ``"alice, bob"`` on its own."""
    found = appliance().events.sub_labels()
    if params.flag("split_joined", False):
        found = sorted({name.strip() for sub_label in found for name in sub_label.split(",") if name.strip()})
    return jsonify(found)


@bp.get("/events/summary")
def events_summary():  # type: ignore[no-untyped-def]
    """Streamed as the rows are read (a year of events may answer hundreds of thousands of rows: as a
    list of dicts and one JSON string they took hundreds of megabytes). The request's context (its
    database connection) stays until the last row is sent."""
    offset = params.utc_offset(params.zone())
    rows = appliance().events.summary(offset, params.flag("has_clip"), params.flag("has_snapshot"))
    return Response(stream_with_context(summary_json(rows)), mimetype="application/json")


SUMMARY_CHUNK = 1000


class _Encoded(dict):
    """Each value's JSON, made on first use (a summary repeats a few names hundreds of thousands of times)."""

    def __init__(self, encode: Callable[[Any], str]) -> None:
        super().__init__({None: "null"})
        self._encode = encode

    def __missing__(self, value: Any) -> str:
        encoded = self[value] = self._encode(value)
        return encoded


def summary_json(rows: Iterable[SummaryRow]) -> Iterator[str]:
    """The rows as Frigate's JSON list (``{camera, label, sub_label, zones, day, count, data: {}}``), compact
    as ``jsonify`` writes it, in pieces of :data:`SUMMARY_CHUNK` rows."""
    names = _Encoded(json.dumps)
    zone_lists = _Encoded(lambda zones: json.dumps(json.loads(zones), separators=(",", ":")))
    lines: list[str] = []
    opening = "["
    for day, camera, label, sub_label, zones, count in rows:
        lines.append(f'{{"camera":{names[camera]},"label":{names[label]},"sub_label":{names[sub_label]},'
                     f'"zones":{zone_lists[zones]},"day":"{day}","count":{count},"data":{{}}}}')
        if len(lines) == SUMMARY_CHUNK:
            yield opening + ",".join(lines)
            opening = ","
            lines.clear()
    yield (opening + ",".join(lines) if lines else opening.strip(",")) + "]"


@bp.get("/events/<event_id>")
def get_event(event_id: str):  # type: ignore[no-untyped-def]
    return jsonify(frigate_event(find_event(event_id), now()))


@bp.delete("/events/<event_id>")
def delete_event(event_id: str):  # type: ignore[no-untyped-def]
    a = appliance()
    event = find_event(event_id)
    a.recorder.forget(event.id)
    # Detection first: an object still tracked under the event would write its snapshot again.
    remove_thumbnails(a.detection.forget_events([event.id]))
    for clip in event_clips(event):
        a.janitor.delete(clip, "recording")
    a.janitor.delete(snapshot_file(event), "snapshot")  # with its index row; what is left of the rest below
    for picture in a.paths.event_pictures(event.camera, event.id):
        picture.unlink(missing_ok=True)
    a.events.delete(event.id)
    return jsonify(success=True, message=f"Event {event.id} deleted")


@bp.post("/events/<event_id>/retain")
def retain(event_id: str):  # type: ignore[no-untyped-def]
    appliance().events.update(find_event(event_id).id, retain_indefinitely=True)
    return jsonify(success=True, message=f"Event {event_id} retained")


@bp.delete("/events/<event_id>/retain")
def unretain(event_id: str):  # type: ignore[no-untyped-def]
    appliance().events.update(find_event(event_id).id, retain_indefinitely=False)
    return jsonify(success=True, message=f"Event {event_id} un-retained")


@bp.post("/events/<event_id>/plus")
def send_to_plus(event_id: str):  # type: ignore[no-untyped-def]
    raise ApiError(400, PLUS_NOT_CONFIGURED)


@bp.put("/events/<event_id>/false_positive")
def false_positive(event_id: str):  # type: ignore[no-untyped-def]
    event = find_event(event_id)
    if event.false_positive:
        raise ApiError(400, "False positive already submitted")
    appliance().events.update(event.id, false_positive=True)
    return jsonify(success=True, plus_id=None, message=f"Event {event.id} marked as a false positive")


class SubLabel(BaseModel):
    subLabel: str = Field(max_length=100)
    subLabelScore: float | None = Field(None, gt=0.0, le=1.0)
    camera: str | None = None


@bp.post("/events/<event_id>/sub_label")
def set_sub_label(event_id: str):  # type: ignore[no-untyped-def]
    body = parse_body(SubLabel)
    event = find_event(event_id)
    sub_label = body.subLabel.strip() or None
    score = body.subLabelScore if sub_label else None
    appliance().events.update(event.id, sub_label=sub_label, data={**event.data, "sub_label_score": score})
    appliance().bus.publish(TRACKED_OBJECT_UPDATE, {
        "type": "classification", "id": event.id, "camera": event.camera, "timestamp": now(), "model": None,
        "sub_label": sub_label, "score": score})
    return jsonify(success=True, message=f"Event {event.id} sub label set to {sub_label or 'None'}")


@bp.get("/events/<event_id>/thumbnail.jpg", defaults={"extension": "jpg"})
@bp.get("/events/<event_id>/thumbnail.png", defaults={"extension": "png"})
@bp.get("/events/<event_id>/thumbnail.webp", defaults={"extension": "webp"})
def thumbnail(event_id: str, extension: str):  # type: ignore[no-untyped-def]
    return event_thumbnail(find_event(event_id), extension)


@bp.get("/events/<event_id>/snapshot.jpg")
def snapshot(event_id: str):  # type: ignore[no-untyped-def]
    return event_snapshot(find_event(event_id))


@files_bp.get("/clips/<name>")
def snapshot_by_file_name(name: str):  # type: ignore[no-untyped-def]
    """``/clips/<camera>-<event id>.jpg``: the event's stored snapshot."""
    stem, dot, extension = name.rpartition(".")
    if not dot or extension != "jpg" or "-" not in stem:
        raise ApiError(404, "not an event snapshot")
    # An event id is "<epoch>-<6 characters>"; the camera's name is what comes before it.
    parts = stem.rsplit("-", 2)
    event = appliance().events.get("-".join(parts[1:])) if len(parts) == 3 else None
    stored = stored_picture(event) if event is not None and event.camera == parts[0] else None
    if stored is None:
        raise ApiError(404, "no such event snapshot")
    return jpeg_response(stored.read_bytes(), cache=True)


@bp.get("/events/<event_id>/snapshot-clean.png", defaults={"extension": "png"})
@bp.get("/events/<event_id>/snapshot-clean.webp", defaults={"extension": "webp"})
def snapshot_clean(event_id: str, extension: str):  # type: ignore[no-untyped-def]
    event = find_event(event_id)
    download = params.flag("download", False)
    stored = stored_picture(event, clean=True)
    if stored is None:
        raise ApiError(404, f"Event {event.id} has no clean snapshot")
    image_format, mimetype = IMAGE_TYPES[extension]
    data = stored.read_bytes() if stored.suffix == f".{extension}" else converted(stored.read_bytes(), image_format)
    response = Response(data, mimetype=mimetype)
    if download:
        response.headers["Content-Disposition"] = f'attachment; filename="{event.camera}-{event.id}-clean.{extension}"'
    return response


@bp.get("/events/<event_id>/clip.mp4")
def clip(event_id: str):  # type: ignore[no-untyped-def]
    return event_clip(find_event(event_id))


@bp.get("/events/<event_id>/preview.gif")
def preview(event_id: str):  # type: ignore[no-untyped-def]
    return preview_gif(find_event(event_id))


# -- manual events ------------------------------------------------------------------------------------


class DrawnBox(BaseModel):
    model_config = ConfigDict(extra="forbid")
    box: list[float] = Field(min_length=4, max_length=4)
    color: list[int] = Field([255, 0, 0], min_length=3, max_length=3)
    score: float | None = None


class Drawing(BaseModel):
    model_config = ConfigDict(extra="forbid")
    boxes: list[DrawnBox] = Field(default_factory=list, max_length=50)


class NewEvent(BaseModel):
    sub_label: str | None = Field(None, max_length=100)
    score: float | None = Field(0, ge=0, le=1)
    # Seconds; null: in progress until PUT /api/events/<id>/end.
    duration: int | None = Field(30, ge=1, le=86400)
    include_recording: bool | None = True
    draw: Drawing | None = None
    pre_capture: int | None = Field(None, ge=0, le=60)


class EventEnd(BaseModel):
    end_time: float | None = None


def save_snapshot(event: Event, frame: bytes) -> bool:
    """The frame as ``<camera>-<id>-clean.png`` and, with the requested boxes drawn, ``.jpg``."""
    with conversion_slot():
        try:
            image = open_jpeg(frame)
        except ImageError:
            return False
        clean = encode(image, "PNG")
        draw_boxes(image, event_boxes(event))
        drawn = encode(image, quality=90)
    write_atomic(snapshot_file(event, clean=True), clean)
    write_atomic(snapshot_file(event), drawn)
    return True


@bp.post("/events/<camera>/<label>/create")
def create_event(camera: str, label: str):  # type: ignore[no-untyped-def]
    body = parse_body(NewEvent, optional=True)
    a = appliance()
    if camera not in {settings.name for settings in a.settings.get().Cameras}:
        raise ApiError(404, f"{camera} is not a valid camera.")
    if not label.strip() or len(label) > 100:
        raise ApiError(400, "label: must be 1 to 100 characters", field="label")
    data: dict[str, Any] = {"type": "api"}
    if body.draw and body.draw.boxes:
        data["draw"] = body.draw.model_dump()
    for box in body.draw.boxes if body.draw else []:
        if any(not 0 <= value <= 1 for value in box.box) or any(not 0 <= value <= 255 for value in box.color):
            raise ApiError(400, "draw.boxes: box values are 0-1, colors 0-255", field="draw.boxes")
    event = a.events.open(camera, "api", label, sub_label=body.sub_label, score=body.score, data=data)
    if not body.include_recording:
        a.recorder.forget(event.id)
    frame = live_frame(camera)
    if frame is not None and save_snapshot(event, frame):
        a.events.update(event.id, has_snapshot=True)
        a.janitor.file_written(snapshot_file(event), event.id)
    if body.duration is not None:
        a.events.end(event.id, event.start_time + body.duration)
    return jsonify(success=True, message="Successfully created event.", event_id=event.id)


@bp.put("/events/<event_id>/end")
def end_event(event_id: str):  # type: ignore[no-untyped-def]
    body = parse_body(EventEnd, optional=True)
    event = find_event(event_id)
    if body.end_time is not None and body.end_time < event.start_time:
        raise ApiError(400, f"end_time ({body.end_time}) cannot be before start_time ({event.start_time}).",
                       field="end_time")
    appliance().events.end(event.id, body.end_time)
    return jsonify(success=True, message="Event successfully ended.")


# -- clips by camera (frigate-api-reference.md) ------------------------------------------------------------


def camera_name(name: str) -> str:
    if name not in {camera.name for camera in appliance().settings.get().Cameras}:
        raise ApiError(404, f"{name} is not a valid camera.")
    return name


@bp.get("/clips/<camera>")
def camera_clips(camera: str):  # type: ignore[no-untyped-def]
    """The camera's events that have a clip, newest first, with where to fetch each."""
    query = EventQuery(cameras=[camera_name(camera)], has_clip=True, limit=params.whole("limit", 100, 1, 10_000),
                       after=params.number("after"), before=params.number("before"))
    moment = now()
    return jsonify([{**frigate_event(event, moment), "clip": f"/api/clips/{camera}/{event.id}.mp4"}
                    for event in appliance().events.list(query)])


@bp.get("/clips/<camera>/<event_id>.mp4")
def camera_clip(camera: str, event_id: str):  # type: ignore[no-untyped-def]
    event = find_event(event_id)
    if event.camera != camera_name(camera):
        raise ApiError(404, f"Event {event_id} is not on camera {camera}")
    return event_clip(event)
