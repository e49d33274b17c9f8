"""``GET /events``: the server-sent event stream (token by header, or ``?token=`` for EventSource),
and on the same path VibeNVR's list of events for a client whose ``Accept`` prefers JSON;
``GET /events/<id>/download``: the event's clip (or snapshot).

The stream stays the default: no ``Accept``, ``*/*`` (curl), ``text/event-stream`` (EventSource),
or a tie get it; only a client whose ``Accept`` ranks ``application/json`` above
``text/event-stream`` (q-values as RFC 9110 says, by werkzeug) gets the list.

Under waitress the request's environ has ``waitress.client_disconnected``; the subscription keeps it
so the stream ends, and its place on the bus is freed, as soon as the client closes the connection.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, send_file

from securitycam.api.common import ApiError, appliance, query_int
from securitycam.api.frigate.events import event_clips, snapshot_file
from securitycam.bus import TooManySubscribers
from securitycam.paths import inside
from securitycam.store.events import Event, EventQuery

bp = Blueprint("events", __name__)

STREAM, JSON = "text/event-stream", "application/json"
VIDEO, SNAPSHOT = "video", "snapshot"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CAMERA = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


@bp.get("/events")
def stream():  # type: ignore[no-untyped-def]
    if request.accept_mimetypes.best_match([STREAM, JSON]) == JSON:
        return event_list()
    raw_last = request.headers.get("Last-Event-ID") or request.args.get("last_event_id")
    try:
        last_event_id = int(raw_last) if raw_last else None
    except ValueError as exc:
        raise ApiError(400, "Last-Event-ID must be an integer", field="Last-Event-ID") from exc
    bus = appliance().bus
    try:
        subscription = bus.subscribe(last_event_id, client_gone=request.environ.get("waitress.client_disconnected"))
    except TooManySubscribers as exc:
        raise ApiError(503, str(exc), retry_after=5) from exc
    heartbeat = current_app.config["SSE_HEARTBEAT"]
    return Response(
        bus.stream(subscription, heartbeat=heartbeat),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )



def _day(raw: str) -> tuple[float, float]:
    """A local calendar day ``YYYY-MM-DD`` as ``(start, end)`` epoch seconds."""
    try:
        if not _DATE.match(raw):
            raise ValueError(raw)
        start = datetime.strptime(raw, "%Y-%m-%d").astimezone()
        # The next midnight, not 24 h later: a day with a clock change is 23 or 25 h long.
        end = datetime.combine(start.date() + timedelta(days=1), start.time()).astimezone()
        return start.timestamp(), end.timestamp()
    except (ValueError, OverflowError) as exc:  # 9999-12-31 has no next midnight
        raise ApiError(400, "date: must be a day as YYYY-MM-DD (0001-01-02 to 9999-12-30)", field="date") from exc


def _type(event: Event) -> str | None:
    return VIDEO if event.has_clip else SNAPSHOT if event.has_snapshot else None


def _iso(epoch: float | None) -> str | None:
    return None if epoch is None else datetime.fromtimestamp(epoch).astimezone().isoformat(timespec="seconds")


def event_list():  # type: ignore[no-untyped-def]
    """VibeNVR's event list: ``camera_id`` (a camera's name), ``type`` (``video``/``snapshot``),
    ``date`` (``YYYY-MM-DD``, local), ``limit`` (1-1000, 100) and ``offset``; newest first."""
    filters: dict[str, Any] = {}
    camera = request.args.get("camera_id")
    if camera is not None:
        if not _CAMERA.match(camera):
            raise ApiError(400, "camera_id: must be a camera's name (letters, digits, _ and -)", field="camera_id")
        filters["cameras"] = [camera]
    kind = request.args.get("type")
    if kind is not None:
        if kind not in (VIDEO, SNAPSHOT):
            raise ApiError(400, "type: must be video or snapshot", field="type")
        if kind == VIDEO:
            filters["has_clip"] = True
        else:
            filters.update(has_clip=False, has_snapshot=True)
    if "date" in request.args:
        start, end = _day(request.args["date"])
        filters.update(after=start - 1e-6, before=end)  # EventQuery's bounds are exclusive
    limit = query_int("limit", 100, 1, 1000)
    offset = query_int("offset", 0, 0)
    a = appliance()
    events = a.events.list(EventQuery(**filters, limit=limit, offset=offset))
    sizes = a.janitor.media.bytes_by_event([event.id for event in events])
    cameras = {camera.name: camera for camera in a.settings.get().Cameras}
    listing = []
    for event in events:
        camera_settings = cameras.get(event.camera)
        size = sizes.get(event.id)
        if size is None and _type(event) == SNAPSHOT:
            snapshot = _snapshot(event)
            size = snapshot.stat().st_size if snapshot else None
        listing.append({
            "id": event.id, "camera_id": event.camera, "timestamp_start": _iso(event.start_time),
            "timestamp_end": _iso(event.end_time), "type": _type(event), "file_size": size or 0,
            "width": camera_settings.width if camera_settings else None,
            "height": camera_settings.height if camera_settings else None,
            "label": event.label, "source": event.source, "download_url": f"/events/{event.id}/download",
        })
    return jsonify(listing)


def _snapshot(event: Event) -> Path | None:
    path = inside(appliance().paths.clips, snapshot_file(event).name)
    return path if path is not None and path.is_file() else None


@bp.get("/events/<event_id>/download")
def download(event_id: str):  # type: ignore[no-untyped-def]
    """The event's clip (its first, for an event cut into several), else its snapshot, as an attachment."""
    event = appliance().events.get(event_id)
    if event is None:
        raise ApiError(404, f"no event {event_id!r}")
    found = event_clips(event)
    if found:
        return send_file(found[0], mimetype="video/mp4", as_attachment=True, download_name=found[0].name,
                         conditional=True, max_age=3600)
    snapshot = _snapshot(event)
    if snapshot is None:
        raise ApiError(404, f"event {event_id!r} has no clip or snapshot" +
                       (" yet: it is still in progress" if event.end_time is None else ""))
    return send_file(snapshot, mimetype="image/jpeg", as_attachment=True, download_name=snapshot.name,
                     conditional=True, max_age=3600)
