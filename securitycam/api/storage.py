"""Storage (``appliance-api.md``, Storage endpoints): disk usage and what fills it, the janitor's
limits, a forced cleanup, and locking a file so the janitor never deletes it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, jsonify
from pydantic import BaseModel, ConfigDict, StrictBool

from securitycam.api.common import ApiError, appliance, json_object, parse_body, validate
from securitycam.api.media import existing, places
from securitycam.bus import ARCHIVE_UPDATED
from securitycam.config.models import StorageLimitSettings
from securitycam.recorder import archive
from securitycam.storage.janitor import Janitor

bp = Blueprint("storage", __name__)

# The settings model's own bounds (10-95), so the clamp and the schema cannot disagree.
_BOUNDS = {type(rule).__name__: rule for rule in StorageLimitSettings.model_fields["max_percent"].metadata}
MAX_PERCENT_RANGE = (_BOUNDS["Ge"].ge, _BOUNDS["Le"].le)


class LockRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str
    locked: StrictBool = True


def janitor() -> Janitor:
    return appliance().janitor


def clamped_percent(value: Any) -> int:
    """The spec clamps ``max_percent`` into 10-95; something that is not a number is refused."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:  # NaN
        raise ApiError(400, "max_percent: must be a number", field="max_percent")
    low, high = MAX_PERCENT_RANGE
    return round(min(max(value, low), high))


@bp.get("/storage/status")
def status():  # type: ignore[no-untyped-def]
    """Disk usage, the limit, whether auto-delete is on, bytes and files by kind, the last cleanup
    (``disk_percent``: the seed's name for ``percent``)."""
    status = janitor().status()
    return jsonify(**status, disk_percent=status["percent"])


@bp.post("/storage/configure")
def configure():  # type: ignore[no-untyped-def]
    """``enabled``, ``max_percent`` (clamped to 10-95) and ``retention_days`` per kind (0-3650)."""
    body = json_object()
    current = appliance().settings.get().StorageLimit.model_dump()
    merged = {**current, **body}
    if "max_percent" in body:
        merged["max_percent"] = clamped_percent(body["max_percent"])
    if isinstance(body.get("retention_days"), dict):
        merged["retention_days"] = {**current["retention_days"], **body["retention_days"]}
    limits = validate(StorageLimitSettings, merged, strict=True)
    appliance().settings.update({"StorageLimit": limits.model_dump()})
    return jsonify(success=True, **limits.model_dump(),
                   clamped="max_percent" in body and limits.max_percent != body["max_percent"])


@bp.post("/storage/cleanup")
def cleanup():  # type: ignore[no-untyped-def]
    """Run the janitor now, whatever the schedule and even with auto-delete off; report what went."""
    report = janitor().run(force=True)
    # The seed's one-word summary: whether anything went.
    return jsonify(success=True, action="deleted" if report.deleted_count else "none", **report.to_dict())


@bp.post("/storage/lock")
def lock():  # type: ignore[no-untyped-def]
    """Lock (``locked: true``, the default) or unlock an archive file (an event's snapshot in ``clips/``
    too): the janitor never deletes a locked file."""
    body = parse_body(LockRequest)
    paths = appliance().paths
    path: Path = existing(archive.jailed_any(body.path, [
        *places(archive.CLIP_PATTERN), *places(archive.SNAPSHOT_PATTERN), (paths.clips, archive.EVENT_SNAPSHOT_PATTERN),
        (paths.timelapse, archive.TIMELAPSE_PATTERN), (paths.exports, "*.mp4"),
    ]), "file")
    media = janitor().media
    if media.get(path) is None and media.register(path) is None:
        # A sidecar (an event snapshot's thumbnail): it goes with its file, which is the one to lock.
        raise ApiError(400, f"{path.name} is part of another file: lock that one", field="path")
    item = media.set_locked(path, body.locked)
    appliance().bus.publish(ARCHIVE_UPDATED, {"type": "lock", "path": str(path), "locked": body.locked})
    return jsonify(success=True, **(item.to_dict() if item else {"path": str(path), "locked": body.locked}))
