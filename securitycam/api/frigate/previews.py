"""Frigate's previews (``frigate-http-api.md``, Previews; shapes as Frigate 0.16 answers them), made
on demand from the kept segments (:mod:`securitycam.recorder.previews`).

- ``GET /api/preview/<camera>/start/<s>/end/<e>``: the hourly previews overlapping the range
  (``camera`` ``all``: every camera's), each ``{camera, src, type: "video/mp4", start, end}``;
  404 ``No previews found.`` when there are none, as Frigate (also at ``/api/preview/ts/…``, as
  ``frigate-integration-guide-es.md`` spells it);
- ``GET /api/preview/<YYYY-MM>/<DD>/<HH>/<camera>/<tz_name>``: the same for an hour of
  ``tz_name`` (``Area,City``);
- ``GET /api/preview/<camera>/start/<s>/end/<e>/frames``: ``preview_<camera>-<time>.webp``
  names, one per kept segment of the range, and ``GET /api/preview/<name>/thumbnail.jpg|webp``
  the picture one names;
- ``GET /api/review/<id>/preview?format=gif|mp4``: the review item, 8 s more on each side;
  ``GET /api/<camera>/start/<s>/end/<e>/preview.gif|preview.mp4`` (and the document's
  ``…/preview?format=``): a range;
- ``GET /clips/previews/<camera>/<start>-<end>.mp4``: an hourly preview's file (its ``src``).

A preview being made holds the one preview ffmpeg; a request that waits too long for it gets 503.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request, send_file

from securitycam.api.common import ApiError, appliance
from securitycam.api.frigate.recordings import MAX_RANGE_SECONDS, epoch, known_camera, time_range
from securitycam.api.frigate.vod import hour_start
from securitycam.recorder.previews import FORMATS, PreviewError, Previews, parse_frame_name

bp = Blueprint("frigate_previews", __name__, url_prefix="/api")
# Where Frigate's ``src`` points (its nginx serves /clips/).
files_bp = Blueprint("frigate_preview_files", __name__)

ALL_CAMERAS = "all"
# Frigate's padding of a review item's preview.
REVIEW_PADDING = 8.0
# Listings may span a month; animations and frame lists a playlist's range.
MAX_LISTING_SECONDS = 31 * 86400.0
MIMETYPES = {"gif": "image/gif", "mp4": "video/mp4"}


def previews() -> Previews:
    return appliance().previews


def now() -> float:
    return appliance().clock.time()


def served(call, *args):  # type: ignore[no-untyped-def]
    """``call(*args)`` with a preview's failure as the API error that fits."""
    try:
        return call(*args)
    except PreviewError as exc:
        extra = {"retry_after": 5} if exc.status == 503 else {}
        raise ApiError(exc.status, str(exc), **extra) from exc


def cameras_named(name: str) -> list[str]:
    if name == ALL_CAMERAS:
        return [camera.name for camera in appliance().settings.get().Cameras]
    return [known_camera(name).name]


def listing(camera: str, start: float, end: float) -> Response:
    found = previews().listing(cameras_named(camera), start, end, now())
    if not found:
        raise ApiError(404, "No previews found.")
    return jsonify([preview.to_frigate() for preview in found])


@bp.get("/preview/<camera>/start/<start>/end/<end>")
# frigate-integration-guide-es.md's spelling ("preview TS"): the same list.
@bp.get("/preview/ts/<camera>/start/<start>/end/<end>")
def preview_range(camera: str, start: str, end: str):  # type: ignore[no-untyped-def]
    begin, finish = time_range(epoch("start", start), epoch("end", end), longest=MAX_LISTING_SECONDS)
    return listing(camera, begin, finish)


@bp.get("/preview/<year_month>/<day>/<hour>/<camera>/<tz_name>")
def preview_hour(year_month: str, day: str, hour: str, camera: str, tz_name: str):  # type: ignore[no-untyped-def]
    start = hour_start(year_month, day, hour, tz_name)
    return listing(camera, start, start + 3600 - 0.001)


@bp.get("/preview/<camera>/start/<start>/end/<end>/frames")
def preview_frames(camera: str, start: str, end: str):  # type: ignore[no-untyped-def]
    begin, finish = time_range(epoch("start", start), epoch("end", end))
    return jsonify(previews().frame_names(known_camera(camera).name, begin, finish))


@bp.get("/preview/<file_name>/thumbnail.jpg", defaults={"image_format": "jpg"})
@bp.get("/preview/<file_name>/thumbnail.webp", defaults={"image_format": "webp"})
def preview_thumbnail(file_name: str, image_format: str):  # type: ignore[no-untyped-def]
    parsed = parse_frame_name(file_name)
    if parsed is None:
        raise ApiError(400, "Invalid preview filename", field="file_name")
    camera, moment = parsed
    known_camera(camera)
    kind = "jpeg" if image_format == "jpg" else "webp"
    data = served(previews().frame, camera, moment, kind)
    return Response(data, mimetype=f"image/{kind}", headers={"Cache-Control": "private, max-age=31536000"})


def animation(camera: str, start: float, end: float, fmt: str) -> Response:
    if fmt not in FORMATS:
        raise ApiError(400, f"format: must be one of {', '.join(FORMATS)}", field="format")
    path = served(previews().range_animation, camera, start, end, fmt, now())
    response = send_file(path, mimetype=MIMETYPES[fmt], conditional=True,
                         download_name=f"preview_{camera}_{start}-{end}.{fmt}")
    response.headers["Cache-Control"] = "private, max-age=604800" if end < now() else "no-store"
    return response


@bp.get("/review/<review_id>/preview")
def review_preview(review_id: str):  # type: ignore[no-untyped-def]
    fmt = request.args.get("format") or "gif"
    segment = appliance().detection.reviews.get(review_id)
    if segment is None:
        raise ApiError(404, "Review segment not found")
    start = segment.start_time - REVIEW_PADDING
    end = segment.end_time + REVIEW_PADDING if segment.end_time else now()
    return animation(segment.camera, start, min(end, start + MAX_RANGE_SECONDS), fmt)


@bp.get("/<camera>/start/<start>/end/<end>/preview.gif", defaults={"fmt": "gif"})
@bp.get("/<camera>/start/<start>/end/<end>/preview.mp4", defaults={"fmt": "mp4"})
@bp.get("/<camera>/start/<start>/end/<end>/preview")
def range_preview(camera: str, start: str, end: str, fmt: str | None = None):  # type: ignore[no-untyped-def]
    begin, finish = time_range(epoch("start", start), epoch("end", end))
    known_camera(camera)
    return animation(camera, begin, finish, fmt or request.args.get("format") or "gif")


@files_bp.get("/clips/previews/<camera>/<name>")
def preview_file(camera: str, name: str):  # type: ignore[no-untyped-def]
    known_camera(camera)
    path = served(previews().hour_file, camera, name, now())
    return send_file(path, mimetype="video/mp4", conditional=True, max_age=86400)
