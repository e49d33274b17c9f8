"""Frigate's recordings endpoints under ``/api`` (``frigate-http-api.md``, Recordings; shapes as
Frigate 0.16 answers them), over the kept segments (:mod:`securitycam.recorder.recordings`).

- ``GET /api/<camera>/recordings?after=&before=``: the segments (default: the last hour);
- ``GET /api/<camera>/recordings/summary?timezone=``: per day, per hour: seconds kept, motion,
  objects and events with a clip;
- ``GET /api/recordings/summary?cameras=&timezone=``: the days that have recordings;
- ``GET /api/recordings/storage``: MB kept per camera and MB/hour over the last hour;
- ``GET /api/<camera>/recordings/<frame_time>/snapshot.png`` (or ``.jpg``; ``height``): a frame;
- ``GET /api/<camera>/start/<s>/end/<e>/clip.mp4``: any range as an MP4, stream copy, streamed.

Times are epoch seconds; a parameter that is not a number, a range that ends before it starts or
is longer than :data:`MAX_RANGE_SECONDS`, or an unknown time zone is a 400 naming it; an unknown
camera is a 404.
"""

from __future__ import annotations

import math
import threading
from collections import defaultdict
from datetime import datetime, tzinfo

from flask import Blueprint, Response, jsonify, request

from securitycam.api.common import ApiError, appliance, query_int
from securitycam.api.frigate import params
from securitycam.config.models import CameraSettings
from securitycam.imaging import conversion_slot
from securitycam.recorder import ranges
from securitycam.recorder.recordings import RecordingStore

bp = Blueprint("frigate_recordings", __name__, url_prefix="/api")

# A day, even one with a daylight-saving change: what a playlist, a clip or an export may span.
MAX_RANGE_SECONDS = 25 * 3600
HOUR = 3600.0
# Range clips streamed at once (each is an ffmpeg reading the card); more wait for a 503.
CLIP_STREAMS = threading.BoundedSemaphore(2)


def store() -> RecordingStore:
    return appliance().recorder.recordings


def known_camera(name: str) -> CameraSettings:
    camera = next((camera for camera in appliance().settings.get().Cameras if camera.name == name), None)
    if camera is None:
        raise ApiError(404, f"{name} is not a valid camera.")
    return camera


# 9999-12-31 23:59:59 UTC: no later time is a date (nor fits SQLite's integers when rounded).
LAST_EPOCH = 253_402_300_799.0


def epoch(name: str, raw: str | None, default: float | None = None) -> float:
    """The epoch-seconds parameter ``name``; a 400 names it unless it is a number from 0 to :data:`LAST_EPOCH`."""
    if raw is None and default is not None:
        return default
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise ApiError(400, f"{name}: must be a number of epoch seconds", field=name) from exc
    if not 0 <= value <= LAST_EPOCH:  # NaN fails this too
        raise ApiError(400, f"{name}: must be a number of epoch seconds (up to year 9999)", field=name)
    return value


def time_range(start: float, end: float, start_name: str = "start", end_name: str = "end",
               longest: float = MAX_RANGE_SECONDS) -> tuple[float, float]:
    if end < start:
        raise ApiError(400, f"{end_name}: must not be before {start_name}", field=end_name)
    if end - start > longest:
        raise ApiError(400, f"{end_name}: the range may be at most {longest / 3600:g} hours", field=end_name)
    return start, end


@bp.get("/<camera_name>/recordings")
def recordings(camera_name: str):  # type: ignore[no-untyped-def]
    now = appliance().clock.time()
    after = epoch("after", request.args.get("after"), now - HOUR)
    before = epoch("before", request.args.get("before"), now)
    time_range(after, before, "after", "before")
    known_camera(camera_name)
    return jsonify(store().frigate_listing(camera_name, after, before))


