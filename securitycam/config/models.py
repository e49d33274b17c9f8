"""The settings file's schema.

Top-level keys are sections named as in the spec's ``settings.json`` (``Sensors``,
``StorageLimit``, ``CaptivePortal``, ...). A part that needs settings adds a section model here
and a field on :class:`Settings`; its default is what a fresh appliance gets. Fields marked
:func:`secret` are never returned by ``GET /settings`` nor accepted by ``POST /settings``; fields
marked :func:`write_only` are accepted but never returned (and kept when a client leaves them
out); fields made with :func:`url_with_credentials` are returned with their credentials masked, and keep them
when saved back masked (:mod:`securitycam.config.credentials`).
"""

from __future__ import annotations

from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from securitycam.config.base import Section, Shareable, secret, set_shared, url_with_credentials, write_only
from securitycam.config.detection import (
    NO_DETECTOR,
    CameraDetection,
    DetectorSettings,
    ModelSettings,
    default_detectors,
)
from securitycam.config.picture import IspSettings, NightSettings, RotationAngle, RotationMode, take_seed_camera_keys

__all__ = ["Section", "Shareable", "secret", "set_shared", "url_with_credentials", "write_only"]


SENSOR_ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,31}$"


class SensorSettings(Section):
    """One GPIO sensor bound to a camera. ``id`` names it in ``/sensors/<id>`` and never changes.

    ``gpio`` is null for a type that reads no pin (``mock``). The type and its ``calibration``
    keys are checked against the driver registry by the sensor API (``securitycam.sensors``).
    """

    id: str = Field("sensor1", pattern=SENSOR_ID_PATTERN)
    name: str = Field("", max_length=64)
    type: str = "reed_switch"
    gpio: int | None = Field(22, ge=0, le=27)
    enabled: bool = False
    hold_seconds: float = Field(10, ge=0, le=3600)
    invert_logic: bool = False
    calibration: dict[str, Any] = Field(default_factory=dict)
    camera: str = Field("cam", min_length=1, max_length=64)
    # A sensor that should record even when a known phone is home (e.g. a garage door at night).
    ignore_presence: bool = False


class RetentionDays(Section):
    """Days each kind of file is kept before the storage janitor deletes it; 0 keeps it until space runs short."""

    clips: int = Field(0, ge=0, le=3650)
    snapshots: int = Field(0, ge=0, le=3650)
    timelapse: int = Field(0, ge=0, le=3650)
    exports: int = Field(0, ge=0, le=3650)


class StorageLimitSettings(Section):
    """The storage janitor (``securitycam.storage.janitor``): with ``enabled`` it keeps the data
    directory's filesystem at most ``max_percent`` full, deleting oldest first."""

    enabled: bool = True
    max_percent: int = Field(85, ge=10, le=95)
    retention_days: RetentionDays = Field(default_factory=RetentionDays)


class CaptivePortalSettings(Section):
    enabled: bool = True
    redirect_port: int = Field(5005, ge=1, le=65535)


class FirstBootSettings(Section):
    """The first-boot hotspot (``securitycam.system.firstboot``): with ``enabled``, an appliance with
    no network (none saved, or none reached for ``offline_grace_seconds``) opens its own Wi-Fi with
    the setup page, on the Wi-Fi interface of ``Wifi.interface``; with a saved network it tries that
    one again every ``retry_seconds``.
    ``hotspot_password`` is made on the first start and never shown by the API."""

    enabled: bool = True
    offline_grace_seconds: float = Field(120, ge=10, le=3600)
    retry_seconds: float = Field(600, ge=60, le=86400)
    hotspot_password: str | None = secret()


class TimelapseSettings(Section):
    enabled: bool = False
    interval_minutes: int = Field(5, ge=1, le=60)
    fps: int = Field(24, ge=1, le=60)
    resolution: Literal["original", "640:480", "320:240"] = "640:480"

    @field_validator("resolution", mode="before")
    @classmethod
    def _either_separator(cls, value: Any) -> Any:
        """The spec writes sizes both ways: ``640x480`` is ``640:480``."""
        return value.replace("x", ":") if isinstance(value, str) and value != "original" else value


class AuthSettings(Section):
    enabled: bool = True
    # Kept only to read an appliance set up before user accounts: moved to user "admin" at start.
    password_hash: str | None = secret()
    # Frigate's names: a login lasts session_length seconds; a cookie session with less than
    # refresh_time left (at most half of session_length) gets a fresh token on its next request.
    session_length: int = Field(86400, ge=300, le=90 * 86400)
    refresh_time: int = Field(43200, ge=0, le=90 * 86400)


class ServerSettings(Section):
    # Origins (scheme://host:port) besides the appliance's own that may call the API from a browser.
    cors_origins: list[str] = Field(default_factory=list)
    dashboard_port: int = Field(4321, ge=1, le=65535)


