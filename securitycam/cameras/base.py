"""What a camera source is, and the registry that finds one by its type name.

A source says how ffmpeg reads the camera (:meth:`CameraSource.input_args`) and how MediaMTX
publishes it on a Pi (:meth:`CameraSource.mediamtx_path`). A new source is one new module in this
package with a class decorated by :func:`register_source`; the package imports every module, so
nothing else changes.
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

    def __init__(self, camera: CameraSettings) -> None:
        self.camera = camera

    def input_args(self) -> list[str]:
        """ffmpeg arguments that read the camera directly: input options, ``-i``, and any filter the
        source needs for the recording (e.g. a file's frame rate brought to ``fps``)."""
        raise NotImplementedError

    def encode_args(self, keyframe_interval: int) -> list[str]:
        """Video codec arguments for what the recorder writes; stream copy when already H.264."""
        if self.stream_copy:
            return ["-c:v", "copy"]
        return [
            "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-pix_fmt", "yuv420p",
            "-g", str(keyframe_interval), "-keyint_min", str(keyframe_interval), "-sc_threshold", "0",
        ]

    def mediamtx_path(self) -> dict[str, Any]:
        """This camera's entry under MediaMTX's ``paths:``; by default ffmpeg publishes it on start."""
        interval = max(1, round(self.camera.fps * self.camera.segment_seconds))
        command = ["ffmpeg", "-hide_banner", "-loglevel", "error", *self.input_args(),
                   *self.encode_args(interval), "-an", "-f", "rtsp", "rtsp://localhost:$RTSP_PORT/$MTX_PATH"]
        # MediaMTX expands $RTSP_PORT / $MTX_PATH, then splits the line as a shell would.
        return {"runOnInit": shlex.join(command), "runOnInitRestart": True}

    def describe(self) -> str:
        return self.type_name

