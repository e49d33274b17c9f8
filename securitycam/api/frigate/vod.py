"""Frigate's HLS video on demand (``/vod``, ``frigate-http-api.md``, Recordings): playlists over
the kept segments, played without re-encoding (:mod:`securitycam.recorder.hls`).

- ``/vod/<camera>/start/<s>/end/<e>/master.m3u8`` (and ``index.m3u8``): a time range;
- ``/vod/event/<id>/master.m3u8`` (and ``index.m3u8``; ``padding`` seconds more on each side):
  an event's footage, from ``pre_capture`` before it to ``post_capture`` after it, as its clip;
- ``/vod/<YYYY-MM>/<DD>/<HH>/<camera>/master.m3u8`` (and ``index.m3u8``): an hour of the
  appliance's local time, or of ``<tz_name>`` (``America,New_York``, ``utc``) in
  ``/vod/<YYYY-MM>/<DD>/<HH>/<camera>/<tz_name>/…``, as Frigate;
- ``seg-<id>.ts`` beside each of them: one of the playlist's camera's segments, with HTTP Range.

Segments sit in the playlist's own directory, as Frigate's nginx-vod serves them, because proxies
forward no further: Home Assistant's proxy passes on a segment only from the directory of the
playlist it signed. Every URL in a playlist carries the query the playlist was asked with (Frigate's
``secure_token $args``): HA's ``authSig``, and a ``?token=`` so that a player that can set neither
a header nor a cookie (``ffmpeg -i URL``) plays them too. Media auth is the guard's: a Bearer token,
``?token=``, or the ``media_token``/``frigate_token`` cookie a ``<video>`` tag sends. No footage in
the range is a 404, as in Frigate.
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlencode

from flask import Blueprint, Response, request, send_file

from securitycam.api.common import ApiError, appliance, query_int
from securitycam.api.frigate import params
from securitycam.api.frigate.recordings import MAX_RANGE_SECONDS, epoch, known_camera, store, time_range
from securitycam.api.media import recording_dirs
from securitycam.paths import inside
from securitycam.recorder import hls
from securitycam.recorder.hls import Row

bp = Blueprint("frigate_vod", __name__, url_prefix="/vod")

PLAYLISTS = ("master.m3u8", "index.m3u8")
MPEGURL = "application/vnd.apple.mpegurl"
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_SEGMENT = re.compile(r"^seg-(\d{1,18})\.ts$")


def _passed_on_query() -> str:
    query = urlencode(list(request.args.items(multi=True)))
    return f"?{query}" if query else ""


def _playlist(playlist: str, camera: str, start: float, end: float) -> Response:
    """``playlist`` of ``camera`` from ``start`` to ``end``, or the segment of it named so."""
    segment = _SEGMENT.match(playlist)
    if segment is not None:
        return _segment(int(segment.group(1)), camera)
    if playlist not in PLAYLISTS:
        raise ApiError(404, f"no playlist {playlist!r}: master.m3u8, index.m3u8 or a seg-<id>.ts of theirs")
    query = _passed_on_query()
    if playlist == "master.m3u8":
        count, peak, average = store().rates(camera, start, end)
        if not count:
            raise ApiError(404, "No recordings found.")
        body = hls.master_playlist(peak, average, f"index.m3u8{query}")
    else:
        rows: list[Row] = store().playlist_rows(camera, start, end)
        if not rows:
            raise ApiError(404, "No recordings found.")
        body = hls.media_playlist(rows, lambda recording_id: f"seg-{recording_id}.ts{query}")
    return Response(body, mimetype=MPEGURL, headers={"Cache-Control": "no-cache"})


def _segment(recording_id: int, camera: str) -> Response:
    recording = store().get(recording_id)
    if recording is None or recording.camera != camera:
        raise ApiError(404, "segment not found")
    # Inside recordings/ or the storage profile's that holds it, whatever the row says.
    path = next((inside(directory, str(recording.path)) for directory in recording_dirs()
                 if directory in recording.path.parents), None)
    if path is None or not path.is_file():
        raise ApiError(404, "segment not found")
    # A kept segment never changes: cache it as long as the player likes.
    return send_file(path, mimetype="video/mp2t", conditional=True, max_age=86400)


@bp.get("/<camera_name>/start/<start>/end/<end>/<playlist>")
def vod_range(camera_name: str, start: str, end: str, playlist: str):  # type: ignore[no-untyped-def]
    begin, finish = time_range(epoch("start", start), epoch("end", end))
    known_camera(camera_name)
    return _playlist(playlist, camera_name, begin, finish)


@bp.get("/event/<event_id>/<playlist>")
def vod_event(event_id: str, playlist: str):  # type: ignore[no-untyped-def]
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
    start = hour_start(year_month, day, hour, tz_name)
    known_camera(camera_name)
    return _playlist(playlist, camera_name, start, start + 3600)


def hour_start(year_month: str, day: str, hour: str, tz_name: str | None) -> float:
    """The epoch of ``YYYY-MM``/``DD``/``HH`` in ``tz_name`` (``Area,City``) or the local zone."""
    match = _YEAR_MONTH.match(year_month)
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise ApiError(400, "year_month: must be YYYY-MM", field="year_month")
    numbers = {}
    for name, raw, low, high in (("day", day, 1, 31), ("hour", hour, 0, 23)):
        if not raw.isdigit() or not low <= int(raw) <= high:
            raise ApiError(400, f"{name}: must be a whole number from {low} to {high}", field=name)
        numbers[name] = int(raw)
    zone = None if tz_name is None else params.named_zone("tz_name", tz_name.replace(",", "/"))
    try:
        moment = datetime(int(match.group(1)), int(match.group(2)), numbers["day"], numbers["hour"], tzinfo=zone)
    except ValueError as exc:
        raise ApiError(400, f"day: {exc}", field="day") from exc
    return moment.timestamp()  # naive: the appliance's local time