class BluetoothSettings(Section):
    # Off: nobody counts as home, so sensor alerts are never suppressed.
    presence_enabled: bool = True
    # Seconds between presence checks, and unseen seconds before a tracked device counts as gone;
    # a phone asleep in a pocket can miss a few checks without anyone "leaving".
    poll_seconds: float = Field(30, ge=5, le=600)
    away_after_seconds: float = Field(300, ge=30, le=3600)
    # BLE listening per presence check (0: classic l2ping only); POST /bt/scan's default duration.
    listen_seconds: float = Field(5, ge=0, le=30)
    scan_seconds: float = Field(20, gt=0, le=60)


class WifiSettings(Section):
    """Wi-Fi presence (``securitycam.wifi``): phones on the hotspot of ``interface`` count as home,
    and with ``lan_presence`` also phones answering on the LAN. Checked with the Bluetooth devices,
    on ``Bluetooth``'s period and away timeout, and off with ``Bluetooth.presence_enabled``."""

    interface: str = Field("wlan0", pattern=r"^[A-Za-z0-9_.-]{1,15}$")
    lan_presence: bool = True


RetainMode = Literal["all", "motion", "active_objects"]


class RecordRetain(Section):
    """Continuous recording: days kept, and which segments (``motion``/``active_objects``: only those
    the detector marked)."""

    days: float = Field(1, ge=0, le=3650)
    mode: RetainMode = "all"


class ReviewRetain(Section):
    days: float = Field(7, ge=0, le=3650)


class ReviewRecord(Section):
    """Footage around one severity of event (Frigate's ``record.alerts`` / ``record.detections``)."""

    retain: ReviewRetain = Field(default_factory=ReviewRetain)


class RecordSettings(Section):
    """Frigate's per camera ``record``: segments kept out of the ring (``securitycam.recorder.recordings``).

    With ``enabled`` off only event footage is kept, for ``alerts.retain.days`` (sensor, manual and
    API events, people) or ``detections.retain.days`` (other objects, motion); with it on every
    segment (or those with motion / active objects) is kept ``retain.days`` as well. The defaults
    suit a Pi on an SD card: no continuous recording, a week of alerts, three days of detections.
    """

    enabled: bool = False
    retain: RecordRetain = Field(default_factory=RecordRetain)
    alerts: ReviewRecord = Field(default_factory=ReviewRecord)
    detections: ReviewRecord = Field(default_factory=lambda: ReviewRecord(retain=ReviewRetain(days=3)))


class CameraSettings(CameraDetection):
    """One camera: where its video comes from, how the recorder keeps it, and how detection watches it.

    ``source`` names a registered camera source (``securitycam.cameras``): ``synthetic`` (a test
    pattern with a clock, the default with no camera), ``rtsp`` (``url``), ``file`` (``path``,
    looped). Clips run from ``pre_capture`` seconds before an event to ``post_capture`` after it.
    ``width``/``height``/``fps`` are what the camera captures; ``rotation`` turns the picture
    (``rotation_mode``, ``isp`` and ``night``: :mod:`securitycam.config.picture`).
    The detection fields (``detect``, ``motion``, ...) come from
    :class:`~securitycam.config.detection.CameraDetection`.
    """

    name: str = Field("cam", pattern=r"^[A-Za-z0-9_-]{1,32}$")
    enabled: bool = True
    source: str = "synthetic"
    url: str = url_with_credentials()
    path: str = ""
    width: int = Field(640, ge=64, le=3840)
    height: int = Field(360, ge=64, le=2160)
    fps: int = Field(10, ge=1, le=60)
    pre_capture: float = Field(5, ge=0, le=60)
    post_capture: float = Field(5, ge=0, le=300)
    segment_seconds: float = Field(2, ge=0.5, le=10)
    max_clip_seconds: float = Field(300, ge=5, le=3600)
    # How long a segment no event wants stays in the ring before it is deleted.
    ring_seconds: float = Field(30, ge=5, le=600)
    # The latest-frame cache (snapshots, timelapse, detection): frames a second and their width.
    frame_rate: float = Field(2, gt=0, le=15)
    frame_width: int = Field(640, ge=64, le=3840)
    record: RecordSettings = Field(default_factory=RecordSettings)
    # The storage profile (``/storage/profiles`` id) for clips, snapshots and kept recordings; None:
    # the data directory (see securitycam/storage/profiles.py).
    storage_profile: int | None = Field(None, ge=1)
    rotation: RotationAngle = 0
    rotation_mode: RotationMode = "auto"
    isp: IspSettings = Field(default_factory=IspSettings)
    night: NightSettings = Field(default_factory=NightSettings)

    @field_validator("source")
    @classmethod
    def _known_source(cls, value: str) -> str:
        from securitycam.cameras import SOURCES

        if value not in SOURCES:
            raise ValueError(f"unknown camera source {value!r}; known: {', '.join(sorted(SOURCES))}")
        return value

    def detect_size(self) -> tuple[int, int]:
        """Detection's frame size: ``detect.width`` by ``detect.height`` turned, if need be, to the
        orientation of the picture as recorded (after ``rotation``): a landscape camera turned 90 or
        270 degrees gives portrait frames, e.g. 640x360 becomes 360x640. A square picture takes the
        size as written."""
        width, height = (self.height, self.width) if self.rotation in (90, 270) else (self.width, self.height)
        short, long = sorted((self.detect.width, self.detect.height))
        if width == height:
            return self.detect.width, self.detect.height
        return (long, short) if width > height else (short, long)

    def recording_fields(self) -> dict[str, Any]:
        """What the camera's ffmpeg command depends on: a change here restarts the recording; the
        other detection fields only restart the camera's detection pipeline."""
        detect = self.detect
        # ``record`` and ``storage_profile`` are read live by retention, ``night`` by night mode (which
        # restarts the camera itself when the profile changes): none needs a camera restart.
        return {**self.model_dump(exclude={*CameraDetection.model_fields, "record", "storage_profile", "night"}),
                "frames": (detect.enabled, *self.detect_size(), detect.fps)}


