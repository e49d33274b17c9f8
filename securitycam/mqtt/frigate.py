"""Frigate's MQTT payloads, built from the appliance's own records.

``<prefix>/events`` carries ``{"type": "new"|"update"|"end", "before": {...}, "after": {...}}``
with Frigate's tracked-object fields. An event here is a row of the events table (a sensor, a
person, a manual recording); the fields Frigate fills from its tracker (``box``, ``region``,
``score``...) are taken from the event's ``data`` when detection puts them there, and are
otherwise null. Two fields are ours: ``source`` (sensor, object, motion, manual, api) and ``data``.
"""

from __future__ import annotations

import time
from typing import Any

from securitycam import __version__
from securitycam.store.events import Event

NEW, UPDATE, END = "new", "update", "end"
_TRACKER_FIELDS = ("box", "area", "ratio", "region", "snapshot", "thumbnail")


def event_object(event: Event) -> dict[str, Any]:
    """One event as Frigate's ``before``/``after`` object."""
    data = event.data
    active = event.in_progress
    return {
        "id": event.id,
        "camera": event.camera,
        "frame_time": data.get("frame_time", event.end_time or event.start_time),
        "label": event.label,
        "sub_label": event.sub_label,
        "top_score": event.top_score,
        "score": data.get("score", event.top_score),
        "false_positive": event.false_positive,
        "start_time": event.start_time,
        "end_time": event.end_time,
        **{name: data.get(name) for name in _TRACKER_FIELDS},
        "current_zones": list(event.zones) if active else [],
        "entered_zones": list(event.zones),
        "has_clip": event.has_clip,
        "has_snapshot": event.has_snapshot,
        "retain_indefinitely": event.retain_indefinitely,
        "active": active,
        "stationary": bool(data.get("stationary", False)),
        "motionless_count": int(data.get("motionless_count", 0)),
        "position_changes": int(data.get("position_changes", 0)),
        "attributes": data.get("attributes", {}),
        "current_attributes": data.get("current_attributes", []),
        "source": event.source,
        "data": data,
    }


def event_message(kind: str, before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {"type": kind, "before": before, "after": after}


def stats_message(
    started: float,
    cameras: list[dict[str, Any]],
    storage: dict[str, dict[str, Any]],
    cpu_temp: float | None,
) -> dict[str, Any]:
    """Frigate's ``stats`` shape, with what the appliance measures (detection adds its own later)."""
    return {
        "cameras": {
            camera["name"]: {
                "camera_fps": camera.get("fps", 0.0),
                "process_fps": 0.0,
                "skipped_fps": 0.0,
                "detection_fps": 0.0,
                "detection_enabled": camera.get("detect", False),
                "pid": camera.get("pid"),
                "capture_pid": camera.get("pid"),
                "ffmpeg_pid": camera.get("pid"),
            }
            for camera in cameras
        },
        "detectors": {},
        "service": {
            "uptime": round(time.time() - started),
            "version": __version__,
            "latest_version": __version__,
            "storage": storage,
            "temperatures": {} if cpu_temp is None else {"cpu": cpu_temp},
            "last_updated": round(time.time()),
        },
    }
