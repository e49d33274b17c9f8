"""Detection settings: per camera ``detect``, ``motion``, ``objects``, ``zones``, ``review``,
``snapshots``; top level ``Detectors`` and ``Model``. Names and defaults follow Frigate's
configuration where it has the same knob, so a Frigate user finds them where they expect.

Polygons (motion and object masks, zones) are Frigate's strings ``"x1,y1,x2,y2,..."`` in detect
pixels, or all in 0..1 for fractions of the frame; :func:`polygon_points` turns one into pixels.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from securitycam.config.base import Section

NO_DETECTOR = "none"


def parse_polygon(text: str) -> list[tuple[float, float]]:
    """Frigate's ``"x1,y1,x2,y2,..."``; at least three points, no negative coordinate."""
    try:
        values = [float(part) for part in text.split(",")]
    except ValueError:
        raise ValueError(f"polygon {text!r}: expected numbers separated by commas") from None
    if len(values) < 6 or len(values) % 2:
        raise ValueError(f"polygon {text!r}: needs at least three x,y points")
    if min(values) < 0:
        raise ValueError(f"polygon {text!r}: coordinates cannot be negative")
    return list(zip(values[0::2], values[1::2], strict=True))


def polygon_points(text: str, width: int, height: int) -> list[tuple[int, int]]:
    """The polygon in pixels of a ``width``×``height`` frame (fractions when every value is ≤ 1)."""
    points = parse_polygon(text)
    relative = all(x <= 1 and y <= 1 for x, y in points)
    scale_x, scale_y = (width, height) if relative else (1, 1)
    return [(round(min(x * scale_x, width)), round(min(y * scale_y, height))) for x, y in points]


def _check_polygons(value: list[str]) -> list[str]:
    for polygon in value:
        parse_polygon(polygon)
    return value


Polygons = Annotated[list[str], AfterValidator(_check_polygons), Field(max_length=32)]


class StationarySettings(Section):
    # Frames an object must keep still before it counts as stationary; then the detector checks it
    # only every ``interval`` frames. An event whose object stays still ``max_seconds`` ends.
    threshold: int = Field(50, ge=1, le=10000)
    interval: int = Field(50, ge=1, le=10000)
    max_seconds: float = Field(300, ge=1, le=86400)


class DetectSettings(Section):
    """The raw frames the recorder's ffmpeg hands to detection, and the tracker's patience."""

    enabled: bool = False
    # A long and a short side, laid as the camera's picture is (``CameraSettings.detect_size``).
    width: int = Field(640, ge=64, le=1920, multiple_of=2)
    height: int = Field(360, ge=64, le=1080, multiple_of=2)
    fps: float = Field(5, gt=0, le=15)
    # Which entry of the top-level ``Detectors`` runs; ``none`` runs motion only.
    detector: str = Field("cpu", min_length=1, max_length=32)
    # Frames of detections before an object counts (None: half the fps); frames unseen before gone
    # (None: five seconds' worth).
    min_initialized: int | None = Field(None, ge=1, le=100)
    max_disappeared: int | None = Field(None, ge=1, le=1000)
    stationary: StationarySettings = Field(default_factory=StationarySettings)

    @property
    def initialized_frames(self) -> int:
        return self.min_initialized or max(1, round(self.fps / 2))

    @property
    def disappeared_frames(self) -> int:
        return self.max_disappeared or max(1, round(self.fps * 5))


class MotionSettings(Section):
    """Frigate's motion detector knobs (see ``securitycam.detection.motion``)."""

    enabled: bool = True
    # Pixel change (0-255) that counts as motion, and the smallest changed area (in pixels of the
    # ``frame_height``-high working image) worth a box.
    threshold: int = Field(30, ge=1, le=255)
    contour_area: int = Field(10, ge=1, le=10000)
    # How fast the background follows the picture, and the working height.
    frame_alpha: float = Field(0.01, gt=0, le=1)
    frame_height: int = Field(100, ge=40, le=720)
    improve_contrast: bool = True
    # A change over this share of the frame (a light switched on, the camera's IR mode flipping)
    # is not motion: it is ignored and the background starts again.
    lightning_threshold: float = Field(0.8, ge=0.3, le=1.0)
    mask: Polygons = Field(default_factory=list)
    # With the camera's detector ``none``: motion opens an event (source ``motion``), ended after
    # ``mqtt_off_delay`` seconds without motion.
    record: bool = True
    mqtt_off_delay: float = Field(30, ge=1, le=3600)


class FilterSettings(Section):
    """Per-label false-positive filters (Frigate's ``objects.filters.<label>``)."""

    min_area: int = Field(0, ge=0)
    max_area: int = Field(24_000_000, ge=1)
    min_ratio: float = Field(0, ge=0)
    max_ratio: float = Field(24_000_000, gt=0)
    min_score: float = Field(0.5, ge=0, le=1)
    threshold: float = Field(0.7, ge=0, le=1)
    mask: Polygons = Field(default_factory=list)