class MediaMTXSettings(Section):
    """MediaMTX owns the camera on a Pi and serves live view; used only when its binary is found."""

    enabled: bool = True
    binary: str = "mediamtx"
    rtsp_port: int = Field(8554, ge=1, le=65535)
    hls_port: int = Field(8888, ge=1, le=65535)
    webrtc_port: int = Field(8889, ge=1, le=65535)
    api_port: int = Field(9997, ge=1, le=65535)


class MqttSettings(Section):
    """The MQTT publisher (``securitycam.mqtt``): Frigate's topics and Home Assistant discovery.

    Off by default. ``password`` is write-only: an admin sets it with ``POST /settings`` (or
    ``PUT /settings/MQTT.password``; ``null`` for none); it is kept in the 0600 settings file and
    never shown by ``GET /settings``. ``node_id`` is made once at the first connection and then stays: it names
    this appliance on a broker shared by several (client id, unique ids, the appliance's topics).
    """

    enabled: bool = False
    host: str = Field("localhost", min_length=1, max_length=253)
    port: int = Field(1883, ge=1, le=65535)
    user: str = Field("", max_length=256)
    password: str | None = write_only()
    tls: bool = False
    # A CA bundle for a broker whose certificate the system does not trust, as a file name in the
    # data directory's settings/ folder; empty: the system's CAs.
    tls_ca_file: str = Field("", pattern=r"^([A-Za-z0-9_-][A-Za-z0-9._-]{0,127})?$")
    tls_insecure: bool = False
    # No wildcards, no empty levels: every topic starts with it.
    topic_prefix: str = Field("securitycam", pattern=r"^[^#+/\s]+(/[^#+/\s]+)*$", max_length=128)
    client_id: str = Field("", max_length=128)
    node_id: str = Field("", pattern=r"^([A-Za-z0-9_-]{1,48})?$")
    discovery: bool = True
    discovery_prefix: str = Field("homeassistant", pattern=r"^[^#+/\s]+(/[^#+/\s]+)*$", max_length=128)
    # Event and review messages kept on disk while the broker is away; past it the oldest go.
    queue_limit: int = Field(10000, ge=100, le=1_000_000)
    # Seconds between `stats`, storage and health messages, and between latest-frame images (0: none).
    stats_interval: float = Field(60, ge=5, le=3600)
    frame_interval: float = Field(10, ge=0, le=3600)
    # The per-label object counts Home Assistant gets a sensor for (detection publishes them).
    count_labels: list[str] = Field(default_factory=lambda: ["person", "car"], max_length=32)


def _default_cameras() -> list[CameraSettings]:
    return [CameraSettings()]


