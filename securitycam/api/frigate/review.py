"""Frigate's review items under ``/api/review`` (``frigate-http-api.md``, Reviews), as Frigate 0.16
answers them, from the rows detection writes (:mod:`securitycam.store.review`).

- ``GET /api/review``: items active in ``after``..``before`` (default: the last 24 hours), newest
  first; ``cameras``, ``labels``, ``zones`` (``,``-separated, ``all``), ``severity``,
  ``reviewed`` (0, the default: only items the caller has not reviewed; 1: those too) and
  ``limit`` (at most :data:`MAX_ITEMS`, also when absent: Frigate has no ceiling, a Pi needs one).
  Each item carries ``has_been_reviewed`` for the caller.
- ``GET /api/review/<id>``, ``/api/review/event/<event id>`` (404 if none), ``/api/review_ids?ids=a,b``
  (those that exist).
- ``GET /api/review/summary``: ``last24Hours`` and one entry per local day (``timezone``) with
  total and reviewed alerts and detections, over ``cameras``, ``labels``, ``zones``.
- ``POST /api/reviews/viewed {"ids": [...], "reviewed": true}`` marks the caller's items
  (``reviewed: false`` unmarks them, as later Frigate does); ``DELETE /api/review/<id>/viewed``
  unmarks one (Frigate 0.16's way). Reviewed is per user, as in Frigate 0.16, so these are
  self-service: any signed-in user marks what *they* have seen, and nobody else's marks change.
- ``POST /api/reviews/delete {"ids": [...]}`` (admins): the items, their marks and thumbnails.
- ``GET /api/review/activity/motion``: motion per ``scale`` seconds (:mod:`securitycam.store.motion`);
  ``GET /api/review/activity/audio``: ``[]`` (no audio detection; Frigate itself dropped it).
- ``GET /clips/review/<file>``: a review thumbnail, where ``thumb_path``
  (``/media/frigate/clips/review/<file>``, Frigate's path) sends Frigate's web app.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from flask import Blueprint, jsonify, request, send_file
from pydantic import BaseModel, Field, StrictBool

from securitycam.api.common import ApiError, appliance, parse_body, self_service
from securitycam.api.frigate import params
from securitycam.api.guard import current_identity
from securitycam.paths import inside
from securitycam.store.motion import TooManyBins
from securitycam.store.review import SEVERITIES, ReviewCounts, ReviewQuery, ReviewSegment, ReviewStore

bp = Blueprint("frigate_review", __name__, url_prefix="/api")
# Review thumbnails outside /api, where Frigate's nginx serves them.
files_bp = Blueprint("frigate_review_files", __name__)

DAY = 86400.0
HOUR = 3600.0
MAX_ITEMS = 10_000
FRIGATE_THUMBS = "/media/frigate/clips/review/"


class ReviewIds(BaseModel):
    ids: list[str] = Field(min_length=1, max_length=MAX_ITEMS)
    reviewed: StrictBool = True

    def checked(self) -> list[str]:
        if any(not value or len(value) > 100 for value in self.ids):
            raise ApiError(400, "ids: each id is 1 to 100 characters", field="ids")
        return self.ids


def _store() -> ReviewStore:
    return appliance().detection.reviews


def _user() -> str:
    return current_identity().username


def frigate_item(segment: ReviewSegment, reviewed: bool | None = None) -> dict[str, Any]:
    name = segment.thumb_path.rsplit("/", 1)[-1]
    item = {"id": segment.id, "camera": segment.camera, "start_time": segment.start_time,
            "end_time": segment.end_time, "severity": segment.severity,
            "thumb_path": FRIGATE_THUMBS + name if name else "", "data": segment.data}
    if reviewed is not None:
        item["has_been_reviewed"] = reviewed
    return item


def _one(segment: ReviewSegment | None) -> Any:
    if segment is None:
        raise ApiError(404, "Review item not found")
    reviewed = segment.id in _store().reviewed_by(_user(), [segment.id])
    return jsonify(frigate_item(segment, reviewed))


def _filters() -> dict[str, Any]:
    return {"cameras": params.names("cameras"), "labels": params.names("labels"), "zones": params.names("zones")}


def _window(default_span: float) -> tuple[float, float]:
    now = time.time()
    before = params.number("before") or now
    after = params.number("after") or before - default_span
    return after, before


@bp.get("/review")
def review_list():  # type: ignore[no-untyped-def]
    severity = request.args.get("severity") or None
    if severity is not None and severity not in SEVERITIES:
        raise params.bad("severity", f"must be one of {', '.join(SEVERITIES)}")
    include_reviewed = params.flag("reviewed", False)
    limit = params.whole("limit", MAX_ITEMS, 1, MAX_ITEMS)
    after, before = _window(DAY)
    query = ReviewQuery(**_filters(), severity=severity, after=after, before=before, user=_user(),
                        reviewed=None if include_reviewed else False, limit=limit)
    return jsonify([frigate_item(segment, reviewed) for segment, reviewed in _store().query(query)])


@bp.get("/review_ids")
def review_by_ids():  # type: ignore[no-untyped-def]
    ids = params.names("ids")
    if not ids:
        raise params.bad("ids", "a ,-separated list of review ids is required")
    return jsonify([frigate_item(segment) for segment in _store().get_many(ids)])


@bp.get("/review/<review_id>")
def review_item(review_id: str):  # type: ignore[no-untyped-def]
    return _one(_store().get(review_id))


@bp.get("/review/event/<event_id>")
def review_for_event(event_id: str):  # type: ignore[no-untyped-def]
    return _one(_store().for_event(event_id))


def _counts(counts: ReviewCounts) -> dict[str, int]:
    return {"reviewed_alert": counts.reviewed_alert, "reviewed_detection": counts.reviewed_detection,
            "total_alert": counts.total_alert, "total_detection": counts.total_detection}


@bp.get("/review/summary")
def review_summary():  # type: ignore[no-untyped-def]
    offset = params.utc_offset(params.zone("timezone"))
    store, now = _store(), time.time()
    everything = ReviewQuery(**_filters(), user=_user(), limit=None)
    summary: dict[str, Any] = {"last24Hours": _counts(store.counts(
        ReviewQuery(**_filters(), user=_user(), after=now - DAY, limit=None)))}
    for day, counts in store.counts_per_day(everything, offset).items():
        summary[day] = {"day": day, **_counts(counts)}
    return jsonify(summary)


@bp.post("/reviews/viewed")
@self_service  # marks are the caller's own (per user, as in Frigate 0.16)
def mark_viewed():  # type: ignore[no-untyped-def]
    body = parse_body(ReviewIds)
    _store().set_reviewed(_user(), body.checked(), body.reviewed)
    message = "Reviewed multiple items" if body.reviewed else "Marked multiple items as unreviewed"
    return jsonify(success=True, message=message)


@bp.delete("/review/<review_id>/viewed")
@self_service  # unmarks the caller's own mark only
def mark_not_viewed(review_id: str):  # type: ignore[no-untyped-def]
    if _store().get(review_id) is None:
        raise ApiError(404, f"Review {review_id} not found")
    _store().set_reviewed(_user(), [review_id], reviewed=False)
    return jsonify(success=True, message=f"Set Review {review_id} as not viewed")


@bp.post("/reviews/delete")
def delete_items():  # type: ignore[no-untyped-def]
    body = parse_body(ReviewIds)
    remove_thumbnails(appliance().detection.delete_reviews(body.checked()))
    return jsonify(success=True, message="Deleted review items.")


def remove_thumbnails(deleted: Iterable[ReviewSegment]) -> None:
    """Deleted items' thumbnails in ``clips/review`` (a name leading out of it is left alone)."""
    thumbs = appliance().paths.clips / "review"
    for segment in deleted:
        name = segment.thumb_path.rsplit("/", 1)[-1]
        path = inside(thumbs, name) if name else None
        if path is not None:
            path.unlink(missing_ok=True)


@bp.get("/review/activity/motion")
def motion_activity():  # type: ignore[no-untyped-def]
    scale = params.whole("scale", 30, 1, int(DAY))
    after, before = _window(HOUR)
    try:
        answer = appliance().detection.motion_activity.activity(params.names("cameras"), after, before, scale)
    except TooManyBins as exc:
        raise params.bad("scale", f"too fine for this range: {exc}") from exc
    return jsonify(answer)


@bp.get("/review/activity/audio")
def audio_activity():  # type: ignore[no-untyped-def]
    """No audio detection here: no audio activity, for any range."""
    params.names("cameras")
    _window(HOUR)
    return jsonify([])


@files_bp.get("/clips/review/<name>")
def review_thumbnail(name: str):  # type: ignore[no-untyped-def]
    path = inside(appliance().paths.clips / "review", name)
    if path is None or not name.endswith(".webp") or not path.is_file():
        raise ApiError(404, "no such review thumbnail")
    return send_file(path, mimetype="image/webp", conditional=True, max_age=3600)