class ObjectSettings(Section):
    track: list[str] = Field(default_factory=lambda: ["person"], max_length=100)
    filters: dict[str, FilterSettings] = Field(default_factory=dict)
    # Masks for every label.
    mask: Polygons = Field(default_factory=list)
    # When set, an object opens an event only once it has entered one of these zones.
    required_zones: list[str] = Field(default_factory=list)

    def filter_for(self, label: str) -> FilterSettings:
        return self.filters.get(label) or FilterSettings()


class ZoneSettings(Section):
    coordinates: str
    # Consecutive frames with the object's bottom-centre inside before it counts as in the zone, and
    # seconds it must have been there before the zone is reported (loitering).
    inertia: int = Field(3, ge=1, le=100)
    loitering_time: float = Field(0, ge=0, le=86400)
    # Labels this zone cares about (empty: every tracked label).
    objects: list[str] = Field(default_factory=list)

    @field_validator("coordinates")
    @classmethod
    def _polygon(cls, value: str) -> str:
        parse_polygon(value)
        return value


class SeverityLevelSettings(Section):
    labels: list[str] = Field(default_factory=list)
    required_zones: list[str] = Field(default_factory=list)


class SensorRuleSettings(Section):
    """How a sensor trigger on this camera weighs in a review item's severity.

    A trigger while one of ``alert_with_labels`` is seen is an ``alert`` (only while nobody is home
    when ``only_when_away``); with ``alert_on_motion`` camera motion alone is enough. Anything else
    the sensor joins stays a ``detection``.
    """

    alert_with_labels: list[str] = Field(default_factory=lambda: ["person"])
    only_when_away: bool = True
    alert_on_motion: bool = False


class ReviewSettings(Section):
    alerts: SeverityLevelSettings = Field(
        default_factory=lambda: SeverityLevelSettings(labels=["person", "car"]))
    detections: SeverityLevelSettings = Field(default_factory=SeverityLevelSettings)
    sensors: SensorRuleSettings = Field(default_factory=SensorRuleSettings)
    # Seconds without activity before a review item ends.
    quiet_seconds: float = Field(5, ge=0, le=600)


class SnapshotSettings(Section):
    enabled: bool = True
    bounding_box: bool = True
    quality: int = Field(70, ge=10, le=100)
    # Thumbnail height in pixels (Frigate's is 175).
    thumbnail_height: int = Field(175, ge=32, le=720)


class DetectorSettings(Section):
    """One object detector (``securitycam.detection.detectors``): ``type`` names the plugin.

    ``cpu`` needs nothing else (its model ships with the package); ``onnx`` and ``tflite`` read the
    top-level ``Model`` (a user's model file and label map).
    """

    type: str = "cpu"
    # One thread: the recorder's ffmpeg needs the other cores (two were slower here under load).
    num_threads: int = Field(1, ge=1, le=8)

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        from securitycam.detection.detectors import DETECTOR_TYPES

        if value not in DETECTOR_TYPES:
            raise ValueError(f"unknown detector type {value!r}; known: {', '.join(sorted(DETECTOR_TYPES))}")
        return value


class ModelSettings(Section):
    """A user's model for the ``onnx``/``tflite`` detectors (Frigate's ``model`` section).

    ``model_type`` ``ssd``: outputs boxes (normalised ymin, xmin, ymax, xmax), classes, scores,
    count (TF Object Detection API order). ``yolo``: one output ``[1, 4 + classes, anchors]`` (or
    transposed) of centre/size boxes in input pixels and per-class scores. ``labelmap_path`` is a
    text file with one label per line, or ``id label`` lines.
    """

    path: str = ""
    labelmap_path: str = ""
    model_type: Literal["ssd", "yolo"] = "ssd"
    width: int = Field(320, ge=32, le=1280)
    height: int = Field(320, ge=32, le=1280)
    input_pixel_format: Literal["rgb", "bgr"] = "rgb"
    input_tensor: Literal["nhwc", "nchw"] = "nhwc"
    input_dtype: Literal["uint8", "float"] = "uint8"


def default_detectors() -> dict[str, DetectorSettings]:
    return {"cpu": DetectorSettings()}


class CameraDetection(Section):
    """The detection fields every camera has (mixed into ``CameraSettings``)."""

    detect: DetectSettings = Field(default_factory=DetectSettings)
    motion: MotionSettings = Field(default_factory=MotionSettings)
    objects: ObjectSettings = Field(default_factory=ObjectSettings)
    zones: dict[str, ZoneSettings] = Field(default_factory=dict, max_length=32)
    review: ReviewSettings = Field(default_factory=ReviewSettings)
    snapshots: SnapshotSettings = Field(default_factory=SnapshotSettings)

    @model_validator(mode="after")
    def _zones_known(self) -> Any:
        named = set(self.zones)
        for where, zones in (("objects.required_zones", self.objects.required_zones),
                             ("review.alerts.required_zones", self.review.alerts.required_zones),
                             ("review.detections.required_zones", self.review.detections.required_zones)):
            unknown = sorted(set(zones) - named)
            if unknown:
                raise ValueError(f"{where}: no zone named {', '.join(unknown)}")
        return self