class Settings(Shareable):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    # Every GPIO sensor; the spec's single-sensor endpoints (``/sensor/*``) act on the first.
    Sensors: list[SensorSettings] = Field(default_factory=lambda: [SensorSettings()], max_length=16)
    StorageLimit: StorageLimitSettings = Field(default_factory=StorageLimitSettings)
    CaptivePortal: CaptivePortalSettings = Field(default_factory=CaptivePortalSettings)
    FirstBoot: FirstBootSettings = Field(default_factory=FirstBootSettings)
    Timelapse: TimelapseSettings = Field(default_factory=TimelapseSettings)
    Auth: AuthSettings = Field(default_factory=AuthSettings)
    Server: ServerSettings = Field(default_factory=ServerSettings)
    Bluetooth: BluetoothSettings = Field(default_factory=BluetoothSettings)
    Wifi: WifiSettings = Field(default_factory=WifiSettings)
    Cameras: list[CameraSettings] = Field(default_factory=_default_cameras, min_length=1)
    MediaMTX: MediaMTXSettings = Field(default_factory=MediaMTXSettings)
    Detectors: dict[str, DetectorSettings] = Field(default_factory=default_detectors, max_length=8)
    Model: ModelSettings = Field(default_factory=ModelSettings)
    MQTT: MqttSettings = Field(default_factory=MqttSettings)

    @model_validator(mode="before")
    @classmethod
    def _legacy_sensor_section(cls, data: Any) -> Any:
        """The spec's single ``Sensor`` section (older files, clients of the spec) is the first sensor."""
        if not isinstance(data, dict) or "Sensor" not in data:
            return data
        data = dict(data)
        legacy = data.pop("Sensor")
        sensors = data.get("Sensors")
        sensors = list(sensors) if isinstance(sensors, list) and sensors else [SensorSettings().model_dump()]
        first = sensors[0].model_dump() if isinstance(sensors[0], BaseModel) else sensors[0]
        if isinstance(first, dict) and isinstance(legacy, dict):
            merged = {**first, **legacy}
            if merged.get("type") != first.get("type") and "calibration" not in legacy:
                merged["calibration"] = {}  # a new type starts from its own, as /sensor/configure does
            sensors[0] = merged
        else:
            sensors[0] = legacy
        data["Sensors"] = sensors
        return data

    @model_validator(mode="before")
    @classmethod
    def _seed_camera_keys(cls, data: Any) -> Any:
        """The seed's ``StreamWidth``, ``RotationAngle``, ``ISP``, ... are the first camera's fields."""
        return take_seed_camera_keys(data) if isinstance(data, dict) else data

    @field_validator("Sensors")
    @classmethod
    def _unique_sensor_ids(cls, sensors: list[SensorSettings]) -> list[SensorSettings]:
        ids = [sensor.id for sensor in sensors]
        duplicates = sorted({sensor_id for sensor_id in ids if ids.count(sensor_id) > 1})
        if duplicates:
            raise ValueError(f"duplicate sensor id {', '.join(duplicates)}")
        return sensors

    @field_validator("Cameras")
    @classmethod
    def _unique_camera_names(cls, cameras: list[CameraSettings]) -> list[CameraSettings]:
        names = [camera.name for camera in cameras]
        if len(set(names)) != len(names):
            raise ValueError("camera names must be unique")
        return cameras

    @model_validator(mode="after")
    def _known_detectors(self) -> Settings:
        for camera in self.Cameras:
            name = camera.detect.detector
            if name != NO_DETECTOR and name not in self.Detectors:
                raise ValueError(f"camera {camera.name}: detect.detector {name!r} is not in Detectors "
                                 f"({', '.join([*self.Detectors, NO_DETECTOR])})")
        return self

    @model_validator(mode="after")
    def _ir_pins_free(self) -> Settings:
        taken = {sensor.gpio: f"sensor {sensor.id}" for sensor in self.Sensors if sensor.gpio is not None}
        for camera in self.Cameras:
            pin = camera.night.ir_gpio
            if pin is None:
                continue
            if pin in taken:
                raise ValueError(f"camera {camera.name}: night.ir_gpio {pin} is already used by {taken[pin]}")
            taken[pin] = f"camera {camera.name}"
        return self


def secret_paths(model: type[BaseModel] = Settings, prefix: tuple[str, ...] = (),
                 kind: str = "secret") -> set[tuple[str, ...]]:
    """Every (section, field, ...) path marked ``kind`` (``secret`` or ``write_only``) in ``model``."""
    found: set[tuple[str, ...]] = set()
    for name, field in model.model_fields.items():
        extra = field.json_schema_extra
        if isinstance(extra, dict) and extra.get(kind):
            found.add((*prefix, name))
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            found |= secret_paths(annotation, (*prefix, name), kind)
    return found


def write_only_paths() -> set[tuple[str, ...]]:
    """Every path to a :func:`write_only` field."""
    return secret_paths(kind="write_only")


def credential_paths(model: type[BaseModel] = Settings, prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Every path to a :func:`url_with_credentials` field; ``"*"`` stands for each item of a list."""
    found: set[tuple[str, ...]] = set()
    for name, field in model.model_fields.items():
        extra = field.json_schema_extra
        if isinstance(extra, dict) and extra.get("secret_credentials"):
            found.add((*prefix, name))
        annotation = field.annotation
        if get_origin(annotation) is list:
            annotation, prefix_here = get_args(annotation)[0], (*prefix, name, "*")
        else:
            prefix_here = (*prefix, name)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            found |= credential_paths(annotation, prefix_here)
    return found
