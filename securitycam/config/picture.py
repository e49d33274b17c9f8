"""A camera's picture settings: ISP tuning, orientation and the night profile.

The tuning fields, their ranges and their choices are those of MediaMTX's ``rpiCamera*`` options
(libcamera's controls), which the Pi camera gets as they are; the synthetic and file sources get
brightness, contrast and saturation through ffmpeg's ``eq`` filter (:mod:`securitycam.cameras.base`).
Night mode (:mod:`securitycam.nightmode`) swaps ``isp`` for ``night.isp`` while it is on.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from securitycam.config.base import Section

AWB = Literal["auto", "incandescent", "tungsten", "fluorescent", "indoor", "daylight", "cloudy"]
Exposure = Literal["normal", "short", "long"]
Denoise = Literal["off", "cdn_off", "cdn_fast", "cdn_hq"]
Metering = Literal["centre", "spot", "matrix"]
RotationAngle = Literal[0, 90, 180, 270]
# ``auto``: the cheapest way that turns the picture (the Pi camera's own flips for 180 degrees,
# ffmpeg's transpose otherwise); ``encoder``: always ffmpeg, e.g. for a sensor whose flips misbehave.
RotationMode = Literal["auto", "encoder"]
NightModeKind = Literal["off", "auto", "schedule", "on"]

_CLOCK_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class IspSettings(Section):
    """The seed's ``/isp_settings`` fields, with libcamera's defaults."""

    brightness: float = Field(0.0, ge=-1, le=1)
    contrast: float = Field(1.0, ge=0, le=16)
    saturation: float = Field(1.0, ge=0, le=16)
    sharpness: float = Field(1.0, ge=0, le=16)
    ev: float = Field(0.0, ge=-10, le=10)
    awb: AWB = "auto"
    exposure: Exposure = "normal"
    denoise: Denoise = "off"
    metering: Metering = "centre"


def _night_isp() -> IspSettings:
    # Monochrome (an IR-lit picture is purple in colour) and a longer exposure for the dark.
    return IspSettings(saturation=0, exposure="long")


class NightSettings(Section):
    """When a camera switches to its night profile, and what else changes then.

    ``auto`` samples the latest frame every ``check_seconds``: night begins when its mean
    brightness (0-255) falls below ``dark_below`` and ends when it rises above ``bright_above``
    (the night profile and an IR light brighten the picture, hence the gap), and never sooner than
    ``min_switch_seconds`` after the last switch. ``schedule`` is night from ``start`` to ``end``
    (local time, ``HH:MM``; a range across midnight wraps). ``ir_gpio`` drives an IR LED or an
    IR-cut filter (on, high with ``ir_active_high``, while night lasts).
    """

    mode: NightModeKind = "off"
    dark_below: float = Field(40, ge=0, le=255)
    bright_above: float = Field(90, ge=0, le=255)
    check_seconds: float = Field(5, ge=2, le=600)
    min_switch_seconds: float = Field(60, ge=0, le=3600)
    start: str = "20:00"
    end: str = "06:00"
    isp: IspSettings = Field(default_factory=_night_isp)
    ir_gpio: int | None = Field(None, ge=0, le=27)
    ir_active_high: bool = True

    @field_validator("start", "end")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        if not _CLOCK_TIME.match(value):
            raise ValueError("must be a time of day as HH:MM (00:00-23:59)")
        return value

    @model_validator(mode="after")
    def _hysteresis(self) -> NightSettings:
        if self.bright_above <= self.dark_below:
            raise ValueError("bright_above must be greater than dark_below")
        return self


# The seed appliance's top-level settings keys for its one camera, and our first camera's fields.
SEED_CAMERA_KEYS = {
    "StreamWidth": "width",
    "StreamHeight": "height",
    "StreamFPS": "fps",
    "RotationAngle": "rotation",
    "RotationMode": "rotation_mode",
    "ISP": "isp",
}


def seed_camera_keys(settings: dict[str, Any]) -> dict[str, Any]:
    """The seed's keys for the first camera of ``settings`` (a dump), to show beside ours."""
    first = settings["Cameras"][0]
    return {seed: first[ours] for seed, ours in SEED_CAMERA_KEYS.items()}


def take_seed_camera_keys(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` (settings as a client sends them) with the seed's keys moved into the first camera.

    A seed key wins over the same field in ``Cameras``; ``ISP`` merges field by field, as the seed's
    ``POST /settings`` does. (``POST /settings`` drops the keys a client sent back as it read them
    first, :func:`securitycam.api.seed_names.take_seed_names`, so only changed ones get here.)
    """
    found = {seed: data[seed] for seed in SEED_CAMERA_KEYS if seed in data}
    if not found:
        return data
    data = {key: value for key, value in data.items() if key not in SEED_CAMERA_KEYS}
    cameras = data.get("Cameras")
    cameras = list(cameras) if isinstance(cameras, list) and cameras else [{}]
    first = cameras[0].model_dump() if isinstance(cameras[0], BaseModel) else cameras[0]
    if isinstance(first, dict):
        first = dict(first)
        for seed, value in found.items():
            field = SEED_CAMERA_KEYS[seed]
            current = first.get(field)
            if isinstance(value, dict) and isinstance(current, BaseModel):
                current = current.model_dump()
            first[field] = {**current, **value} if isinstance(value, dict) and isinstance(current, dict) else value
        cameras[0] = first
    data["Cameras"] = cameras
    return data
