"""VibeNVR's ``/stats`` (cameras, storage, resources, uptime in its shape) and ``/stats/history``
(events per hour for the last 24 hours, hours without any included as 0).

The history is one ``GROUP BY`` over the events' start times, a range of the ``events_start``
index (``events_camera_start`` with ``camera_id``): a day of events is read once, never the table.
"""

from __future__ import annotations

import os
import re
import time
from datetime import datetime

import psutil
from flask import Blueprint, jsonify, request

from securitycam.api.common import ApiError, appliance
from securitycam.storage.profiles import GIB

bp = Blueprint("stats", __name__)

HOUR = 3600
HOURS = 24
_CAMERA = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


def uptime_text(seconds: float) -> str:
    """``5d 12h 30m`` (VibeNVR's form)."""
    minutes = int(max(0.0, seconds)) // 60
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    return f"{days}d {hours}h {minutes}m"


@bp.get("/stats")
def stats():  # type: ignore[no-untyped-def]
    """Enabled cameras; the data directory's disk (``used_gb``/``total_gb``/``percent``) with each storage
    profile's use; CPU (system-wide since the last call) and memory; the system's uptime."""
    a = appliance()
    usage = a.host.disk_usage(a.paths.root)
    memory = psutil.virtual_memory()
    profiles = a.profiles
    return jsonify({
        "active_cameras": sum(camera.enabled for camera in a.settings.get().Cameras),
        "recording_cameras": sum(c["state"] == "running" for c in a.recorder.status()["cameras"]),
        "storage": {
            "used_gb": round(usage.used / GIB, 2), "total_gb": round(usage.total / GIB, 2), "percent": usage.percent,
            "profiles": [{key: item[key] for key in ("id", "name", "used_gb", "max_size_gb", "available")}
                         for item in (profiles.describe(profile) for profile in profiles.list())],
        },
        "resources": {
            "cpu_percent": psutil.cpu_percent(interval=None),
            "memory_mb": round((memory.total - memory.available) / 2**20, 1),
            "process_memory_mb": round(psutil.Process(os.getpid()).memory_info().rss / 2**20, 1),
        },
        "uptime": uptime_text(time.time() - psutil.boot_time()),
    })


@bp.get("/stats/history")
def history():  # type: ignore[no-untyped-def]
    """24 hourly buckets, oldest first, the last one the hour in progress: ``hour`` (its local start,
    ISO 8601), ``label`` (``HH:MM``) and ``count``; ``camera_id`` counts one camera's events only."""
    camera = request.args.get("camera_id")
    if camera is not None and not _CAMERA.match(camera):
        raise ApiError(400, "camera_id: must be a camera's name (letters, digits, _ and -)", field="camera_id")
    a = appliance()
    first = (int(a.clock.time()) // HOUR - (HOURS - 1)) * HOUR
    end = first + HOURS * HOUR
    camera_clause = "AND camera = ?" if camera else ""
    rows = a.db.query(
        f"SELECT CAST((start_time - ?) / {HOUR} AS INTEGER) AS slot, count(*) AS n FROM events "
        f"WHERE start_time >= ? AND start_time < ? {camera_clause} GROUP BY slot",
        (first, first, end, *((camera,) if camera else ())),
    )
    counts = {row["slot"]: row["n"] for row in rows}
    buckets = []
    for slot in range(HOURS):
        moment = datetime.fromtimestamp(first + slot * HOUR).astimezone()
        buckets.append({"hour": moment.isoformat(timespec="seconds"), "label": moment.strftime("%H:%M"),
                        "count": counts.get(slot, 0)})
    return jsonify(buckets)
