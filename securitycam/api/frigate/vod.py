"""Frigate's HLS video on demand (``/vod``, ``frigate-http-api.md``, Recordings): playlists over
the kept segments, played without re-encoding (:mod:`securitycam.recorder.hls`).

- ``/vod/<camera>/start/<s>/end/<e>/master.m3u8`` (and ``index.m3u8``): a time range;
- ``/vod/event/<id>/master.m3u8`` (and ``index.m3u8``; ``padding`` seconds more on each side):
  an event's footage, from ``pre_capture`` before it to ``post_capture`` after it, as its clip;
- ``/vod/<YYYY-MM>/<DD>/<HH>/<camera>/master.m3u8`` (and ``index.m3u8``): an hour of the
  appliance's local time, or of ``<tz_name>`` (``America,New_York``) in
  ``/vod/<YYYY-MM>/<DD>/<HH>/<camera>/<tz_name>/…``, as Frigate;
- ``/vod/segment/<id>.ts``: one segment, with HTTP Range.

Playlists refer to each other and to segments by relative URLs (they work behind a reverse proxy
with a path prefix) and pass on a ``?token=`` the request carried, so a player that can set
neither a header nor a cookie (``ffmpeg -i URL``) plays them too. Media auth is the guard's: a
Bearer token, ``?token=``, or the ``media_token``/``frigate_token`` cookie a ``<video>`` tag sends.
No footage in the range is a 404, as in Frigate.
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Blueprint, Response, request, send_file

from securitycam.api.common import ApiError, appliance, query_int
from securitycam.api.frigate.recordings import MAX_RANGE_SECONDS, epoch, known_camera, store, time_range
from securitycam.api.media import recording_dirs
from securitycam.paths import inside
from securitycam.recorder import hls
from securitycam.recorder.hls import Row

bp = Blueprint("frigate_vod", __name__, url_prefix="/vod")

PLAYLISTS = ("master.m3u8", "index.m3u8")
MPEGURL = "application/vnd.apple.mpegurl"
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def _token_query() -> str:
    token = request.args.get("token")
    return f"?token={quote(token, safe='')}" if token else ""


def _playlist(playlist: str, camera: str, start: float, end: float) -> Response:
    query = _token_query()
    if playlist == "master.m3u8":
        count, peak, average = store().rates(camera, start, end)
        if not count:
            raise ApiError(404, "No recordings found.")
        body = hls.master_playlist(peak, average, f"index.m3u8{query}")
    else:
        rows: list[Row] = store().playlist_rows(camera, start, end)
        if not rows:
            raise ApiError(404, "No recordings found.")
        # From this playlist's directory back up to /vod/, then segment/<id>.ts.
        up = "../" * (request.path.count("/") - 2)
        body = hls.media_playlist(rows, lambda recording_id: f"{up}segment/{recording_id}.ts{query}")
    return Response(body, mimetype=MPEGURL, headers={"Cache-Control": "no-cache"})


def _which(playlist: str) -> str:
    if playlist not in PLAYLISTS:
        raise ApiError(404, f"no playlist {playlist!r}: master.m3u8 or index.m3u8")
    return playlist


@bp.get("/<camera_name>/start/<start>/end/<end>/<playlist>")
def vod_range(camera_name: str, start: str, end: str, playlist: str):  # type: ignore[no-untyped-def]
    _which(playlist)
    begin, finish = time_range(epoch("start", start), epoch("end", end))
    known_camera(camera_name)
    return _playlist(playlist, camera_name, begin, finish)


@bp.get("/event/<event_id>/<playlist>")
def vod_event(event_id: str, playlist: str):  # type: ignore[no-untyped-def]
    _which(playlist)
    padding = query_int("padding", 0, 0, 3600)
    event = appliance().events.get(event_id)
    if event is None:
        raise ApiError(404, "Event not found.")
    camera = next((c for c in appliance().settings.get().Cameras if c.name == event.camera), None)
    pre, post = (camera.pre_capture, camera.post_capture) if camera else (0.0, 0.0)
    start = event.start_time - pre - padding
    end = (appliance().clock.time() if event.end_time is None else event.end_time + post) + padding
    # An event longer than a playlist may be plays its first MAX_RANGE_SECONDS.
    return _playlist(playlist, event.camera, start, min(end, start + MAX_RANGE_SECONDS))


@bp.get("/<year_month>/<day>/<hour>/<camera_name>/<playlist>")
@bp.get("/<year_month>/<day>/<hour>/<camera_name>/<tz_name>/<playlist>")
def vod_hour(year_month: str, day: str, hour: str, camera_name: str, playlist: str,
             tz_name: str | None = None):  # type: ignore[no-untyped-def]
    _which(playlist)
    start = _hour_start(year_month, day, hour, tz_name)
    known_camera(camera_name)
    return _playlist(playlist, camera_name, start, start + 3600)


@bp.get("/segment/<int:recording_id>.ts")
def vod_segment(recording_id: int):  # type: ignore[no-untyped-def]
    recording = store().get(recording_id)
    if recording is None:
        raise ApiError(404, "segment not found")
    # Inside recordings/ or the storage profile's that holds it, whatever the row says.
    path = next((inside(directory, str(recording.path)) for directory in recording_dirs()
                 if directory in recording.path.parents), None)
    if path is None or not path.is_file():
        raise ApiError(404, "segment not found")
    # A kept segment never changes: cache it as long as the player likes.
    return send_file(path, mimetype="video/mp2t", conditional=True, max_age=86400)


def _hour_start(year_month: str, day: str, hour: str, tz_name: str | None) -> float:
    """The epoch of ``YYYY-MM``/``DD``/``HH`` in ``tz_name`` (``Area,City``) or the local zone."""
    match = _YEAR_MONTH.match(year_month)
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise ApiError(400, "year_month: must be YYYY-MM", field="year_month")
    numbers = {}
    for name, raw, low, high in (("day", day, 1, 31), ("hour", hour, 0, 23)):
        if not raw.isdigit() or not low <= int(raw) <= high:
            raise ApiError(400, f"{name}: must be a whole number from {low} to {high}", field=name)
        numbers[name] = int(raw)
    zone = None
    if tz_name is not None:
        try:
            zone = ZoneInfo(tz_name.replace(",", "/"))
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ApiError(400, f"tz_name: unknown time zone {tz_name!r}", field="tz_name") from exc
    try:
        moment = datetime(int(match.group(1)), int(match.group(2)), numbers["day"], numbers["hour"], tzinfo=zone)
    except ValueError as exc:
        raise ApiError(400, f"day: {exc}", field="day") from exc
    return moment.timestamp()  # naive: the appliance's local time
