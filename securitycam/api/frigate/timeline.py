"""Frigate's timeline under ``/api/timeline`` (``frigate-http-api.md``, Timeline), as Frigate 0.16
answers it, from the rows detection writes (:mod:`securitycam.store.timeline`).

- ``GET /api/timeline``: ``camera`` (a name or ``all``), ``source_id`` (an event id), ``limit``
  (100): rows oldest first, as Frigate (the whole life of one object reads in order).
- ``GET /api/timeline/hourly``: the newest ``limit`` (200) rows of ``cameras`` and ``labels``
  between ``after`` and ``before``, grouped by the hour they fall in (``timezone``):
  ``{"start", "end", "count", "hours": {"<hour epoch>": [rows oldest first]}}``. As in Frigate,
  ``start`` is the newest row's time and ``end`` the oldest's (0 with a single row), and the hour
  keys are epoch-second floats written as text. Hours are whole hours of the zone's clock
  (Frigate adds a half-hour zone's minutes after flooring to the server's hour, which puts rows of
  the first half hour in the next one).
"""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, jsonify, request

from securitycam.api.common import appliance
from securitycam.api.frigate import params
from securitycam.store.timeline import TimelineStore

bp = Blueprint("frigate_timeline", __name__, url_prefix="/api")

HOUR = 3600
MAX_ROWS = 10_000


def _store() -> TimelineStore:
    return appliance().detection.timeline


@bp.get("/timeline")
def timeline():  # type: ignore[no-untyped-def]
    camera = _single("camera")
    rows = _store().list(cameras=[camera] if camera not in (None, params.ALL) else None,
                         source_id=_single("source_id"), limit=params.whole("limit", 100, 1, MAX_ROWS))
    return jsonify(rows)


def _single(name: str) -> str | None:
    value = request.args.get(name) or None
    if value is not None and len(value) > 100:
        raise params.bad(name, "at most 100 characters")
    return value


@bp.get("/timeline/hourly")
def hourly():  # type: ignore[no-untyped-def]
    offset = params.utc_offset(params.zone("timezone"))
    rows = _store().list(cameras=params.names("cameras"), labels=params.names("labels"),
                         after=params.number("after"), before=params.number("before"),
                         limit=params.whole("limit", 200, 1, MAX_ROWS), newest_first=True)
    hours: dict[str, list[dict[str, Any]]] = {}
    for row in reversed(rows):
        hour = math.floor((row["timestamp"] + offset) / HOUR) * HOUR - offset
        hours.setdefault(str(float(hour)), []).append(row)
    return jsonify({"start": rows[0]["timestamp"] if rows else 0, "end": rows[-1]["timestamp"] if len(rows) > 1 else 0,
                    "count": len(rows), "hours": dict(reversed(hours.items()))})