@bp.get("/<camera_name>/recordings/summary")
def recordings_summary(camera_name: str):  # type: ignore[no-untyped-def]
    """Per local day (newest first) and hour: seconds of footage, motion, objects, events with a clip."""
    zone = params.zone()
    known_camera(camera_name)
    hours: dict[str, dict[str, float]] = defaultdict(lambda: {"duration": 0.0, "motion": 0, "objects": 0})
    for _camera, bucket, duration, motion, objects in store().buckets([camera_name]):
        entry = hours[_local_hour(bucket, zone)]
        entry["duration"] += duration
        entry["motion"] += motion
        entry["objects"] += objects
    events: dict[str, int] = defaultdict(int)
    for row in appliance().db.execute(
        "SELECT CAST(start_time / 900 AS INTEGER) * 900 AS bucket, count(*) AS n FROM events "
        "WHERE camera = ? AND has_clip = 1 GROUP BY bucket", (camera_name,)):
        events[_local_hour(float(row["bucket"]), zone)] += row["n"]
    days: dict[str, dict] = {}
    for key in sorted(hours, reverse=True):
        day, hour = key.split(" ")
        entry = hours[key]
        summary = days.setdefault(day, {"events": 0, "hours": [], "day": day})
        summary["events"] += events.get(key, 0)
        summary["hours"].append({"hour": hour, "events": events.get(key, 0), "motion": entry["motion"],
                                 "objects": entry["objects"], "duration": round(entry["duration"])})
    return jsonify(list(days.values()))


@bp.get("/recordings/summary")
def all_recordings_summary():  # type: ignore[no-untyped-def]
    """``{"YYYY-MM-DD": true}`` for each local day with recordings of ``cameras`` (``all`` by default)."""
    zone = params.zone()
    raw = request.args.get("cameras", "all")
    cameras = None if raw in ("", "all") else [name for name in raw.split(",") if name]
    days = {_local_hour(bucket, zone).split(" ")[0] for _camera, bucket, *_rest in store().buckets(cameras)}
    return jsonify({day: True for day in sorted(days, reverse=True)})


@bp.get("/recordings/storage")
def recordings_storage():  # type: ignore[no-untyped-def]
    """Per camera: ``usage`` (MB kept), ``bandwidth`` (MB kept of the last hour) and ``usage_percent``
    of the data directory's filesystem."""
    now = appliance().clock.time()
    total_mb = appliance().janitor.usage().total / 1_000_000 or 1.0
    usage = store().usage(since=now - HOUR)
    answer = {}
    for camera in appliance().settings.get().Cameras:
        kept = usage.get(camera.name, {"bytes": 0, "recent": 0})
        mb = kept["bytes"] / 1_000_000
        answer[camera.name] = {"usage": round(mb, 3), "bandwidth": round(kept["recent"] / 1_000_000, 3),
                               "usage_percent": round(mb / total_mb * 100, 4)}
    return jsonify(answer)


@bp.get("/<camera_name>/recordings/<frame_time>/snapshot.<image_format>")
def recording_snapshot(camera_name: str, frame_time: str, image_format: str):  # type: ignore[no-untyped-def]
    if image_format not in ("png", "jpg", "jpeg"):
        raise ApiError(400, "format: must be png or jpg", field="format")
    moment = epoch("frame_time", frame_time)
    height = query_int("height", 0, 0, 4320) or None
    known_camera(camera_name)
    recording = store().at(camera_name, moment) or store().at(camera_name, math.ceil(moment))
    if recording is None:
        raise ApiError(404, f"Recording not found at {moment}")
    kind = "png" if image_format == "png" else "jpeg"
    with conversion_slot():
        image = ranges.frame_at(recording, moment, kind, height)
    if image is None:
        raise ApiError(404, f"Unable to parse frame at time {moment}")
    return Response(image, mimetype=f"image/{kind}", headers={"Cache-Control": "private, max-age=3600"})


@bp.get("/<camera_name>/start/<start>/end/<end>/clip.mp4")
def range_clip(camera_name: str, start: str, end: str):  # type: ignore[no-untyped-def]
    """The range as one MP4, stream copy, streamed while ffmpeg makes it (fragmented: plays at once)."""
    begin, finish = time_range(epoch("start", start), epoch("end", end))
    known_camera(camera_name)
    footage = store().overlapping(camera_name, begin, finish)
    if not footage:
        raise ApiError(404, "No recordings found.")
    if not CLIP_STREAMS.acquire(blocking=False):
        raise ApiError(503, "too many range clips are being made; try again shortly", retry_after=5)
    name = f"{camera_name}_{int(begin)}-{int(finish)}.mp4"
    response = Response(ranges.stream_mp4(footage, begin, finish), mimetype="video/mp4",
                        headers={"Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "no-store"})
    # Released when the response is closed, whether or not it was read at all.
    response.call_on_close(CLIP_STREAMS.release)
    return response


def _local_hour(bucket: float, zone: tzinfo) -> str:
    return datetime.fromtimestamp(bucket, tz=zone).strftime("%Y-%m-%d %H")
