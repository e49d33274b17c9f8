"""History (``appliance-extras.md`` §8): the event journal as JSON or CSV, and the health samples.

``hours`` is a whole number of at least 1 (a 400 names it otherwise); more than is kept is
clamped to what is kept (:mod:`securitycam.history`). Both lists are oldest first.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from securitycam.api.common import appliance, query_int

bp = Blueprint("history", __name__)

DEFAULT_HOURS = 24


def _hours() -> int:
    return query_int("hours", DEFAULT_HOURS, 1)


@bp.get("/event_history")
def event_history():  # type: ignore[no-untyped-def]
    return jsonify(appliance().history.events(_hours()))


@bp.get("/event_history/csv")
def event_history_csv():  # type: ignore[no-untyped-def]
    return Response(appliance().history.events_csv(_hours()), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="event_history.csv"'})


@bp.get("/health_history")
def health_history():  # type: ignore[no-untyped-def]
    return jsonify(appliance().history.health(_hours()))
