"""An event's best picture: chosen as frames go by, written as JPEGs when it changes.

Frigate's rule for a better picture: one cut by the frame's edge never replaces one that is not;
otherwise a score higher by 0.05, or an area larger by 10 %, wins. The chosen frame is kept (a
copy of its BGR pixels, one per live object) and written, throttled, as
``clips/<camera>-<event id>.jpg`` (with the box, ``snapshots.bounding_box``),
``<camera>-<event id>-clean.jpg`` (without) and ``<camera>-<event id>-thumb.jpg`` (the object
cropped and scaled to ``snapshots.thumbnail_height``). Files are written atomically.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from securitycam.config.detection import SnapshotSettings
from securitycam.fileio import write_atomic

FloatBox = tuple[float, float, float, float]
EDGE_PIXELS = 5


@dataclass
class Picture:
    frame: np.ndarray
    frame_time: float
    box: FloatBox
    score: float

    @property
    def area(self) -> float:
        return (self.box[2] - self.box[0]) * (self.box[3] - self.box[1])

    def on_edge(self) -> bool:
        height, width = self.frame.shape[:2]
        x1, y1, x2, y2 = self.box
        return x1 < EDGE_PIXELS or y1 < EDGE_PIXELS or x2 > width - EDGE_PIXELS or y2 > height - EDGE_PIXELS


def is_better(current: Picture | None, candidate: Picture) -> bool:
    if current is None:
        return True
    if candidate.on_edge() and not current.on_edge():
        return False
    return candidate.score > current.score + 0.05 or candidate.area > current.area * 1.1


@dataclass
class SnapshotFiles:
    snapshot: Path
    clean: Path
    thumbnail: Path

    @classmethod
    def for_event(cls, directory: Path, camera: str, event_id: str) -> SnapshotFiles:
        stem = f"{camera}-{event_id}"
        return cls(directory / f"{stem}.jpg", directory / f"{stem}-clean.jpg", directory / f"{stem}-thumb.jpg")

    def as_dict(self) -> dict[str, str]:
        return {"path": str(self.snapshot), "clean_path": str(self.clean), "thumbnail_path": str(self.thumbnail)}


def encode_jpeg(image: np.ndarray, quality: int) -> bytes:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return data.tobytes()


def thumbnail(picture: Picture, height: int) -> np.ndarray:
    """The object with some room around it, as a square, scaled to ``height``."""
    frame_height, frame_width = picture.frame.shape[:2]
    x1, y1, x2, y2 = picture.box
    side = min(max(x2 - x1, y2 - y1) * 1.3, frame_width, frame_height)
    left = int(min(max(0, (x1 + x2 - side) / 2), frame_width - side))
    top = int(min(max(0, (y1 + y2 - side) / 2), frame_height - side))
    crop = picture.frame[top:top + int(side), left:left + int(side)]
    return cv2.resize(crop, (height, height), interpolation=cv2.INTER_AREA)


def write_snapshot(files: SnapshotFiles, picture: Picture, label: str, settings: SnapshotSettings) -> None:
    files.snapshot.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(files.clean, encode_jpeg(picture.frame, settings.quality))
    boxed = picture.frame
    if settings.bounding_box:
        boxed = picture.frame.copy()
        x1, y1, x2, y2 = (int(v) for v in picture.box)
        cv2.rectangle(boxed, (x1, y1), (x2, y2), (0, 255, 0), 2)
        cv2.putText(boxed, f"{label} {picture.score:.0%}", (x1 + 2, max(12, y1 - 4)),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 255, 0), 1, cv2.LINE_AA)
    write_atomic(files.snapshot, encode_jpeg(boxed, settings.quality))
    write_atomic(files.thumbnail, encode_jpeg(thumbnail(picture, settings.thumbnail_height), settings.quality))
