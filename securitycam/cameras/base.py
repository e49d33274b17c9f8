"""What a camera source is, and the registry that finds one by its type name.

A source says how ffmpeg reads the camera (:meth:`CameraSource.input_args`), which filters turn
its picture into what the settings ask for (:meth:`CameraSource.filters`) and how MediaMTX
publishes it on a Pi (:meth:`CameraSource.mediamtx_paths`). A new source is one new module in this
package with a class decorated by :func:`register_source`; the package imports every module, so
nothing else changes.

Picture settings in software: a source with ``software_isp`` (synthetic, file) gets the ISP's
brightness, contrast and saturation through ffmpeg's ``eq`` filter (same meaning and neutral
values as libcamera's: brightness -1..1 around 0, contrast and saturation factors around 1; ``eq``
caps saturation at 3); sharpness, EV, white balance, exposure, denoise and metering are the
sensor's own and apply only to the Pi camera. Rotation is ffmpeg's ``transpose`` (90, 270) or
``hflip,vflip`` (180) unless the camera turns the picture itself. A filtered picture is always
re-encoded, even from a source that is H.264 already.
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from securitycam.config.models import CameraSettings

SOURCES: dict[str, type[CameraSource]] = {}


def register_source(type_name: str):  # type: ignore[no-untyped-def]
    """Class decorator: make a :class:`CameraSource` subclass available as ``source: type_name``."""

    def decorate(cls: type[CameraSource]) -> type[CameraSource]:
        cls.type_name = type_name
        SOURCES[type_name] = cls
        return cls

    return decorate


class CameraSource:
    """One camera's video as ffmpeg sees it.

    ``stream_copy`` is true when the source already delivers H.264 that the recorder keeps as it
    is (no re-encode); otherwise the recorder encodes with a keyframe at every segment boundary.
    ``needs_mediamtx`` marks a source only MediaMTX can open (the Pi camera).
    """

    type_name: ClassVar[str] = ""
    stream_copy: ClassVar[bool] = False
    needs_mediamtx: ClassVar[bool] = False
    software_isp: ClassVar[bool] = False

    def __init__(self, camera: CameraSettings) -> None:
        self.camera = camera

    def input_args(self) -> list[str]:
        """ffmpeg arguments that read the camera directly: input options and ``-i``."""
        raise NotImplementedError

    def source_filters(self) -> list[str]:
        """Filters the source itself needs (e.g. a file's frame rate brought to ``fps``)."""
        return []

    def filters(self) -> list[str]:
        """The video filter chain for the camera's picture: the source's, then tuning and rotation."""
        return [*self.source_filters(), *picture_filters(self.camera, self.software_isp)]

    @property
    def copies(self) -> bool:
        """Whether the recorder keeps the source's H.264 as it is (nothing to filter)."""
        return self.stream_copy and not self.filters()

    def encode_args(self, interval: int) -> list[str]:
        """Video codec arguments for what the recorder writes (a keyframe every ``interval`` frames
        when encoding); stream copy when already H.264."""
        return ["-c:v", "copy"] if self.copies else h264_encode_args(interval)

    def mediamtx_paths(self) -> dict[str, dict[str, Any]]:
        """This camera's entries under MediaMTX's ``paths:`` (the camera's name is the one the
        recorder and live view read); by default ffmpeg publishes it on start."""
        return {self.camera.name: publish_with_ffmpeg(self.input_args(), self.filters(), self.encode_args(
            keyframe_interval(self.camera)))}

    def describe(self) -> str:
        return self.type_name



def h264_encode_args(interval: int) -> list[str]:
    """Software H.264 with a keyframe every ``interval`` frames, as fast and light as libx264 goes."""
    return [
        "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-pix_fmt", "yuv420p",
        "-g", str(interval), "-keyint_min", str(interval), "-sc_threshold", "0",
    ]


def keyframe_interval(camera: CameraSettings) -> int:
    """Frames between keyframes: one at every segment boundary, so segments cut where asked."""
    return max(1, round(camera.fps * camera.segment_seconds))


def publish_with_ffmpeg(input_args: list[str], filters: list[str], encode: list[str]) -> dict[str, Any]:
    """A MediaMTX path that ffmpeg publishes (``runOnInit``, restarted if it exits)."""
    command = ["ffmpeg", "-hide_banner", "-loglevel", "error", *input_args,
               *(["-vf", ",".join(filters)] if filters else []), *encode,
               "-an", "-f", "rtsp", "rtsp://localhost:$RTSP_PORT/$MTX_PATH"]
    # MediaMTX expands $RTSP_PORT / $MTX_PATH, then splits the line as a shell would.
    return {"runOnInit": shlex.join(command), "runOnInitRestart": True}


ROTATION_FILTERS = {90: ["transpose=clock"], 180: ["hflip", "vflip"], 270: ["transpose=cclock"]}


def rotation_filters(angle: int) -> list[str]:
    return ROTATION_FILTERS.get(angle, [])


def picture_filters(camera: CameraSettings, software_isp: bool) -> list[str]:
    """ffmpeg filters for ``camera``'s ISP tuning (with ``software_isp``) and rotation."""
    found = []
    isp = camera.isp
    if software_isp and (isp.brightness, isp.contrast, isp.saturation) != (0, 1, 1):
        found.append(f"eq=brightness={isp.brightness:g}:contrast={isp.contrast:g}"
                     f":saturation={min(isp.saturation, 3):g}")
    return [*found, *rotation_filters(camera.rotation)]
