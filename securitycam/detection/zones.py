"""Zones: which named polygons an object is in, Frigate's way.

An object is in a zone when the bottom centre of its box (where it stands) is inside the polygon
for ``inertia`` consecutive frames, and it is reported there once it has stayed ``loitering_time``
seconds. It leaves as soon as its bottom centre is outside. A zone with ``objects`` cares only about
those labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from securitycam.config.detection import ZoneSettings, polygon_points


@dataclass
class ZonePresence:
    """One object's standing with every zone of its camera."""

    inside_frames: dict[str, int] = field(default_factory=dict)
    since: dict[str, float] = field(default_factory=dict)
    current: list[str] = field(default_factory=list)
    entered: list[str] = field(default_factory=list)


class Zones:
    def __init__(self, zones: dict[str, ZoneSettings], width: int, height: int) -> None:
        self.settings = zones
        self.polygons = {name: np.array(polygon_points(zone.coordinates, width, height), dtype=np.int32)
                         for name, zone in zones.items()}

    def update(self, presence: ZonePresence, label: str, point: tuple[float, float], now: float) -> list[str]:
        """Move ``presence`` on by one frame; returns the zones the object has just entered."""
        entered = []
        for name, zone in self.settings.items():
            if zone.objects and label not in zone.objects:
                continue
            inside = cv2.pointPolygonTest(self.polygons[name], (float(point[0]), float(point[1])), False) >= 0
            if not inside:
                presence.inside_frames.pop(name, None)
                presence.since.pop(name, None)
                if name in presence.current:
                    presence.current.remove(name)
                continue
            frames = presence.inside_frames[name] = presence.inside_frames.get(name, 0) + 1
            if frames >= zone.inertia:
                since = presence.since.setdefault(name, now)
                if now - since >= zone.loitering_time and name not in presence.current:
                    presence.current.append(name)
                    if name not in presence.entered:
                        presence.entered.append(name)
                    entered.append(name)
        return entered
