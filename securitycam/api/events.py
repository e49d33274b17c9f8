"""``GET /events``: the server-sent event stream (token by header, or ``?token=`` for EventSource).

Under waitress the request's environ has ``waitress.client_disconnected``; the subscription keeps it
so the stream ends, and its place on the bus is freed, as soon as the client closes the connection.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from securitycam.api.common import ApiError, appliance
from securitycam.bus import TooManySubscribers

bp = Blueprint("events", __name__)


@bp.get("/events")
def stream():  # type: ignore[no-untyped-def]
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

